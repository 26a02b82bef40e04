import { describe, expect, it } from 'vitest';
import { AlertGrouper } from '../../core/alert-grouper.js';
import type { AlertNotification } from '../../core/alert.model.js';
import { alertingConfig, CONSOLE_URL, detection, ROUTING_KEY, T0 } from '../../testing/alerting.fixtures.js';
import { PAGERDUTY_SEVERITY, PagerDutySink, pagerDutyEvent } from './pagerduty.sink.js';

const config = alertingConfig({ sinks: [{ name: 'pd', type: 'pagerduty', routing_key: ROUTING_KEY }] });
const grouper = new AlertGrouper(config);

function trigger(overrides: Partial<Parameters<typeof detection>[0]> = {}): AlertNotification {
  return grouper.decide(null, detection({ trigger: 'e1', last_seen: '2026-11-24T09:00:30.123456Z', ...overrides }), T0).notifications[0].notification;
}

describe('PagerDuty Events API v2 payloads', () => {
  it('a trigger carries routing_key, event_action, a stable dedup_key and the required payload fields', () => {
    const n = trigger({ evidence_event_ids: ['e0', 'e1'] });
    expect(pagerDutyEvent(n, ROUTING_KEY)).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: n.dedup_key,
      payload: {
        summary: '[high] Mass deletion burst: agent-7 (acme)',
        source: 'warden/acme',
        severity: 'error',
        timestamp: '2026-11-24T09:00:30.123456Z',
        component: 'agent-7',
        group: 'acme',
        class: 'mass-deletion-burst',
        custom_details: {
          summary: 'agent-7 deleted 40 messages in 60s (trigger e1)',
          count: 1,
          event_count: 40,
          suppressed_notifications: 0,
          rule_id: 'mass-deletion-burst',
          rule_kind: 'threshold',
          tenant: 'acme',
          principal_id: 'agent-7',
          detection_id: n.detection_id,
          alert_id: n.alert_id,
          trigger_event_id: 'e1',
          evidence_event_ids: ['e0', 'e1'],
          first_seen: '2026-11-24T09:00:00Z',
          last_seen: '2026-11-24T09:00:30.123456Z',
          auto_contain: false,
          console_url: `${CONSOLE_URL}/detections/${n.detection_id}`,
        },
      },
      client: 'Warden',
      client_url: `${CONSOLE_URL}/detections/${n.detection_id}`,
      links: [{ href: `${CONSOLE_URL}/detections/${n.detection_id}`, text: 'Open the detection in Warden' }],
    });
  });

  it('maps Warden severities onto PagerDuty\'s four', () => {
    expect(PAGERDUTY_SEVERITY).toEqual({ critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info' });
  });

  it('a resolve is routing_key, event_action and the same dedup_key only', () => {
    const n = { ...trigger(), action: 'resolve' as const };
    expect(pagerDutyEvent(n, ROUTING_KEY)).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: n.dedup_key });
  });

  it('keeps the summary within PagerDuty\'s 1024 characters', () => {
    const event = pagerDutyEvent(trigger({ title: 'x'.repeat(2000) }), ROUTING_KEY);
    expect(event.event_action === 'trigger' && event.payload.summary.length).toBe(1024);
  });

  it('posts JSON to the configured URL with the revealed routing key', () => {
    const sink = config.sinks[0];
    if (sink.type !== 'pagerduty') throw new Error('fixture');
    const request = new PagerDutySink(sink).request(trigger());
    expect(request.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body).routing_key).toBe(ROUTING_KEY);
  });
});
