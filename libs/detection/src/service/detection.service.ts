import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type UtcInstant, fromClickHouseDateTime64, instantFromDate, isProgrammingError, toClickHouseDateTime64 } from '@warden/common';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import type { AgentAction } from '@warden/contracts';
import { type AfterStoreHandOver, IngestService } from '@warden/ingestion';
import { AgentActionRepository } from '@warden/storage';
import { type Counter, type Histogram, metrics } from '@opentelemetry/api';
import { LOGGER, type Logger, inSpan } from '@warden/telemetry';
import type { DetectionRepository } from '../adapters/detection.repository.js';
import type { Detection } from '../detection/detection.schema.js';
import { DetectionEngine, type RuleError } from '../engine/detection-engine.js';
import type { ActionHistoryPort } from '../history/action-history.port.js';
import { type RuleLoadError, loadRules } from '../rules/rule-loader.js';
import type { Rule } from '../rules/rule.schema.js';
import { ACTION_HISTORY_PORT } from '../history/action-history.port.js';
import { DETECTION_REPOSITORY } from './detection.di-tokens.js';
import { type DetectionContext, DetectionListeners, DetectionsNotStored, type DetectionListener, type ListenerTiming } from './detection-listeners.js';
import { DetectionWriter } from './detection-writer.js';

export interface RulesStatus {
  directories: string[];
  loaded_at: string;
  rules: { id: string; title: string; severity: string; kind: string; enabled: boolean; auto_contain: boolean; file: string | null }[];
  errors: RuleLoadError[];
  evaluation_errors: RuleError[];
  /**
   * Since start: events evaluated, detections raised, listener failures,
   * retried detection writes, and batches whose detections are not written
   * yet or still owed to a listener such as alerting (retried on the
   * checkpoint timer; the checkpoint stays before them).
   */
  counters: { evaluated: number; detections: number; listener_failures: number; write_retries: number; unstored_batches: number };
}

const CHECKPOINT = 'default';
const REPLAY_PAGE = 5000;

/** The shipped `rules/` directory: found upwards from this module, so it works from src and from dist. */
export function shippedRulesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'rules');
    if (existsSync(join(candidate, 'README.md'))) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('the shipped rules/ directory was not found');
    dir = parent;
  }
}

/** Attempts of a batch's detections' write before it is left to the checkpoint timer (about 3 s of backoff at the default policy). */
const DETECTION_WRITE_ATTEMPTS = 5;

/**
 * A batch not seen through: its detections' write failed (written again on
 * the checkpoint timer), or a `raised` listener failed (alerting, when the
 * outbox's storage did), which is called again on that timer. The
 * checkpoint stays before it meanwhile, so after a restart it is evaluated
 * again.
 */
interface UnstoredBatch {
  detections: Detection[];
  context: DetectionContext;
  written: boolean;
  /** `raised` listeners still owed these detections. */
  owed: string[];
  /** Lets the checkpoint move past the batch. */
  finish: () => void;
}

/**
 * Detection inside the ingest path: each batch of newly stored events is
 * evaluated right after it is stored; detections are stored (idempotent by
 * detection_id) and handed to listeners (alerting, automatic containment).
 *
 * Window state survives a restart by being rebuilt from storage: at start,
 * events stored up to the checkpoint are replayed into the windows (warm-up,
 * no detections), then events stored after it are evaluated (catch-up), so
 * a crash between storing and evaluating loses no detection.
 */
@Injectable()
export class DetectionService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private engine!: DetectionEngine;
  private status!: Omit<RulesStatus, 'counters'>;
  private readonly listeners = new DetectionListeners((name, error) => {
    this.counters.listener_failures++;
    this.logger.error({ listener: name, err: error }, 'detection listener failed');
  });
  private readonly inFlight = new Map<number, string>();
  private nextBatch = 0;
  private completedThrough: string | null = null;
  private savedCheckpoint: string | null = null;
  private checkpointTimer?: NodeJS.Timeout;
  private readonly evaluationErrors = new Map<string, RuleError>();
  private readonly counters = { evaluated: 0, detections: 0, listener_failures: 0, write_retries: 0 };
  /** By batch: detections raised and announced whose write has not landed yet. The checkpoint stays before them. */
  private readonly unstored = new Map<number, UnstoredBatch>();
  private stopping = false;
  /** The checkpoint timer's retry of unstored batches, while it runs (a slow write must not start a second one). */
  private writingUnstored: Promise<void> | null = null;
  private readonly writer: DetectionWriter;
  private readonly otel: { latency: Histogram; detections: Counter; ruleErrors: Counter; evaluated: Counter } = (() => {
    const meter = metrics.getMeter('warden');
    return {
      latency: meter.createHistogram('warden.detection.latency.seconds', { unit: 's', advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }, description: 'From an event being stored to its detections being stored' }),
      detections: meter.createCounter('warden.detection.detections', { description: 'Detections raised, by rule and severity' }),
      ruleErrors: meter.createCounter('warden.detection.rule.errors', { description: 'Rule evaluation errors (counted, never blocking ingestion)' }),
      evaluated: meter.createCounter('warden.detection.events.evaluated', { description: 'Events evaluated by the rules' }),
    };
  })();

  constructor(
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(AgentActionRepository) private readonly actions: AgentActionRepository,
    @Inject(DETECTION_REPOSITORY) private readonly detections: DetectionRepository,
    @Inject(ACTION_HISTORY_PORT) private readonly history: ActionHistoryPort,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // An observable, not a counter: the batches waiting for their detections' write now.
    metrics
      .getMeter('warden')
      .createObservableGauge('warden.detection.unstored_batches', { description: 'Evaluated batches whose detections are not written yet (retried; the checkpoint stays before them)' })
      .addCallback((result) => result.observe(this.unstored.size));
    this.writer = new DetectionWriter(detections, {
      policy: config.retry,
      maxAttempts: DETECTION_WRITE_ATTEMPTS,
      shouldContinue: () => !this.stopping,
      onRetry: (error, attempt, delayMs) => {
        this.counters.write_retries++;
        this.logger.warn({ attempt, retry_in_ms: delayMs, err: error }, 'writing detections failed; retrying');
      },
    });
  }

  /** Alerting and automatic containment subscribe here. Returns a function that unsubscribes. */
  addListener(name: string, listener: DetectionListener, options: { on?: ListenerTiming } = {}): () => void {
    return this.listeners.add(name, listener, options);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { rules } = await this.loadRuleSet();
    this.engine = new DetectionEngine(rules, { history: this.history });
    await this.recover();
    // First-seen's history reads start while the batch is inserted, in one statement, so they do not follow the insert.
    this.ingest.addBeforeInsertHook('detection', (events) => this.engine.prefetch(events));
    // A batch a rule could fire on skips ingest's write pacing: the alert does not wait for a fuller insert.
    this.ingest.addUrgencyTest('detection', (events) => this.engine.mayFireOn(events));
    this.ingest.addAfterStoreHook('detection', (events, ingestedAt) => this.onStored(events, ingestedAt));
    this.checkpointTimer = setInterval(() => void this.persistCheckpoint(), 2000);
    this.checkpointTimer.unref();
  }

  /** Retries stop: a batch whose detections are not written keeps the checkpoint before it, so it is evaluated again after the restart. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.checkpointTimer);
    await this.persistCheckpoint();
  }

  rulesStatus(): RulesStatus {
    return { ...this.status, evaluation_errors: [...this.evaluationErrors.values()], counters: { ...this.counters, unstored_batches: this.unstored.size } };
  }

  /** Re-reads the rule directories; rules whose definition did not change keep their window state. */
  async reloadRules(): Promise<RulesStatus> {
    const { rules } = await this.loadRuleSet();
    const result = await this.engine.reload(rules);
    this.logger.info({ kept: result.kept.length, reset: result.reset.length, removed: result.removed.length }, 'rules reloaded');
    return this.rulesStatus();
  }

  private async loadRuleSet(): Promise<{ rules: Rule[] }> {
    const directories = [shippedRulesDir(), ...this.config.detection.ruleDirs];
    const set = await loadRules(directories);
    const fileOf = new Map(set.sources.map((s) => [s.rule_id, s.file]));
    for (const error of set.errors) {
      this.logger.error({ file: error.file, rule_id: error.rule_id, path: error.path, code: error.code }, `rule not loaded: ${error.message}`);
    }
    this.status = {
      directories,
      loaded_at: new Date().toISOString(),
      rules: set.rules.map((r) => ({
        id: r.id,
        title: r.title,
        severity: r.severity,
        kind: r.kind,
        enabled: r.enabled,
        auto_contain: r.auto_contain,
        file: fileOf.get(r.id) ?? null,
      })),
      errors: set.errors,
      evaluation_errors: [],
    };
    return { rules: set.rules.filter((r) => r.enabled) };
  }

  /**
   * The rules see one batch at a time, in store order; the detections they
   * raise then go out (alerts) and are written while the next batch is
   * already being assessed, so a batch with an alert in it does not hold up
   * the detection of the ones behind it. The checkpoint stays before a batch
   * until its detections are out and written.
   */
  private async onStored(events: AgentAction[], ingestedAt: UtcInstant): Promise<AfterStoreHandOver> {
    const id = this.nextBatch++;
    const at = toClickHouseDateTime64(ingestedAt);
    this.inFlight.set(id, at);
    const finish = () => {
      this.inFlight.delete(id);
      if (this.completedThrough === null || at > this.completedThrough) this.completedThrough = at;
    };
    let raised: Detection[];
    try {
      raised = await this.assess(events);
    } catch (error) {
      finish();
      throw error;
    }
    const context = { ingestedAt, events };
    const settled = this.announce(raised, events, ingestedAt).then(
      (owed) => {
        if (owed.length === 0) return finish();
        // An alert that could not be handed over is owed, not dropped: tried again on the timer.
        this.unstored.set(id, { detections: raised, context, written: true, owed, finish });
        throw new Error(`listeners ${owed.join(', ')} failed; they are called again on the checkpoint timer`);
      },
      (error: unknown) => {
        // Alerts went out for these detections: they are written again later rather than lost,
        // unless this is a bug, which a second try would only repeat.
        const owed = error instanceof DetectionsNotStored ? error.owed : [];
        const cause = error instanceof DetectionsNotStored ? error.cause : error;
        if (raised.length > 0 && !isProgrammingError(cause)) this.unstored.set(id, { detections: raised, context, written: false, owed, finish });
        else finish();
        throw cause;
      },
    );
    return { settled };
  }

  /**
   * Rules, then listeners and the detections' write, one after the other (the
   * catch-up after a restart, from `checkpoint`). A listener that fails is
   * owed the detections, as on the live path: called again on the checkpoint
   * timer, with the checkpoint held where the catch-up started meanwhile
   * (catch-up pages go by event time, not ingest time).
   */
  private async evaluate(events: AgentAction[], ingestedAt: UtcInstant, checkpoint: string): Promise<void> {
    // The page is stored already; reading ahead still makes first-seen's questions one statement.
    this.engine.prefetch(events);
    const raised = await this.assess(events);
    const owed = await this.announce(raised, events, ingestedAt);
    if (owed.length === 0) return;
    const id = this.nextBatch++;
    // In flight just after the checkpoint: it stays there.
    this.inFlight.set(id, oneMicrosecondFrom(checkpoint, 1));
    this.unstored.set(id, { detections: raised, context: { ingestedAt, events }, written: true, owed, finish: () => this.inFlight.delete(id) });
    this.logger.warn({ listeners: owed, detections: raised.length }, 'listeners failed during the catch-up; called again on the checkpoint timer');
  }

  /** Runs the rules over a batch (in occurred_at order); rule errors are tallied, never thrown. */
  private assess(events: AgentAction[]): Promise<Detection[]> {
    return inSpan('detection.evaluate', { 'warden.events': events.length }, async (span) => {
      const ordered = [...events].sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : 0));
      const result = await this.engine.evaluate(ordered);
      this.counters.evaluated += events.length;
      this.otel.evaluated.add(events.length);
      for (const e of result.errors) {
        this.otel.ruleErrors.add(e.count, { rule: e.rule_id ?? '', code: e.code });
        const key = `${e.code}/${e.rule_id ?? ''}`;
        const seen = this.evaluationErrors.get(key);
        this.evaluationErrors.set(key, seen ? { ...seen, count: seen.count + e.count } : e);
      }
      span.setAttribute('warden.detections', result.detections.length);
      return result.detections;
    });
  }

  /**
   * Tells the listeners of a batch's detections and stores them; rejects
   * (DetectionsNotStored) if the detections' write failed. Resolves with the
   * `raised` listeners still owed the detections.
   */
  private async announce(detections: Detection[], events: AgentAction[], ingestedAt: UtcInstant): Promise<string[]> {
    let owed: string[] = [];
    if (detections.length > 0) {
      owed = await inSpan('detection.publish', { 'warden.detections': detections.length }, () =>
        this.listeners.publish(detections, { ingestedAt, events }, () => this.writer.write(detections, instantFromDate(new Date()))),
      );
      this.counters.detections += detections.length;
      for (const d of detections) this.otel.detections.add(1, { rule: d.rule_id, severity: d.severity });
    }
    this.otel.latency.record(Date.now() / 1000 - (ingestedAt.epochSeconds + ingestedAt.micros / 1e6));
    return owed;
  }

  /** Warm-up from storage up to the checkpoint, then catch-up of what was stored after it. */
  private async recover(): Promise<void> {
    const checkpoint = await this.detections.checkpoint(CHECKPOINT);
    if (checkpoint === null) return;
    this.completedThrough = checkpoint;
    this.savedCheckpoint = checkpoint;
    const lookbackMs = this.engine.lookback().max_ms;
    // Windows run on event time, so the replay starts a lookback before the latest event time
    // stored by the checkpoint (not before the checkpoint itself, which is ingest time).
    const watermark = await this.actions.latestOccurredAt(checkpoint);
    let warmed = 0;
    if (lookbackMs > 0 && watermark !== null) {
      const w = fromClickHouseDateTime64(watermark);
      const warmFrom = toClickHouseDateTime64({ epochSeconds: Math.floor(w.epochSeconds - lookbackMs / 1000), micros: w.micros });
      warmed = await this.replay({ ingestedUpTo: checkpoint, occurredFrom: warmFrom }, (events) => this.engine.warmUp(events).then(() => undefined));
    }
    const caughtUp = await this.replay({ ingestedAfter: checkpoint }, async (events) => {
      await this.evaluate(events, instantFromDate(new Date()), checkpoint);
    });
    this.logger.info({ checkpoint, warmed_up: warmed, caught_up: caughtUp }, 'detection state rebuilt from storage');
  }

  private async replay(
    filter: { ingestedAfter?: string; ingestedUpTo?: string; occurredFrom?: string },
    each: (events: AgentAction[]) => Promise<void>,
  ): Promise<number> {
    let after: { occurredAt: string; eventId: string } | null = null;
    let total = 0;
    for (;;) {
      const page = await this.actions.replayPage(filter, after, REPLAY_PAGE);
      if (page.events.length === 0) return total;
      await each(page.events);
      total += page.events.length;
      after = page.last;
    }
  }

  /**
   * One more try for each batch not seen through, oldest first: its owed
   * listeners, then its detections' write. Those done let the checkpoint move on.
   */
  private async writeUnstored(): Promise<void> {
    for (const [id, batch] of this.unstored) {
      if (this.stopping) return;
      if (batch.owed.length > 0) {
        batch.owed = await this.listeners.retry(batch.owed, batch.detections, batch.context);
        if (batch.owed.length > 0) {
          this.logger.warn({ batches: this.unstored.size, listeners: batch.owed }, 'detections still owed to listeners; the checkpoint stays before them');
          return;
        }
      }
      const writtenLate = !batch.written;
      if (writtenLate) {
        try {
          await this.detections.insert(batch.detections, instantFromDate(new Date()));
        } catch (error) {
          this.logger.warn({ batches: this.unstored.size, err: error }, 'detections still not written; the checkpoint stays before them');
          return;
        }
        batch.written = true;
        this.counters.detections += batch.detections.length;
      }
      this.unstored.delete(id);
      batch.finish();
      if (writtenLate) await this.listeners.storedLate(batch.detections, batch.context);
    }
  }

  /** Everything stored up to here has been evaluated: the oldest batch still in flight bounds it. */
  private async persistCheckpoint(): Promise<void> {
    if (this.unstored.size > 0 && !this.writingUnstored) {
      this.writingUnstored = this.writeUnstored().finally(() => (this.writingUnstored = null));
      await this.writingUnstored;
    }
    const unfollowed = this.ingest.oldestUnfollowed();
    // Batches in evaluation here, and batches stored but not yet handed over by ingest, bound what is done.
    const pending = [...this.inFlight.values(), ...(unfollowed ? [toClickHouseDateTime64(unfollowed)] : [])].sort()[0];
    let through = this.completedThrough;
    if (pending !== undefined) {
      const bound = oneMicrosecondFrom(pending, -1);
      through = through === null || bound < through ? bound : through;
    }
    if (through === null || through === this.savedCheckpoint) return;
    try {
      await this.detections.saveCheckpoint(CHECKPOINT, through, instantFromDate(new Date()));
      this.savedCheckpoint = through;
    } catch (error) {
      this.logger.warn({ err: error }, 'saving the detection checkpoint failed; will retry');
    }
  }
}

/** The DateTime64(6) text one microsecond after (1) or before (−1) `at`: the checkpoint's bounds around what is in flight. */
function oneMicrosecondFrom(at: string, step: 1 | -1): string {
  const t = fromClickHouseDateTime64(at);
  const micros = t.micros + step;
  if (micros < 0) return toClickHouseDateTime64({ epochSeconds: t.epochSeconds - 1, micros: 999_999 });
  if (micros > 999_999) return toClickHouseDateTime64({ epochSeconds: t.epochSeconds + 1, micros: 0 });
  return toClickHouseDateTime64({ ...t, micros });
}
