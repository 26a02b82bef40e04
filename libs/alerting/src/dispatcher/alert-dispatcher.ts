import { KeyedMutex, parseRfc3339, retry } from '@warden/common';
import type { Detection } from '@warden/detection';
import { DispatcherNotStartedError, DispatcherStoppedError, InvalidDetectionTimingError } from '../alerting.errors.js';
import { silentLogger, type AlertingLogger } from '../alerting.logger.js';
import type { AlertingConfig } from '../config/alerting-config.schema.js';
import { AlertGrouper, type PlannedNotification } from '../core/alert-grouper.js';
import { deliveryIdFor } from '../core/alert-ids.js';
import type { AlertState, DetectionOutcome } from '../core/alert.model.js';
import { DetectionLatency, type DetectionLatencySnapshot } from '../latency/latency-histogram.js';
import type { AlertOutbox, DeliveryRecord, DetectionRecord, DetectionTiming, PriorEffects } from '../outbox/alert-outbox.port.js';
import type { AlertSink } from '../sinks/alert-sink.js';
import { fetchTransport, type HttpTransport } from '../sinks/http-transport.js';
import { createSinks } from '../sinks/sink.factory.js';
import { AttemptRecorder } from './attempt-recorder.js';
import { afterAttempt, newDelivery, sinkNotConfigured } from './delivery-policy.js';

export interface AlertDispatcherDeps {
  config: AlertingConfig;
  outbox: AlertOutbox;
  /** Built from `config.sinks` when absent. */
  sinks?: ReadonlyMap<string, AlertSink>;
  transport?: HttpTransport;
  /** Epoch ms. */
  clock?: () => number;
  /** For the backoff's jitter. */
  random?: () => number;
  logger?: AlertingLogger;
  /** Group states kept in memory; others are read back from the outbox when needed. */
  cacheSize?: number;
  /** Told the outcome of every delivery attempt (for metrics). */
  onAttempt?: (attempt: { sink: string; outcome: 'delivered' | 'retry' | 'failed'; fromIngestedMs?: number }) => void;
}

export type AcceptResult =
  | { outcome: 'duplicate'; detection_id: string }
  | {
      outcome: DetectionOutcome;
      /** `replayed`: a redelivery of a detection whose effects were stored before a crash; only its record was missing. */
      kind: 'opened' | 'grouped' | 'replayed';
      alert_id: string;
      count: number;
      suppressed: number;
      /** Deliveries this call enqueued. */
      delivery_ids: string[];
    };

export type ResolveResult = { outcome: 'resolved'; alert_id: string; delivery_ids: string[] } | { outcome: 'not_open' };

const key = (tenant: string, groupKey: string) => `${tenant}\u0000${groupKey}`;

/** Storage writes after an attempt are retried this often before the dispatcher gives up on recording it. */
const RECORD_ATTEMPTS = 5;

/**
 * From detections to sinks, through the outbox:
 *
 * 1. `accept(detection)`, or `acceptAll` for a batch's: under the groups'
 *    locks, skip a detection_id already stored (detections are
 *    at-least-once; this read also finds the detection's deliveries a crash
 *    left behind), decide with the AlertGrouper, start sending the
 *    deliveries while writing them (pending) to the outbox, then store the
 *    alert state and the detection. The order makes a crash at any point
 *    safe: whatever was not stored is redone when the detection is
 *    delivered again, and redoing lands on the same ids.
 * 2. Each delivery is attempted; every outcome is appended to the outbox.
 *    Retriable failures come back after a capped, jittered backoff;
 *    permanent ones stay listed as failed.
 * 3. `start()` reads every pending delivery back and schedules it, so what
 *    was pending when the process stopped is sent after the restart.
 *
 * Delivery is at-least-once: a crash between a receiver's 2xx and its
 * record means one more send after restart (PagerDuty dedups by dedup_key,
 * webhook receivers by X-Warden-Delivery). One process owns a group at a time
 * (Warden partitions by principal); the lock is per process.
 */
export class AlertDispatcher {
  private readonly grouper: AlertGrouper;
  private readonly sinks: ReadonlyMap<string, AlertSink>;
  private readonly transport: HttpTransport;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly logger: AlertingLogger;
  private readonly cacheSize: number;
  private readonly locks = new KeyedMutex();
  private readonly cache = new Map<string, AlertState>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly latency = new DetectionLatency();
  private readonly recorder: AttemptRecorder;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(private readonly deps: AlertDispatcherDeps) {
    this.grouper = new AlertGrouper(deps.config);
    this.sinks = deps.sinks ?? createSinks(deps.config.sinks);
    this.transport = deps.transport ?? fetchTransport;
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger ?? silentLogger;
    this.cacheSize = deps.cacheSize ?? 10_000;
    this.recorder = new AttemptRecorder(deps.outbox);
  }

  /** Picks up every pending delivery (those from before a restart included) and schedules it. */
  async start(): Promise<{ resumed: number }> {
    if (this.state === 'stopped') throw new DispatcherStoppedError();
    if (this.state === 'running') return { resumed: 0 };
    const pending = await this.deps.outbox.pendingDeliveries();
    this.state = 'running';
    for (const delivery of pending) this.schedule(delivery);
    this.logger.info({ resumed: pending.length, sinks: [...this.sinks.keys()] }, 'alert dispatcher started');
    return { resumed: pending.length };
  }

  /** Stops scheduling, waits for attempts under way to be recorded. Pending deliveries stay in the outbox. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight.values()]);
    this.settleIdle();
  }

  /** `timing`: when the detection's trigger event occurred and when Warden ingested it (RFC 3339), for latency. */
  async accept(detection: Detection, timing: DetectionTiming): Promise<AcceptResult> {
    const [result] = await this.acceptAll([{ detection, timing }]);
    return result;
  }

  /**
   * A batch's detections at once, each with the outcome `accept` would give
   * it in this order: under all their groups' locks (taken in one order, so
   * batches that share groups cannot deadlock), one read of what the outbox
   * already has, then one write per table (deliveries, alerts, detection
   * records, in the crash-safe order). The engine's cost per statement is
   * paid per batch, not per detection, which is what an alert storm needs.
   * Rejects as a whole if a write fails: a redelivery redoes what is missing.
   */
  async acceptAll(items: readonly { detection: Detection; timing: DetectionTiming }[]): Promise<AcceptResult[]> {
    this.assertRunning();
    for (const { detection, timing } of items) {
      for (const field of ['occurred_at', 'ingested_at'] as const) {
        try {
          parseRfc3339(timing[field]);
        } catch {
          throw new InvalidDetectionTimingError(detection.detection_id, field);
        }
      }
    }
    if (items.length === 0) return [];
    const groups = [...new Set(items.map(({ detection: d }) => key(d.tenant, d.group_key)))].sort();
    return this.underLocks(groups, () => this.acceptLocked(items));
  }

  private async acceptLocked(items: readonly { detection: Detection; timing: DetectionTiming }[]): Promise<AcceptResult[]> {
    const { outbox } = this.deps;
    // A trigger's delivery ids depend only on the sink and the detection, so what a crash may
    // have left of these detections is read in one statement per tenant, beside the groups' states.
    const triggerIdsOf = (d: Detection) => this.deps.config.sinks.map((s) => deliveryIdFor(s.name, 'trigger', d.detection_id));
    const tenants = [...new Set(items.map(({ detection: d }) => d.tenant))];
    const states = new Map<string, AlertState | null>();
    const prior = new Map<string, PriorEffects>();
    await Promise.all(
      tenants.map(async (tenant) => {
        const mine = items.filter(({ detection: d }) => d.tenant === tenant).map(({ detection: d }) => d);
        const [effects] = await Promise.all([
          outbox.priorEffects(tenant, mine.map((d) => d.detection_id), mine.flatMap(triggerIdsOf)),
          this.loadStates(tenant, mine.map((d) => d.group_key), states),
        ]);
        prior.set(tenant, effects);
      }),
    );
    const now = this.clock();
    const recorded = new Set<string>();
    const results: AcceptResult[] = [];
    const fresh: DeliveryRecord[] = [];
    const alerts: AlertState[] = [];
    const records: DetectionRecord[] = [];
    for (const { detection, timing } of items) {
      const effects = prior.get(detection.tenant) as PriorEffects;
      const id = `${detection.tenant}\u0000${detection.detection_id}`;
      if (effects.recorded_detection_ids.has(detection.detection_id) || recorded.has(id)) {
        results.push({ outcome: 'duplicate', detection_id: detection.detection_id });
        continue;
      }
      recorded.add(id);
      const group = key(detection.tenant, detection.group_key);
      const previous = states.get(group) ?? null;
      if (previous !== null && previous.last_detection_id === detection.detection_id) {
        records.push({ detection, alert_id: previous.alert_id, outcome: previous.last_outcome, received_at_ms: now, timing });
        results.push({ outcome: previous.last_outcome, kind: 'replayed', alert_id: previous.alert_id, count: previous.count, suppressed: previous.suppressed, delivery_ids: [] });
        continue;
      }
      const decision = this.grouper.decide(previous, detection, now);
      // A detection plans only triggers, whose ids were looked up above: those stored are not written again.
      const deliveries = decision.notifications.map((p) => newDelivery(p, timing, now));
      fresh.push(...deliveries.filter((d) => !effects.stored_delivery_ids.has(d.delivery_id)));
      states.set(group, decision.alert);
      alerts.push(decision.alert);
      records.push({ detection, alert_id: decision.alert.alert_id, outcome: decision.outcome, received_at_ms: now, timing });
      if (decision.suppressed_sinks.length > 0) {
        this.logger.info(
          { alert_id: decision.alert.alert_id, detection_id: detection.detection_id, suppressed_sinks: decision.suppressed_sinks, count: decision.alert.count },
          'notification throttled; the detection is counted in its alert',
        );
      }
      results.push({
        outcome: decision.outcome,
        kind: decision.kind,
        alert_id: decision.alert.alert_id,
        count: decision.alert.count,
        suppressed: decision.alert.suppressed,
        delivery_ids: deliveries.map((d) => d.delivery_id),
      });
    }
    // The deliveries are sent while their pending rows are written, then the alerts, then the
    // records. The send does not wait for that write (one fsync'd insert: 58 ms at p50 and
    // 232 ms at p99 at 5,000 events/s, one run). Until acceptAll resolves, the caller has not seen the
    // detection through (detection keeps its checkpoint before the batch), so a crash before then
    // has it accepted again, and redoing lands on the same ids; a send can repeat, as after any
    // crash between a 2xx and its record. If the write fails, the alert is out all the same and
    // its attempt's row (the whole delivery) stands in for the pending one.
    const enqueued = outbox.appendDeliveries(fresh);
    for (const delivery of fresh) this.schedule(delivery, enqueued);
    await enqueued;
    await outbox.saveAlerts(alerts);
    for (const alert of alerts) this.remember(alert);
    await outbox.recordDetections(records);
    const sent = new Set(fresh.map((d) => d.delivery_id));
    return results.map((r) => (r.outcome === 'duplicate' ? r : { ...r, delivery_ids: r.delivery_ids.filter((d) => sent.has(d)) }));
  }

  /** Nested in one global order (sorted keys), so batches that share groups cannot deadlock. */
  private underLocks<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    return keys.length === 0 ? task() : this.locks.run(keys[0], () => this.underLocks(keys.slice(1), task));
  }

  /** Fills `states` for the tenant's groups: from memory, else in one read (null where a group has no alert). */
  private async loadStates(tenant: string, groupKeys: readonly string[], states: Map<string, AlertState | null>): Promise<void> {
    const missing: string[] = [];
    for (const g of new Set(groupKeys)) {
      const cached = this.cache.get(key(tenant, g));
      if (cached !== undefined) states.set(key(tenant, g), cached);
      else missing.push(g);
    }
    if (missing.length === 0) return;
    const stored = await this.deps.outbox.latestAlerts(tenant, missing);
    for (const g of missing) {
      const alert = stored.get(g) ?? null;
      states.set(key(tenant, g), alert);
      if (alert !== null) this.remember(alert);
    }
  }

  /** Resolves the group's open alert: PagerDuty (and webhook) sinks that were triggered are told. */
  async resolve(tenant: string, groupKey: string): Promise<ResolveResult> {
    this.assertRunning();
    return this.locks.run(key(tenant, groupKey), async () => {
      const now = this.clock();
      const decision = this.grouper.resolve(await this.current(tenant, groupKey), now);
      if (decision === null) return { outcome: 'not_open' };
      if (decision.unknown_sinks.length > 0) {
        this.logger.warn({ alert_id: decision.alert.alert_id, sinks: decision.unknown_sinks }, 'resolve not sent to sinks that are no longer configured');
      }
      const enqueued = await this.enqueue(decision.notifications, null, now);
      await this.deps.outbox.saveAlerts([decision.alert]);
      this.remember(decision.alert);
      return { outcome: 'resolved', alert_id: decision.alert.alert_id, delivery_ids: enqueued };
    });
  }

  /** Resolves once no attempt is under way and none is scheduled: every delivery is delivered or failed. */
  idle(): Promise<void> {
    if (this.timers.size === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  latencySnapshot(): DetectionLatencySnapshot {
    return this.latency.snapshot();
  }

  listFailedDeliveries(tenant: string, limit?: number): Promise<DeliveryRecord[]> {
    return this.deps.outbox.listFailedDeliveries(tenant, limit);
  }

  private assertRunning(): void {
    if (this.state === 'new') throw new DispatcherNotStartedError();
    if (this.state === 'stopped') throw new DispatcherStoppedError();
  }

  /** Writes the deliveries that are not stored yet, then schedules them: "enqueue before send". */
  private async enqueue(planned: PlannedNotification[], timing: DetectionTiming | null, now: number): Promise<string[]> {
    const fresh = await this.deps.outbox.enqueue(planned.map((p) => newDelivery(p, p.action === 'trigger' ? timing : null, now)));
    for (const delivery of fresh) this.schedule(delivery);
    return fresh.map((d) => d.delivery_id);
  }

  private async current(tenant: string, groupKey: string): Promise<AlertState | null> {
    const states = new Map<string, AlertState | null>();
    await this.loadStates(tenant, [groupKey], states);
    return states.get(key(tenant, groupKey)) ?? null;
  }

  /** Least recently used groups are forgotten first; they are read back from the outbox when they return. */
  private remember(alert: AlertState): void {
    const k = key(alert.tenant, alert.group_key);
    this.cache.delete(k);
    this.cache.set(k, alert);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** `enqueued`: the write of the delivery's pending row, when it is under way; the attempt's record follows it. */
  private schedule(delivery: DeliveryRecord, enqueued?: Promise<void>): void {
    const id = delivery.delivery_id;
    if (this.state !== 'running' || this.timers.has(id) || this.inFlight.has(id)) return;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      const attempt = this.attempt(delivery, enqueued)
        .then(
          (next) => {
            // Out of flight first, so that the retry can be scheduled under the same id.
            this.inFlight.delete(id);
            if (next.status === 'pending') this.schedule(next);
          },
          (error: unknown) => {
            this.inFlight.delete(id);
            this.logger.error({ delivery_id: id, sink: delivery.sink, err: describe(error) }, 'delivery attempt failed unexpectedly');
          },
        )
        .finally(() => this.settleIdle());
      this.inFlight.set(id, attempt);
    }, Math.max(0, delivery.next_attempt_at_ms - this.clock()));
    // A scheduled retry must not keep a process alive that is otherwise done (e.g. the CLI).
    timer.unref();
    this.timers.set(id, timer);
  }

  /** One attempt, its outcome recorded; returns the delivery's new state. */
  private async attempt(delivery: DeliveryRecord, enqueued?: Promise<void>): Promise<DeliveryRecord> {
    const sink = this.sinks.get(delivery.sink);
    let next: DeliveryRecord;
    if (sink === undefined) {
      next = sinkNotConfigured(delivery, this.clock());
    } else {
      const request = sink.request(delivery.notification, { delivery_id: delivery.delivery_id, now_ms: this.clock() });
      const outcome = await this.transport.post(request, this.deps.config.retry.timeout_ms);
      next = afterAttempt(delivery, outcome, this.clock(), this.deps.config.retry, this.random);
    }
    // Highest revision wins either way; in this order the attempt log also reads in order.
    await enqueued?.catch(() => undefined);
    const recorded = await this.record(next);
    const fields = { delivery_id: next.delivery_id, alert_id: next.alert_id, sink: next.sink, action: next.action, attempt: next.attempt };
    this.deps.onAttempt?.({
      sink: next.sink,
      outcome: next.status === 'delivered' ? 'delivered' : next.status === 'pending' ? 'retry' : 'failed',
      fromIngestedMs: next.status === 'delivered' && next.timing && next.dispatched_at_ms !== null ? next.dispatched_at_ms - Date.parse(next.timing.ingested_at) : undefined,
    });
    if (next.status === 'delivered') {
      if (next.timing !== null && next.dispatched_at_ms !== null) this.latency.record(next.dispatched_at_ms, next.timing.occurred_at, next.timing.ingested_at);
      this.logger.info(fields, 'alert delivered');
      if (!recorded) this.logger.error(fields, 'delivered but not recorded; it may be sent again after a restart');
    } else if (next.status === 'pending') {
      this.logger.warn({ ...fields, error_code: next.error_code, error: next.last_error, retry_in_ms: next.next_attempt_at_ms - this.clock() }, 'alert delivery will be retried');
    } else {
      this.logger.error({ ...fields, error_code: next.error_code, error: next.last_error }, 'alert delivery failed');
    }
    return next;
  }

  /**
   * Appends the attempt's outcome (with those that come in meanwhile: AttemptRecorder), retrying storage a few times. Storage
   * errors are not typed, so any is retried, boundedly; if it still fails
   * the in-memory state carries on (a pending delivery is still retried) and
   * the outbox catches up with the next record.
   */
  private async record(delivery: DeliveryRecord): Promise<boolean> {
    try {
      await retry({
        policy: { initialMs: this.deps.config.retry.initial_delay_ms, maxMs: this.deps.config.retry.max_delay_ms },
        isRetriable: () => true,
        maxAttempts: RECORD_ATTEMPTS,
        shouldContinue: () => this.state === 'running',
        task: () => this.recorder.record(delivery),
      });
      return true;
    } catch (error) {
      this.logger.error({ delivery_id: delivery.delivery_id, err: describe(error) }, 'could not record a delivery attempt');
      return false;
    }
  }

  private settleIdle(): void {
    if (this.timers.size > 0 || this.inFlight.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
