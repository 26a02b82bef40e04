import { DomainError, KeyedMutex, canonicalJson } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { EVALUATION_ERROR } from '../detection.errors.js';
import { MAX_EVIDENCE_IDS, detectionId, groupKey, type Detection } from '../detection/detection.schema.js';
import type { ActionHistoryPort } from '../history/action-history.port.js';
import { createEvaluator, type EvaluatorLimits } from '../rule-kinds/evaluator.factory.js';
import type { Finding, RuleEvaluator, TimedEvent } from '../rule-kinds/rule-evaluator.js';
import type { Rule } from '../rules/rule.schema.js';
import { eventTimeMs } from '../time/event-time.js';

export interface EngineLimits extends EvaluatorLimits {
  /**
   * Slack added to every window before state is swept, in event time.
   * Batches mix principals from several partitions whose clocks may lag one
   * another; without slack, a fast partition could sweep a slow one's window.
   */
  sweepGraceMs: number;
  /** Most event ids kept on one RuleError as examples. */
  maxErrorSamples: number;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = {
  maxEntriesPerKey: 1_000,
  firstSeenCacheSize: 50_000,
  sweepGraceMs: 5 * 60_000,
  maxErrorSamples: 5,
};

export interface DetectionEngineDeps {
  history: ActionHistoryPort;
  limits?: Partial<EngineLimits>;
}

/**
 * A failure while evaluating, counted: one rule failing on 10 000 events is
 * one RuleError with count 10 000, not 10 000 log lines. `rule_id` is null
 * for failures that concern an event rather than a rule (unreadable time).
 */
export interface RuleError {
  code: string;
  rule_id: string | null;
  message: string;
  count: number;
  /** The first few events it happened on. */
  event_ids: string[];
}

export interface EvaluationResult {
  detections: Detection[];
  errors: RuleError[];
}

export interface WarmUpResult {
  /** Events taken in (those with a readable time). */
  replayed: number;
  errors: RuleError[];
}

export interface ReloadResult {
  /** Same definition as before: state kept. */
  kept: string[];
  /** New, or definition changed: state starts empty (warm these up with `warmUp(events, { ruleIds })`). */
  reset: string[];
  removed: string[];
  /** Rules that cannot run (see `setupErrors`). */
  errors: RuleError[];
}

export interface Lookback {
  /** The event-time span to replay through `warmUp` after a restart: the largest of `by_rule`. */
  max_ms: number;
  by_rule: Record<string, number>;
}

interface ActiveRule {
  rule: Rule;
  fingerprint: string;
  evaluator: RuleEvaluator;
}

/**
 * Runs rules over events and returns detections. Pure apart from the
 * history port: no clock, no I/O of its own.
 *
 * Restart. All window state is a function of recent events in event time, so
 * it survives a restart by replay: after constructing the engine, feed it
 * every stored event with occurred_at ≥ (first event to process live) −
 * `lookback().max_ms` through `warmUp`, in occurred_at order, then continue
 * with `evaluate`. Each rule needs its own window of history (threshold:
 * `window`; sequence: `within`; match, first_seen and permission_widening:
 * none, since first-seen asks the stored history directly). Warm-up finds
 * nothing; events that overlap between the replay and live delivery are
 * counted once (windows are idempotent by event_id), and re-evaluating an
 * event yields the same detection_id, so detections are at-least-once with a
 * key to dedupe by.
 *
 * Order. Events are processed in occurred_at order (each batch is sorted,
 * stably); across batches, each principal's events are expected in order,
 * as Kafka's partitioning by principal delivers them. A late event is slotted
 * into its window if the window still covers it.
 *
 * Failure. A rule that throws (or whose history lookup fails) is recorded in
 * `errors` and the other rules still see the event; evaluate never rejects
 * because of a rule. Calls are serialised: a second evaluate waits for the first.
 */
export class DetectionEngine {
  private active: ActiveRule[] = [];
  private problems: RuleError[] = [];
  private readonly limits: EngineLimits;
  private readonly mutex = new KeyedMutex();
  private watermarkMs = Number.NEGATIVE_INFINITY;

  constructor(
    rules: readonly Rule[],
    private readonly deps: DetectionEngineDeps,
  ) {
    this.limits = { ...DEFAULT_ENGINE_LIMITS, ...deps.limits };
    this.install(rules, new Map());
  }

  /** Rules handed over that cannot run (duplicate id, or not a valid rule); the others run. */
  get setupErrors(): readonly RuleError[] {
    return this.problems;
  }

  /** Ids of the rules that run, in order. Disabled rules are not among them. */
  get ruleIds(): string[] {
    return this.active.map((a) => a.rule.id);
  }

  lookback(): Lookback {
    const by_rule = Object.fromEntries(this.active.map((a) => [a.rule.id, a.evaluator.lookbackMs]));
    return { max_ms: Math.max(0, ...Object.values(by_rule)), by_rule };
  }

  /** Entries held per rule: what bounded memory looks like in practice. */
  stateSize(): Record<string, number> {
    return Object.fromEntries(this.active.map((a) => [a.rule.id, a.evaluator.stateSize()]));
  }

  evaluate(events: readonly AgentAction[]): Promise<EvaluationResult> {
    return this.serially(async () => {
      const errors = new ErrorTally(this.limits.maxErrorSamples);
      const detections: Detection[] = [];
      const emitted = new Set<string>();
      const rules = this.active;
      for (const e of this.timed(events, errors)) {
        for (const { rule, evaluator } of rules) {
          let findings: Finding[];
          try {
            findings = await evaluator.evaluate(e);
          } catch (error) {
            errors.add(codeOf(error), rule.id, messageOf(error), e.event.event_id);
            continue;
          }
          for (const f of findings) {
            const d = toDetection(rule, f);
            // The same event twice in one batch is one detection.
            if (emitted.has(d.detection_id)) continue;
            emitted.add(d.detection_id);
            detections.push(d);
          }
        }
      }
      this.sweep(rules);
      return { detections, errors: errors.list() };
    });
  }

  /**
   * Events about to be stored, handed over before `evaluate` sees them: rules
   * that read the stored history (first-seen) start those reads now, so they
   * overlap the insert instead of following it. Changes no window state, and
   * what `evaluate` finds stays the same. Not serialised: it only reads.
   */
  prefetch(events: readonly AgentAction[]): void {
    for (const { evaluator } of this.active) evaluator.prefetch?.(events);
  }

  /**
   * Whether some rule may fire on these events, judged as they arrive,
   * before they are stored (each rule's `mayFireOn`, a hint). Ingest writes
   * such a batch without waiting out its pacing. A rule that cannot tell, or
   * throws (evaluate will record why), counts as "may fire". Changes no
   * state; not serialised.
   */
  mayFireOn(events: readonly AgentAction[]): boolean {
    if (events.length === 0) return false;
    return this.active.some(({ evaluator }) => {
      try {
        return evaluator.mayFireOn?.(events) ?? true;
      } catch {
        return true;
      }
    });
  }

  /**
   * Rebuilds window state from events processed before a restart (see the
   * class comment for how much to replay). Finds nothing. `ruleIds` limits
   * the replay to some rules, e.g. those a reload reset.
   */
  warmUp(events: readonly AgentAction[], options: { ruleIds?: readonly string[] } = {}): Promise<WarmUpResult> {
    return this.serially(async () => {
      const errors = new ErrorTally(this.limits.maxErrorSamples);
      const wanted = options.ruleIds ? new Set(options.ruleIds) : undefined;
      const rules = this.active.filter((a) => !wanted || wanted.has(a.rule.id));
      let replayed = 0;
      for (const e of this.timed(events, errors)) {
        replayed++;
        for (const { rule, evaluator } of rules) {
          try {
            evaluator.observe(e);
          } catch (error) {
            errors.add(codeOf(error), rule.id, messageOf(error), e.event.event_id);
          }
        }
      }
      this.sweep(rules);
      return { replayed, errors: errors.list() };
    });
  }

  /**
   * Swaps in a new rule set (e.g. after `loadRules` ran again) without a
   * restart. A rule whose definition is unchanged keeps its window state.
   */
  reload(rules: readonly Rule[]): Promise<ReloadResult> {
    return this.serially(async () => {
      const previous = new Map(this.active.map((a) => [a.rule.id, a]));
      this.install(rules, previous);
      const now = new Set(this.active.map((a) => a.rule.id));
      const kept = this.active.filter((a) => previous.get(a.rule.id)?.evaluator === a.evaluator).map((a) => a.rule.id);
      const keptSet = new Set(kept);
      return {
        kept,
        reset: this.active.map((a) => a.rule.id).filter((id) => !keptSet.has(id)),
        removed: [...previous.keys()].filter((id) => !now.has(id)),
        errors: [...this.problems],
      };
    });
  }

  private install(rules: readonly Rule[], previous: Map<string, ActiveRule>): void {
    const problems = new ErrorTally(this.limits.maxErrorSamples);
    const active: ActiveRule[] = [];
    const seen = new Set<string>();
    for (const rule of rules) {
      if (seen.has(rule.id)) {
        problems.add(EVALUATION_ERROR.DUPLICATE_RULE_ID, rule.id, `rule id "${rule.id}" is given more than once; the first one runs`);
        continue;
      }
      seen.add(rule.id);
      if (rule.enabled === false) continue;
      const fingerprint = canonicalJson(rule);
      const old = previous.get(rule.id);
      if (old && old.fingerprint === fingerprint) {
        active.push(old);
        continue;
      }
      try {
        active.push({ rule, fingerprint, evaluator: createEvaluator(rule, { history: this.deps.history, limits: this.limits }) });
      } catch (error) {
        problems.add(EVALUATION_ERROR.RULE_NOT_RUNNABLE, rule.id, messageOf(error));
      }
    }
    this.active = active;
    this.problems = problems.list();
  }

  /** Reads each event's time once and sorts by it (stable, so per-principal order within a tie is kept). */
  private timed(events: readonly AgentAction[], errors: ErrorTally): TimedEvent[] {
    const out: TimedEvent[] = [];
    for (const event of events) {
      try {
        out.push({ event, atMs: eventTimeMs(event.occurred_at) });
      } catch (error) {
        errors.add(EVALUATION_ERROR.BAD_EVENT_TIME, null, messageOf(error), event.event_id);
      }
    }
    out.sort((a, b) => a.atMs - b.atMs);
    if (out.length > 0) this.watermarkMs = Math.max(this.watermarkMs, out[out.length - 1].atMs);
    return out;
  }

  private sweep(rules: readonly ActiveRule[]): void {
    if (!Number.isFinite(this.watermarkMs)) return;
    for (const { evaluator } of rules) evaluator.sweep(this.watermarkMs - this.limits.sweepGraceMs);
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    return this.mutex.run('engine', task);
  }
}

function toDetection(rule: Rule, f: Finding): Detection {
  const { event } = f.trigger;
  const evidence = [...f.evidence].sort((a, b) => a.atMs - b.atMs);
  return {
    detection_id: detectionId(rule.id, event.tenant, event.event_id),
    group_key: groupKey(rule.id, event.tenant, event.principal.id),
    rule_id: rule.id,
    rule_kind: rule.kind,
    severity: rule.severity,
    title: rule.title,
    summary: f.summary,
    tenant: event.tenant,
    principal_id: event.principal.id,
    trigger_event_id: event.event_id,
    evidence_event_ids: evidence.slice(-MAX_EVIDENCE_IDS).map((x) => x.eventId),
    first_seen: evidence[0].occurredAt,
    last_seen: evidence[evidence.length - 1].occurredAt,
    count: f.count,
    auto_contain: rule.auto_contain,
  };
}

class ErrorTally {
  private readonly byKey = new Map<string, RuleError>();

  constructor(private readonly maxSamples: number) {}

  add(code: string, ruleId: string | null, message: string, eventId?: string): void {
    const key = JSON.stringify([ruleId, code]);
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { code, rule_id: ruleId, message, count: 0, event_ids: [] };
      this.byKey.set(key, entry);
    }
    entry.count++;
    if (eventId !== undefined && entry.event_ids.length < this.maxSamples) entry.event_ids.push(eventId);
  }

  list(): RuleError[] {
    return [...this.byKey.values()];
  }
}

function codeOf(error: unknown): string {
  return error instanceof DomainError ? error.code : EVALUATION_ERROR.RULE_FAILED;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

