import { describe, expect, it } from 'vitest';
import { AlertGrouper } from '../../core/alert-grouper.js';
import { alertingConfig, detection, T0, WEBHOOK_SECRET } from '../../testing/alerting.fixtures.js';
import { verifyAlertSignature } from './webhook.signature.js';
import { WebhookSink } from './webhook.sink.js';

const config = alertingConfig({ sinks: [{ name: 'hook', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET }] });
const sinkConfig = config.sinks[0];

describe('signed webhook requests', () => {
  it('carries the timestamp, a v1 signature the helper verifies, and the delivery id', () => {
    if (sinkConfig.type !== 'webhook') throw new Error('fixture');
    const n = new AlertGrouper(config).decide(null, detection({ trigger: 'e1' }), T0).notifications[0].notification;
    const sentAt = T0 + 1_500;
    const request = new WebhookSink(sinkConfig).request(n, { delivery_id: 'delivery-1', now_ms: sentAt });
    expect(request.url).toBe('https://siem.example.test/hook');
    expect(request.headers['x-warden-timestamp']).toBe(String(Math.floor(sentAt / 1000)));
    expect(request.headers['x-warden-delivery']).toBe('delivery-1');
    expect(request.headers['x-warden-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyAlertSignature(WEBHOOK_SECRET, request.headers['x-warden-timestamp'], request.body, request.headers['x-warden-signature'], 300, sentAt)).toEqual({ ok: true });
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ schema_version: '1', type: 'alert.triggered', delivery_id: 'delivery-1' });
    expect(body.alert).toMatchObject({ alert_id: n.alert_id, count: 1, decided_at: new Date(T0).toISOString() });
    expect(body.alert).not.toHaveProperty('action');
  });
});
