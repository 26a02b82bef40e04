import type { AgentAction } from '@warden/contracts';

/** An event with its `occurred_at` read once, in epoch milliseconds. */
export interface TimedEvent {
  event: AgentAction;
  atMs: number;
}

/** One piece of evidence: enough to cite the event without keeping it. */
export interface EvidenceRef {
  eventId: string;
  occurredAt: string;
  atMs: number;
}

export function evidenceOf(e: TimedEvent): EvidenceRef {
  return { eventId: e.event.event_id, occurredAt: e.event.occurred_at, atMs: e.atMs };
}

/** What a rule found; the engine adds the rule's identity, ids and group key. */
export interface Finding {
  trigger: TimedEvent;
  /** Every event the finding rests on, the trigger included. */
  evidence: EvidenceRef[];
  count: number;
  summary: string;
}

/**
 * One rule, prepared for evaluation. Stateful kinds keep windows keyed by
 * tenant and group; all state is derived from events alone, in event time,
 * which is what lets `observe` rebuild it after a restart.
 */
export interface RuleEvaluator {
  /**
   * How far back (event time) the rule looks. Replaying this much history
   * through `observe` restores the state it had. 0 for rules without windows.
   */
  readonly lookbackMs: number;
  /** Warm-up: take in an event processed before the restart; find nothing. */
  observe(e: TimedEvent): void;
  /** Live: take in an event and report what it completes. May throw; the engine records it. */
  evaluate(e: TimedEvent): Finding[] | Promise<Finding[]>;
  /**
   * Optional: events about to be stored, before `evaluate` sees them. A rule
   * that reads storage may start those reads now so they overlap the insert;
   * it must not change what `evaluate` will find, and must not throw. The
   * events are not yet timed: this runs on the ingest path, so a rule reads
   * the time only of the events it asks about.
   */
  prefetch?(events: readonly AgentAction[]): void;
  /** Forget state that can no longer matter once event time has reached `watermarkMs`. */
  sweep(watermarkMs: number): void;
  /** Entries held, for memory accounting and tests. */
  stateSize(): number;
}
