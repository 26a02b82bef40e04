import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient, Migrator, TableNames } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createAlerting, type Alerting } from '../alerting.factory.js';
import { ALERTING_MIGRATIONS } from '../alerting.migrations.js';
import { verifyAlertSignature } from '../sinks/webhook/webhook.signature.js';
import { alertingConfig, detection, timing, WEBHOOK_SECRET } from '../testing/alerting.fixtures.js';
import { HttpReceiver } from '../testing/http-receiver.js';

/**
 * The outbox survives a restart: a delivery that could not be made before
 * the dispatcher and its ClickHouse client were closed is made, once, by a
 * new dispatcher on the same data directory.
 */
const data = tempDir('warden-alert-restart-');
const tables = new TableNames('warden_alert_restart_spec');
const opened: ClickHouseClient[] = [];

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  data.cleanup();
});

async function open(port: number): Promise<{ client: ClickHouseClient; alerting: Alerting }> {
  const client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  opened.push(client);
  await new Migrator(client, tables, ALERTING_MIGRATIONS).migrate();
  const alerting = createAlerting({
    client,
    tables,
    config: alertingConfig({
      sinks: [{ name: 'hook', type: 'webhook', url: `http://127.0.0.1:${port}/warden`, secret: WEBHOOK_SECRET }],
      // Long enough that no retry happens before the restart; short enough that the restarted dispatcher is soon due.
      retry: { initial_delay_ms: 400, max_delay_ms: 400, max_attempts: 5, timeout_ms: 2_000 },
    }),
  });
  return { client, alerting };
}

async function close(client: ClickHouseClient, alerting: Alerting): Promise<void> {
  await alerting.dispatcher.stop();
  await client.close();
  opened.splice(opened.indexOf(client), 1);
}

describe('delivery after a restart', () => {
  it('enqueued while the receiver was down, delivered exactly once after reopening the same data directory', async () => {
    // A port that nothing listens on: the receiver is down.
    const probe = await HttpReceiver.start();
    const port = probe.port;
    await probe.close();

    const before = await open(port);
    await before.alerting.dispatcher.start();
    const d = detection({ trigger: 'restart-1' });
    const now = Date.now();
    const result = await before.alerting.dispatcher.accept(d, timing(now - 1_000, now - 500));
    if (result.outcome === 'duplicate') throw new Error('fresh database');
    const [deliveryId] = result.delivery_ids;
    // The first attempt is refused by the closed port and recorded as pending.
    await vi.waitFor(async () => expect((await before.alerting.outbox.pendingDeliveries()).map((p) => [p.delivery_id, p.attempt, p.error_code])).toEqual([[deliveryId, 1, 'DELIVERY.NETWORK']]));
    await close(before.client, before.alerting);

    const receiver = await HttpReceiver.start({ port });
    try {
      const after = await open(port);
      expect(await after.alerting.dispatcher.start()).toEqual({ resumed: 1 });
      await after.alerting.dispatcher.idle();
      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request.headers['x-warden-delivery']).toBe(deliveryId);
      expect(receiver.json<{ alert: { detection_id: string } }>(0).alert.detection_id).toBe(d.detection_id);
      expect(verifyAlertSignature(WEBHOOK_SECRET, String(request.headers['x-warden-timestamp']), request.body, String(request.headers['x-warden-signature']), 300, Date.now())).toEqual({ ok: true });
      expect((await after.alerting.outbox.deliveryHistory('acme', deliveryId)).map((h) => [h.revision, h.status, h.attempt, h.error_code])).toEqual([
        [0, 'pending', 0, null],
        [1, 'pending', 1, 'DELIVERY.NETWORK'],
        [2, 'delivered', 2, null],
      ]);
      // The latency of a resumed delivery is still measured from the original event.
      expect(after.alerting.dispatcher.latencySnapshot().from_occurred.count).toBe(1);
      expect(after.alerting.dispatcher.latencySnapshot().from_occurred.p50_ms).toBeGreaterThanOrEqual(1_000);
      // The alert state came through the restart too: a redelivered detection is recognised.
      expect(await after.alerting.dispatcher.accept(d, timing(now - 1_000, now - 500))).toEqual({ outcome: 'duplicate', detection_id: d.detection_id });
      await close(after.client, after.alerting);

      // Nothing is left pending: a third start sends nothing more.
      const again = await open(port);
      expect(await again.alerting.dispatcher.start()).toEqual({ resumed: 0 });
      await again.alerting.dispatcher.idle();
      expect(receiver.requests).toHaveLength(1);
      await close(again.client, again.alerting);
    } finally {
      await receiver.close();
    }
  });
});
