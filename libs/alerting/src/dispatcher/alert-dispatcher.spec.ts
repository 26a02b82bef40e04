import { describe, expect, it, vi } from 'vitest';
import { DELIVERY_ERROR } from '../alerting.errors.js';
import type { AlertingConfigInput } from '../config/alerting-config.schema.js';
import { InMemoryAlertOutbox } from '../outbox/in-memory-alert-outbox.js';
import type { HttpOutcome, HttpTransport } from '../sinks/http-transport.js';
import type { SinkRequest } from '../sinks/alert-sink.js';
import { alertingConfig, detection, ROUTING_KEY, T0, timing, WEBHOOK_SECRET, outboxFailingFirst } from '../testing/alerting.fixtures.js';
import { AlertGrouper } from '../core/alert-grouper.js';
import { AlertDispatcher, type AcceptResult } from './alert-dispatcher.js';
import { newDelivery } from './delivery-policy.js';

/** Answers with scripted outcomes (then 202) and records what it was asked to send. */
class ScriptedTransport implements HttpTransport {
  readonly sent: SinkRequest[] = [];
  constructor(private readonly script: HttpOutcome[] = []) {}
  async post(request: SinkRequest): Promise<HttpOutcome> {
    this.sent.push(request);
    return this.script.shift() ?? { kind: 'delivered', status: 202 };
  }
}

const unavailable: HttpOutcome = { kind: 'retriable', status: 503, code: DELIVERY_ERROR.UNAVAILABLE, error: 'HTTP 503' };

const HOOK = { name: 'hook', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET } as const;
const PD = { name: 'pd', type: 'pagerduty', url: 'https://pd.example.test/v2/enqueue', routing_key: ROUTING_KEY } as const;

function setup(options: { script?: HttpOutcome[]; outbox?: InMemoryAlertOutbox; config?: Partial<AlertingConfigInput> } = {}) {
  const outbox = options.outbox ?? new InMemoryAlertOutbox();
  const transport = new ScriptedTransport(options.script);
  let now = T0;
  const dispatcher = new AlertDispatcher({
    config: alertingConfig({ sinks: [HOOK], retry: { max_attempts: 3, initial_delay_ms: 1, max_delay_ms: 2 }, ...options.config }),
    outbox,
    transport,
    clock: () => now,
    random: () => 0.5,
  });
  return { dispatcher, outbox, transport, advance: (ms: number) => (now += ms) };
}

const TIMING = timing(T0 - 3_000, T0 - 1_000);

/** The result of an accept that was not a duplicate. */
function accepted(result: AcceptResult): Exclude<AcceptResult, { outcome: 'duplicate' }> {
  if (result.outcome === 'duplicate') throw new Error(`unexpected duplicate ${result.detection_id}`);
  return result;
}

describe('AlertDispatcher', () => {
  it('refuses work before start, so deliveries pending from before a restart are never skipped', async () => {
    const { dispatcher } = setup();
    await expect(dispatcher.accept(detection({ trigger: 'e1' }), TIMING)).rejects.toMatchObject({ code: 'ALERTING.NOT_STARTED' });
  });

  it('refuses a detection whose timing is not RFC 3339, before storing anything', async () => {
    const { dispatcher, outbox } = setup();
    await dispatcher.start();
    await expect(dispatcher.accept(detection({ trigger: 'e1' }), { occurred_at: '2026-11-24 09:00', ingested_at: TIMING.ingested_at })).rejects.toMatchObject({
      code: 'ALERTING.INVALID_TIMING',
      metadata: { field: 'occurred_at' },
    });
    expect([outbox.alertRows.length, outbox.deliveryRows.length, outbox.detectionRows.length]).toEqual([0, 0, 0]);
  });

  it('stores, enqueues and delivers a detection, recording latency from the event and from ingestion', async () => {
    const { dispatcher, outbox, transport, advance } = setup();
    await dispatcher.start();
    const result = accepted(await dispatcher.accept(detection({ trigger: 'e1' }), TIMING));
    advance(250);
    await dispatcher.idle();
    expect(result).toMatchObject({ outcome: 'notified', kind: 'opened', count: 1, suppressed: 0 });
    expect(transport.sent).toHaveLength(1);
    const [delivery] = await outbox.listDeliveries('acme', result.alert_id);
    expect(delivery).toMatchObject({ status: 'delivered', attempt: 1, dispatched_at_ms: T0 + 250 });
    expect(dispatcher.latencySnapshot()).toEqual({
      from_occurred: { count: 1, p50_ms: 3_250, p99_ms: 3_250, max_ms: 3_250 },
      from_ingested: { count: 1, p50_ms: 1_250, p99_ms: 1_250, max_ms: 1_250 },
    });
  });

  it("reads what a crash may have left of a fresh detection once, beside its group's state, before writing its deliveries", async () => {
    const outbox = new InMemoryAlertOutbox();
    const calls: string[] = [];
    for (const method of ['priorEffects', 'latestAlerts', 'enqueue', 'appendDeliveries'] as const) {
      const original = outbox[method].bind(outbox) as (...args: unknown[]) => Promise<unknown>;
      vi.spyOn(outbox, method).mockImplementation(async (...args: unknown[]) => {
        calls.push(`${method} start`);
        const result = await original(...args);
        calls.push(`${method} end`);
        return result as never;
      });
    }
    const { dispatcher, transport } = setup({ outbox, config: { sinks: [HOOK, PD] } });
    await dispatcher.start();
    const result = accepted(await dispatcher.accept(detection({ trigger: 'e1' }), TIMING));
    await dispatcher.idle();
    expect(calls).toEqual(['priorEffects start', 'latestAlerts start', 'priorEffects end', 'latestAlerts end', 'appendDeliveries start', 'appendDeliveries end']);
    expect(result.delivery_ids).toHaveLength(2);
    expect(transport.sent).toHaveLength(2);
  });

  it("sends a fresh detection's deliveries while their pending rows are being written, and records the attempt after them", async () => {
    const outbox = new InMemoryAlertOutbox();
    const { appendDeliveries } = outbox;
    let rowsWritten!: () => void;
    const held = new Promise<void>((resolve) => (rowsWritten = resolve));
    outbox.appendDeliveries = async (deliveries) => {
      await held;
      return appendDeliveries.call(outbox, deliveries);
    };
    const { dispatcher, transport } = setup({ outbox });
    await dispatcher.start();
    const accepting = dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    await vi.waitFor(() => expect(transport.sent).toHaveLength(1));
    expect(outbox.deliveryRows).toEqual([]);

    rowsWritten();
    accepted(await accepting);
    await dispatcher.idle();
    expect(outbox.deliveryRows.map((d) => d.status)).toEqual(['pending', 'delivered']);
  });

  it('when writing the pending rows fails, the alert is out all the same, its attempt stands in for them, and a redelivery sends nothing more', async () => {
    const outbox = outboxFailingFirst('appendDeliveries');
    const { dispatcher, transport } = setup({ outbox });
    await dispatcher.start();
    await expect(dispatcher.accept(detection({ trigger: 'e1' }), TIMING)).rejects.toThrow('storage went away');
    await dispatcher.idle();
    expect(transport.sent).toHaveLength(1);
    expect(outbox.deliveryRows.map((d) => d.status)).toEqual(['delivered']);

    const redelivered = accepted(await dispatcher.accept(detection({ trigger: 'e1' }), TIMING));
    await dispatcher.idle();
    expect(redelivered).toMatchObject({ kind: 'opened', count: 1, delivery_ids: [] });
    expect(transport.sent).toHaveLength(1);
  });

  describe("a batch's detections, accepted together", () => {
    const batch = () => [
      { detection: detection({ trigger: 'b1' }), timing: TIMING },
      { detection: detection({ trigger: 'b2', principal_id: 'agent-9' }), timing: TIMING },
      { detection: detection({ trigger: 'b3' }), timing: TIMING },
      { detection: detection({ trigger: 'b4', tenant: 'globex' }), timing: TIMING },
    ];

    it('get the outcome each gets when accepted alone, in order', async () => {
      const together = setup({ config: { sinks: [HOOK, PD] } });
      const alone = setup({ config: { sinks: [HOOK, PD] } });
      await Promise.all([together.dispatcher.start(), alone.dispatcher.start()]);

      const results = await together.dispatcher.acceptAll(batch());
      const expected: AcceptResult[] = [];
      for (const { detection: d, timing: t } of batch()) expected.push(await alone.dispatcher.accept(d, t));
      await Promise.all([together.dispatcher.idle(), alone.dispatcher.idle()]);

      expect(results).toEqual(expected);
      expect(results.map((r) => accepted(r).count)).toEqual([1, 1, 2, 1]);
      expect(together.transport.sent.length).toBe(alone.transport.sent.length);
      for (const tenant of ['acme', 'globex']) expect(await together.outbox.listAlerts(tenant)).toEqual(await alone.outbox.listAlerts(tenant));
    });

    it('cost one read per tenant and one write per table, whatever their number', async () => {
      const outbox = new InMemoryAlertOutbox();
      const calls: Record<string, number> = {};
      for (const method of ['priorEffects', 'latestAlerts', 'enqueue', 'appendDeliveries', 'saveAlerts', 'recordDetections'] as const) {
        const original = outbox[method].bind(outbox) as (...args: unknown[]) => Promise<unknown>;
        vi.spyOn(outbox, method).mockImplementation(async (...args: unknown[]) => {
          calls[method] = (calls[method] ?? 0) + 1;
          return (await original(...args)) as never;
        });
      }
      const { dispatcher } = setup({ outbox });
      await dispatcher.start();
      await dispatcher.acceptAll(batch());
      await dispatcher.idle();
      expect(calls).toEqual({ priorEffects: 2, latestAlerts: 2, appendDeliveries: 1, saveAlerts: 1, recordDetections: 1 });
      expect(outbox.detectionRows).toHaveLength(4);
    });

    it('count a detection given twice once', async () => {
      const { dispatcher, outbox } = setup();
      await dispatcher.start();
      const twice = [batch()[0], batch()[0]];
      const [first, second] = await dispatcher.acceptAll(twice);
      await dispatcher.idle();
      expect(accepted(first).count).toBe(1);
      expect(second).toEqual({ outcome: 'duplicate', detection_id: twice[0].detection.detection_id });
      expect(outbox.detectionRows).toHaveLength(1);
    });
  });

  it('ignores a detection_id it already has (detections are at-least-once)', async () => {
    const { dispatcher, outbox, transport } = setup();
    await dispatcher.start();
    await dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    const again = await dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    await dispatcher.idle();
    expect(again).toEqual({ outcome: 'duplicate', detection_id: detection({ trigger: 'e1' }).detection_id });
    expect(transport.sent).toHaveLength(1);
    expect(outbox.detectionRows).toHaveLength(1);
    expect((await outbox.listAlerts('acme'))[0].count).toBe(1);
  });

  it('after a crash between storing the alert and the detection, a redelivery only completes the record', async () => {
    const outbox = outboxFailingFirst('recordDetections');
    const { dispatcher, transport } = setup({ outbox });
    await dispatcher.start();
    await expect(dispatcher.accept(detection({ trigger: 'e1' }), TIMING)).rejects.toThrow('storage went away');
    const redelivered = await dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    await dispatcher.idle();
    expect(redelivered).toMatchObject({ kind: 'replayed', outcome: 'notified', count: 1, delivery_ids: [] });
    expect(transport.sent).toHaveLength(1);
    expect(outbox.detectionRows.map((r) => r.outcome)).toEqual(['notified']);
  });

  it('after a crash between enqueuing and storing the alert, a redelivery neither sends twice nor counts twice', async () => {
    const outbox = outboxFailingFirst('saveAlerts');
    const { dispatcher, transport } = setup({ outbox });
    await dispatcher.start();
    await expect(dispatcher.accept(detection({ trigger: 'e1' }), TIMING)).rejects.toThrow('storage went away');
    const redelivered = await dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    await dispatcher.idle();
    expect(redelivered).toMatchObject({ kind: 'opened', count: 1, delivery_ids: [] });
    expect(transport.sent).toHaveLength(1);
    expect((await outbox.listAlerts('acme'))[0]).toMatchObject({ count: 1, revision: 1 });
  });

  it('retries a retriable failure with backoff, keeping every attempt in the history', async () => {
    const { dispatcher, outbox, transport } = setup({ script: [unavailable, unavailable] });
    await dispatcher.start();
    const result = accepted(await dispatcher.accept(detection({ trigger: 'e1' }), TIMING));
    await dispatcher.idle();
    expect(transport.sent).toHaveLength(3);
    expect((await outbox.deliveryHistory('acme', result.delivery_ids[0])).map((d) => [d.revision, d.status, d.attempt, d.error_code])).toEqual([
      [0, 'pending', 0, null],
      [1, 'pending', 1, 'DELIVERY.UNAVAILABLE'],
      [2, 'pending', 2, 'DELIVERY.UNAVAILABLE'],
      [3, 'delivered', 3, null],
    ]);
  });

  it('gives up after max_attempts and lists the delivery as failed for its tenant only', async () => {
    const { dispatcher, transport } = setup({ script: [unavailable, unavailable, unavailable] });
    await dispatcher.start();
    await dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    await dispatcher.idle();
    expect(transport.sent).toHaveLength(3);
    expect((await dispatcher.listFailedDeliveries('acme')).map((d) => [d.sink, d.attempt, d.error_code])).toEqual([['hook', 3, 'DELIVERY.GAVE_UP']]);
    expect(await dispatcher.listFailedDeliveries('globex')).toEqual([]);
  });

  it('fails a pending delivery whose sink is no longer configured', async () => {
    const outbox = new InMemoryAlertOutbox();
    // Enqueued while a PagerDuty sink "pd" was configured, never attempted:
    const planned = new AlertGrouper(alertingConfig({ sinks: [PD] })).decide(null, detection({ trigger: 'e1' }), T0).notifications[0];
    await outbox.enqueue([newDelivery(planned, TIMING, T0)]);
    const { dispatcher, transport } = setup({ outbox });
    expect(await dispatcher.start()).toEqual({ resumed: 1 });
    await dispatcher.idle();
    expect(transport.sent).toEqual([]);
    expect((await outbox.listFailedDeliveries('acme')).map((d) => [d.delivery_id, d.attempt, d.error_code])).toEqual([
      [planned.delivery_id, 0, 'DELIVERY.SINK_NOT_CONFIGURED'],
    ]);
  });

  it('resolves a group once: PagerDuty gets a resolve with the same dedup_key', async () => {
    const { dispatcher, transport } = setup({ config: { sinks: [PD] } });
    await dispatcher.start();
    const d = detection({ trigger: 'e1' });
    await dispatcher.accept(d, TIMING);
    const resolved = await dispatcher.resolve('acme', d.group_key);
    await dispatcher.idle();
    expect(resolved).toMatchObject({ outcome: 'resolved', delivery_ids: [expect.any(String)] });
    expect(transport.sent.map((r) => JSON.parse(r.body).event_action)).toEqual(['trigger', 'resolve']);
    expect(new Set(transport.sent.map((r) => JSON.parse(r.body).dedup_key)).size).toBe(1);
    expect(await dispatcher.resolve('acme', d.group_key)).toEqual({ outcome: 'not_open' });
  });

  it('after stop, refuses work; what was pending stays pending in the outbox', async () => {
    const { dispatcher, outbox } = setup({ script: [unavailable], config: { retry: { initial_delay_ms: 60_000, max_delay_ms: 60_000 } } });
    await dispatcher.start();
    await dispatcher.accept(detection({ trigger: 'e1' }), TIMING);
    await vi.waitFor(async () => expect((await outbox.pendingDeliveries())[0]?.attempt).toBe(1));
    await dispatcher.stop();
    await expect(dispatcher.accept(detection({ trigger: 'e2' }), TIMING)).rejects.toMatchObject({ code: 'ALERTING.STOPPED' });
    expect((await outbox.pendingDeliveries()).map((d) => [d.status, d.attempt])).toEqual([['pending', 1]]);
  });
});
