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
  /**
   * Optional: whether `evaluate` may find something in these events, judged
   * as they arrive, before they are stored, from each event and the state
   * the rule holds now. Ingest writes such a batch without waiting out its
   * pacing, so an alert is not held for a fuller insert. It is a hint, not a
   * verdict: "false" where the rule then fires costs that alert the pacing
   * (batches ahead of this one may not have reached the rule's state yet),
   * "true" costs the engine one more, smaller insert. A rule without it is
   * taken to fire on anything. It sees every event: keep it cheap. Changes no state.
   */
  mayFireOn?(events: readonly AgentAction[]): boolean;
  /** Forget state that can no longer matter once event time has reached `watermarkMs`. */
  sweep(watermarkMs: number): void;
  /** Entries held, for memory accounting and tests. */
  stateSize(): number;
}
