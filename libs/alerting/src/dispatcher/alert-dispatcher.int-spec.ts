import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient, Migrator, TableNames } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAlerting, type Alerting } from '../alerting.factory.js';
import { ALERTING_MIGRATIONS } from '../alerting.migrations.js';
import type { AlertingConfigInput } from '../config/alerting-config.schema.js';
import { dedupKeyFor } from '../core/alert-ids.js';
import { verifyAlertSignature } from '../sinks/webhook/webhook.signature.js';
import { alertingConfig, CONSOLE_URL, detection, ROUTING_KEY, timing, WEBHOOK_SECRET, type DetectionOverrides } from '../testing/alerting.fixtures.js';
import { HttpReceiver } from '../testing/http-receiver.js';
import type { AcceptResult } from './alert-dispatcher.js';

/**
 * The dispatcher end to end: the embedded ClickHouse engine for the outbox,
 * and real HTTP servers on 127.0.0.1 standing in for PagerDuty, Slack and a
 * webhook receiver. Each test uses its own tenant, so they share one database.
 */
const data = tempDir('warden-alert-dispatcher-');
const tables = new TableNames('warden_alert_dispatcher_spec');
let client: ClickHouseClient;
let pagerDuty: HttpReceiver;
let slack: HttpReceiver;
let hook: HttpReceiver;
const running: Alerting[] = [];

beforeAll(async () => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  await new Migrator(client, tables, ALERTING_MIGRATIONS).migrate();
  [pagerDuty, slack, hook] = await Promise.all([HttpReceiver.start(), HttpReceiver.start(), HttpReceiver.start()]);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.dispatcher.stop()));
  for (const r of [pagerDuty, slack, hook]) r.requests.length = 0;
});
afterAll(async () => {
  await Promise.all([pagerDuty, slack, hook].map((r) => r.close()));
  await client.close();
  data.cleanup();
});

const sinks = () => [
  { name: 'pd', type: 'pagerduty', url: pagerDuty.url('/v2/enqueue'), routing_key: ROUTING_KEY },
  { name: 'slack', type: 'slack', url: slack.url('/services/T000/B000/XXXX') },
  { name: 'hook', type: 'webhook', url: hook.url('/warden'), secret: WEBHOOK_SECRET },
] as const;

async function alerting(config: Partial<AlertingConfigInput> = {}): Promise<Alerting> {
  const a = createAlerting({
    config: alertingConfig({ sinks: [...sinks()], retry: { initial_delay_ms: 20, max_delay_ms: 40, max_attempts: 4, timeout_ms: 5_000 }, ...config }),
    client,
    tables,
  });
  await a.dispatcher.start();
  running.push(a);
  return a;
}

function accepted(result: AcceptResult): Exclude<AcceptResult, { outcome: 'duplicate' }> {
  if (result.outcome === 'duplicate') throw new Error(`unexpected duplicate ${result.detection_id}`);
  return result;
}

/** A detection whose trigger event occurred 2 s ago and was ingested 1.5 s ago, fed through the dispatcher. */
async function feed(a: Alerting, d: DetectionOverrides) {
  const now = Date.now();
  return accepted(await a.dispatcher.accept(detection(d), timing(now - 2_000, now - 1_500)));
}

describe('alert delivery to real receivers', () => {
  it('sends each sink its payload: PagerDuty Events v2, Slack blocks, a webhook whose signature verifies', async () => {
    const a = await alerting();
    const d = detection({ trigger: 'p1', tenant: 'payloads', severity: 'critical', evidence_event_ids: ['p0', 'p1'], last_seen: '2026-11-24T09:00:30Z' });
    const result = await feed(a, { trigger: 'p1', tenant: 'payloads', severity: 'critical', evidence_event_ids: ['p0', 'p1'], last_seen: '2026-11-24T09:00:30Z' });
    await a.dispatcher.idle();
    const link = `${CONSOLE_URL}/detections/${d.detection_id}`;

    expect(pagerDuty.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/v2/enqueue', 'application/json']]);
    const event = pagerDuty.json<any>(0);
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: dedupKeyFor(d.group_key),
      payload: {
        summary: '[critical] Mass deletion burst: agent-7 (payloads)',
        source: 'warden/payloads',
        severity: 'critical',
        timestamp: '2026-11-24T09:00:30Z',
        custom_details: { count: 1, evidence_event_ids: ['p0', 'p1'], console_url: link, detection_id: d.detection_id },
      },
      links: [{ href: link, text: 'Open the detection in Warden' }],
    });

    expect(slack.requests.map((r) => r.path)).toEqual(['/services/T000/B000/XXXX']);
    const message = slack.json<any>(0);
    expect(message.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'actions', 'context']);
    expect(message.blocks[0].text.text).toBe('🔴 Mass deletion burst');
    expect(message.blocks[2].fields.map((f: { text: string }) => f.text)).toEqual([
      '*Severity*\ncritical',
      '*Rule*\n`mass-deletion-burst`',
      '*Principal*\nagent-7 (payloads)',
      '*Count*\n1',
    ]);
    expect(message.blocks[3].elements[0]).toMatchObject({ type: 'button', url: link });

    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    const check = verifyAlertSignature(
      WEBHOOK_SECRET,
      String(request.headers['x-warden-timestamp']),
      request.body,
      String(request.headers['x-warden-signature']),
      300,
      Date.now(),
    );
    expect(check).toEqual({ ok: true });
    expect(hook.json<any>(0)).toMatchObject({ type: 'alert.triggered', alert: { alert_id: result.alert_id, count: 1, tenant: 'payloads' } });
    expect(request.headers['x-warden-delivery']).toBe(hook.json<any>(0).delivery_id);

    const deliveries = await a.outbox.listDeliveries('payloads', result.alert_id);
    expect(deliveries.map((x) => [x.sink, x.status, x.attempt])).toEqual(
      expect.arrayContaining([
        ['pd', 'delivered', 1],
        ['slack', 'delivered', 1],
        ['hook', 'delivered', 1],
      ]),
    );
    expect(deliveries).toHaveLength(3);
    const latency = a.dispatcher.latencySnapshot();
    expect(latency.from_occurred.count).toBe(3);
    expect(latency.from_ingested.count).toBe(3);
    // The trigger event occurred 2 s before it reached alerting and was ingested 1.5 s before:
    // both measures include that, and differ by exactly the 500 ms between the two.
    expect(latency.from_occurred.p50_ms).toBeGreaterThanOrEqual(2_000);
    expect(latency.from_ingested.p50_ms).toBeGreaterThanOrEqual(1_500);
    expect(latency.from_occurred.p50_ms! - latency.from_ingested.p50_ms!).toBe(500);
    expect(latency.from_occurred.max_ms! - latency.from_ingested.max_ms!).toBe(500);
  });

  it('retries a 5xx with backoff and then delivers, same delivery id, freshly signed each time', async () => {
    const a = await alerting({ sinks: [sinks()[2]] });
    hook.respondWith(503, 500);
    const result = await feed(a, { trigger: 'r1', tenant: 'retries' });
    await a.dispatcher.idle();
    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => r.headers['x-warden-delivery']))).toEqual(new Set(result.delivery_ids));
    for (const r of hook.requests) {
      expect(verifyAlertSignature(WEBHOOK_SECRET, String(r.headers['x-warden-timestamp']), r.body, String(r.headers['x-warden-signature']), 300, Date.now())).toEqual({ ok: true });
    }
    const history = await a.outbox.deliveryHistory('retries', result.delivery_ids[0]);
    expect(history.map((h) => [h.revision, h.status, h.attempt, h.last_status_code, h.error_code])).toEqual([
      [0, 'pending', 0, null, null],
      [1, 'pending', 1, 503, 'DELIVERY.UNAVAILABLE'],
      [2, 'pending', 2, 500, 'DELIVERY.UNAVAILABLE'],
      [3, 'delivered', 3, 200, null],
    ]);
    expect(await a.dispatcher.listFailedDeliveries('retries')).toEqual([]);
  });

  it('fails permanently on a 400, does not retry, and lists the delivery through listFailedDeliveries', async () => {
    const a = await alerting({ sinks: [sinks()[1]] });
    slack.respondWith(400);
    const result = await feed(a, { trigger: 'f1', tenant: 'failures' });
    await a.dispatcher.idle();
    expect(slack.requests).toHaveLength(1);
    const failed = await a.dispatcher.listFailedDeliveries('failures');
    expect(failed.map((f) => ({ id: f.delivery_id, sink: f.sink, status: f.status, attempt: f.attempt, code: f.error_code, http: f.last_status_code, error: f.last_error }))).toEqual([
      { id: result.delivery_ids[0], sink: 'slack', status: 'failed', attempt: 1, code: 'DELIVERY.REJECTED', http: 400, error: 'HTTP 400: scripted 400' },
    ]);
    expect(await a.dispatcher.listFailedDeliveries('payloads')).toEqual([]);
  });

  it('groups: three detections of one group within the window make one Slack and one webhook notification; the alert counts 3, suppressed 2', async () => {
    const a = await alerting({ grouping: { window: '5m' } });
    const results = [];
    for (const trigger of ['g1', 'g2', 'g3']) results.push(await feed(a, { trigger, tenant: 'grouping' }));
    await a.dispatcher.idle();
    expect(results.map((r) => [r.kind, r.outcome, r.count, r.suppressed])).toEqual([
      ['opened', 'notified', 1, 0],
      ['grouped', 'suppressed', 2, 1],
      ['grouped', 'suppressed', 3, 2],
    ]);
    expect(slack.requests).toHaveLength(1);
    expect(hook.requests).toHaveLength(1);
    // PagerDuty is re-triggered under one dedup_key, so its incident's count follows.
    const triggers = pagerDuty.requests.map((_, i) => pagerDuty.json<any>(i));
    expect(triggers.map((t) => [t.dedup_key, t.payload.custom_details.count]).sort((x, y) => x[1] - y[1])).toEqual([
      [dedupKeyFor(detection({ trigger: 'g1', tenant: 'grouping' }).group_key), 1],
      [dedupKeyFor(detection({ trigger: 'g1', tenant: 'grouping' }).group_key), 2],
      [dedupKeyFor(detection({ trigger: 'g1', tenant: 'grouping' }).group_key), 3],
    ]);
    const [alert] = await a.outbox.listAlerts('grouping');
    expect(alert).toMatchObject({ alert_id: results[0].alert_id, status: 'open', count: 3, event_count: 120, notifications: 1, suppressed: 2 });
  });

  it('throttling never drops a detection: all of them are stored and counted, only notifications are withheld', async () => {
    const a = await alerting({ sinks: [sinks()[1]], throttle: { max_notifications_per_window: 2 } });
    const triggers = Array.from({ length: 10 }, (_, i) => `t${i}`);
    for (const trigger of triggers) await feed(a, { trigger, tenant: 'throttle' });
    // At-least-once: a redelivered detection is recognised, not counted again.
    expect(await a.dispatcher.accept(detection({ trigger: 't3', tenant: 'throttle' }), timing(Date.now(), Date.now()))).toMatchObject({ outcome: 'duplicate' });
    await a.dispatcher.idle();
    expect(slack.requests).toHaveLength(2);
    const [alert] = await a.outbox.listAlerts('throttle');
    expect(alert).toMatchObject({ count: 10, notifications: 2, suppressed: 8 });
    const stored = await a.outbox.listDetections('throttle', alert.alert_id);
    expect(stored.map((s) => s.detection.trigger_event_id)).toEqual(triggers);
    expect(stored.map((s) => s.outcome)).toEqual(['notified', 'notified', ...Array(8).fill('suppressed')]);
  });

  it('resolves a group: PagerDuty receives a resolve with the dedup_key it was triggered with', async () => {
    const a = await alerting({ sinks: [sinks()[0]] });
    const d = detection({ trigger: 'x1', tenant: 'resolve' });
    await feed(a, { trigger: 'x1', tenant: 'resolve' });
    expect(await a.dispatcher.resolve('resolve', d.group_key)).toMatchObject({ outcome: 'resolved' });
    await a.dispatcher.idle();
    expect(pagerDuty.requests.map((_, i) => pagerDuty.json<any>(i))).toEqual([
      expect.objectContaining({ event_action: 'trigger', dedup_key: dedupKeyFor(d.group_key) }),
      { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: dedupKeyFor(d.group_key) },
    ]);
    expect((await a.outbox.listAlerts('resolve'))[0]).toMatchObject({ status: 'resolved', count: 1 });
  });
});
