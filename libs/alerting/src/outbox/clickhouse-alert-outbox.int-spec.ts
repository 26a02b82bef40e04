import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient, Migrator, TableNames } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTING_MIGRATIONS } from '../alerting.migrations.js';
import { AlertGrouper } from '../core/alert-grouper.js';
import type { AlertState } from '../core/alert.model.js';
import { afterAttempt, newDelivery } from '../dispatcher/delivery-policy.js';
import { alertingConfig, detection, T0, timing, WEBHOOK_SECRET, type DetectionOverrides } from '../testing/alerting.fixtures.js';
import type { DeliveryRecord } from './alert-outbox.port.js';
import { ClickHouseAlertOutbox } from './clickhouse-alert-outbox.js';

const data = tempDir('warden-alert-outbox-');
const tables = new TableNames('warden_alert_outbox_spec');
let client: ClickHouseClient;
let outbox: ClickHouseAlertOutbox;

const config = alertingConfig({
  sinks: [{ name: 'hook', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET }],
  retry: { max_attempts: 3, initial_delay_ms: 1_000, max_delay_ms: 4_000 },
});
const grouper = new AlertGrouper(config);
const TIMING = timing(T0 - 2_000, T0 - 1_000);

function decide(previous: AlertState | null, d: DetectionOverrides, nowMs: number) {
  return grouper.decide(previous, detection(d), nowMs);
}

function deliveryFor(d: DetectionOverrides): DeliveryRecord {
  return newDelivery(decide(null, d, T0).notifications[0], TIMING, T0);
}

const unavailable = { kind: 'retriable', status: 503, code: 'DELIVERY.UNAVAILABLE', error: 'HTTP 503: busy' } as const;
const rejected = { kind: 'rejected', status: 400, code: 'DELIVERY.REJECTED', error: 'HTTP 400: invalid' } as const;

beforeAll(async () => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  await new Migrator(client, tables, ALERTING_MIGRATIONS).migrate();
  outbox = new ClickHouseAlertOutbox(client, tables);
});
afterAll(async () => {
  await client.close();
  data.cleanup();
});

describe('ClickHouse alert outbox (embedded engine)', () => {
  it('migration 200 creates the three tables: alert state, received detections, the delivery attempt log', async () => {
    const rs = await client.query({
      query: `SELECT name, engine, sorting_key FROM system.tables WHERE database = {db:String} AND name LIKE 'alert%' ORDER BY name`,
      query_params: { db: tables.database },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { name: 'alert_deliveries', engine: 'MergeTree', sorting_key: 'tenant, delivery_id, revision' },
      { name: 'alert_detections', engine: 'ReplacingMergeTree', sorting_key: 'tenant, detection_id' },
      { name: 'alerts', engine: 'ReplacingMergeTree', sorting_key: 'tenant, group_key, alert_id' },
    ]);
    expect(await new Migrator(client, tables, ALERTING_MIGRATIONS).migrate()).toEqual([]);
  });

  it('reads back the newest revision of the newest alert of a group, exactly as saved', async () => {
    const first = decide(null, { trigger: 's1', tenant: 'state', first_seen: '2026-11-24T09:00:00.123456Z' }, T0);
    const second = decide(first.alert, { trigger: 's2', tenant: 'state' }, T0 + 1_000);
    const resolved = grouper.resolve(second.alert, T0 + 2_000);
    const reopened = decide(resolved?.alert ?? null, { trigger: 's3', tenant: 'state' }, T0 + 3_000);
    // Written out of order: the revision decides, not the insert order.
    for (const a of [second.alert, first.alert, reopened.alert, resolved?.alert]) if (a) await outbox.saveAlerts([a]);
    expect((await outbox.latestAlerts('state', [first.alert.group_key])).get(first.alert.group_key)).toEqual(reopened.alert);
    expect((await outbox.listAlerts('state')).map((a) => [a.episode, a.status, a.count, a.revision])).toEqual([
      [2, 'open', 1, 1],
      [1, 'resolved', 2, 3],
    ]);
    expect((await outbox.latestAlerts('other-tenant', [first.alert.group_key])).size).toBe(0);
  });

  it("reads several groups' newest alerts in one statement, and writes several states in one insert", async () => {
    const a1 = decide(null, { trigger: 'm1', tenant: 'many', principal_id: 'agent-a' }, T0);
    const a2 = decide(a1.alert, { trigger: 'm2', tenant: 'many', principal_id: 'agent-a' }, T0 + 1_000);
    const b1 = decide(null, { trigger: 'm3', tenant: 'many', principal_id: 'agent-b' }, T0 + 2_000);
    await outbox.saveAlerts([a1.alert, a2.alert, b1.alert]);
    const latest = await outbox.latestAlerts('many', [a1.alert.group_key, b1.alert.group_key, 'no-such-group']);
    expect([...latest.keys()].sort()).toEqual([a1.alert.group_key, b1.alert.group_key].sort());
    expect(latest.get(a1.alert.group_key)).toEqual(a2.alert);
    expect(latest.get(b1.alert.group_key)).toEqual(b1.alert);
  });

  it('stores every detection once, queryable per alert, and knows which ids it has', async () => {
    const d = detection({ trigger: 'd1', tenant: 'dets' });
    const d2 = detection({ trigger: 'd2', tenant: 'dets' });
    expect((await outbox.priorEffects('dets', [d.detection_id], [])).recorded_detection_ids.size).toBe(0);
    await outbox.recordDetections([
      { detection: d, alert_id: 'alert-1', outcome: 'notified', received_at_ms: T0, timing: TIMING },
      { detection: d2, alert_id: 'alert-1', outcome: 'suppressed', received_at_ms: T0 + 1, timing: TIMING },
    ]);
    expect([...(await outbox.priorEffects('dets', [d.detection_id, 'no-such-detection', d2.detection_id], [])).recorded_detection_ids].sort()).toEqual(
      [d.detection_id, d2.detection_id].sort(),
    );
    expect((await outbox.priorEffects('someone-else', [d.detection_id], [])).recorded_detection_ids.size).toBe(0);
    expect(await outbox.listDetections('dets', 'alert-1')).toEqual([
      { detection: d, alert_id: 'alert-1', outcome: 'notified', received_at_ms: T0, timing: TIMING },
      { detection: d2, alert_id: 'alert-1', outcome: 'suppressed', received_at_ms: T0 + 1, timing: TIMING },
    ]);
  });

  it('enqueues a delivery once: enqueuing the same id again returns nothing to send', async () => {
    const delivery = deliveryFor({ trigger: 'q1', tenant: 'queue' });
    expect(await outbox.enqueue([delivery])).toEqual([delivery]);
    expect(await outbox.enqueue([delivery])).toEqual([]);
    expect((await outbox.pendingDeliveries()).filter((d) => d.tenant === 'queue')).toEqual([delivery]);
  });

  it("tells in one read whether a detection was recorded and which of the given deliveries are stored, in the caller's tenant only", async () => {
    const stored = deliveryFor({ trigger: 'p1', tenant: 'prior' });
    const missing = deliveryFor({ trigger: 'p2', tenant: 'prior' });
    await outbox.appendDeliveries([stored]);
    const seen = await outbox.priorEffects('prior', ['no-such-detection'], [stored.delivery_id, missing.delivery_id]);
    expect(seen.recorded_detection_ids.size).toBe(0);
    expect([...seen.stored_delivery_ids]).toEqual([stored.delivery_id]);
    expect([...(await outbox.priorEffects('someone-else', ['no-such-detection'], [stored.delivery_id])).stored_delivery_ids]).toEqual([]);
    expect((await outbox.pendingDeliveries()).filter((d) => d.tenant === 'prior')).toEqual([stored]);
  });

  it('keeps every attempt, answers with the newest, and lists a failed delivery for its tenant only', async () => {
    const delivery = deliveryFor({ trigger: 'f1', tenant: 'fails' });
    await outbox.enqueue([delivery]);
    const retried = afterAttempt(delivery, unavailable, T0 + 10, config.retry, () => 1);
    const failed = afterAttempt(retried, rejected, T0 + 2_000, config.retry, () => 1);
    await outbox.recordAttempts([retried]);
    expect((await outbox.pendingDeliveries()).filter((d) => d.tenant === 'fails')).toEqual([retried]);
    await outbox.recordAttempts([failed]);
    expect((await outbox.pendingDeliveries()).filter((d) => d.tenant === 'fails')).toEqual([]);
    expect(await outbox.listFailedDeliveries('fails')).toEqual([failed]);
    expect(failed).toMatchObject({ status: 'failed', attempt: 2, last_status_code: 400, error_code: 'DELIVERY.REJECTED', last_error: 'HTTP 400: invalid' });
    expect(await outbox.listFailedDeliveries('queue')).toEqual([]);
    expect((await outbox.deliveryHistory('fails', delivery.delivery_id)).map((d) => [d.revision, d.status, d.error_code])).toEqual([
      [0, 'pending', null],
      [1, 'pending', 'DELIVERY.UNAVAILABLE'],
      [2, 'failed', 'DELIVERY.REJECTED'],
    ]);
    expect(await outbox.listDeliveries('fails', delivery.alert_id)).toEqual([failed]);
  });

  it('keeps a delivered delivery delivered even if the same notification is enqueued again later', async () => {
    const delivery = deliveryFor({ trigger: 'r1', tenant: 'redo' });
    await outbox.enqueue([delivery]);
    const delivered = afterAttempt(delivery, { kind: 'delivered', status: 202 }, T0 + 5, config.retry);
    await outbox.recordAttempts([delivered]);
    expect(await outbox.enqueue([delivery])).toEqual([]);
    expect(await outbox.listDeliveries('redo', delivery.alert_id)).toEqual([delivered]);
  });
});
