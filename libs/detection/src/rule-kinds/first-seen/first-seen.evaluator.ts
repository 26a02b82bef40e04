import type { AgentAction } from '@warden/contracts';
import { compileCondition, type EventPredicate } from '../../condition/condition.compiler.js';
import { HistoryUnavailableError } from '../../detection.errors.js';
import type { ActionHistoryPort, PriorQuestion } from '../../history/action-history.port.js';
import type { RuleOf } from '../../rules/rule.schema.js';
import { formatDuration } from '../../time/duration.js';
import { eventTimeMs, isoFromMs } from '../../time/event-time.js';
import { describeEvent } from '../describe-event.js';
import { evidenceOf, type Finding, type RuleEvaluator, type TimedEvent } from '../rule-evaluator.js';

interface Sighting {
  atMs: number;
  eventId: string;
}

/** A history answer asked for ahead of evaluation; it never rejects (a failed read is asked again when evaluated). */
type EarlyAnswer = Promise<{ prior: boolean } | { failed: true }>;

/** Early answers kept per rule at most; the oldest unused go first. */
const MAX_EARLY_ANSWERS = 10_000;

/**
 * "Principal does an action type on a resource type it has not done in the
 * trailing N days." The stored history (the port) is the authority, so this
 * rule needs no replay after a restart (lookback 0).
 *
 * A bounded cache of recent sightings answers repeats without asking the port,
 * and covers the gap while the store has not yet made this batch's events
 * visible: the second grant in a batch is not "first" even if ClickHouse does
 * not have the first one yet. A sighting counts only if it is a different,
 * earlier event, so redelivering an event reaches the port and the same answer.
 * Sightings are recorded only after the port answered: a failed lookup must
 * not turn the next event into a silent "seen before".
 */
export class FirstSeenEvaluator implements RuleEvaluator {
  readonly lookbackMs = 0;
  private readonly when: EventPredicate;
  private readonly sightings = new Map<string, Sighting>();
  /** By event (id and time): history answers asked for while the event's batch was being inserted. */
  private readonly early = new Map<string, EarlyAnswer>();

  constructor(
    private readonly rule: RuleOf<'first_seen'>,
    private readonly history: ActionHistoryPort,
    private readonly limits: { firstSeenCacheSize: number },
  ) {
    this.when = compileCondition(rule.params.when);
  }

  observe(e: TimedEvent): void {
    if (this.when(e.event)) this.remember(this.key(e), e);
  }

  /**
   * Asks the history now, while the batch is being inserted, and in one read,
   * what `evaluate` will ask about the earliest matching event of each key in it. The answer
   * does not depend on whether the batch is in yet: the read stops before the
   * event's own time, and nothing of its key in the batch is earlier. Later
   * events of a key are answered by the sightings, as in `evaluate`.
   */
  prefetch(events: readonly AgentAction[]): void {
    const earliest = new Map<string, TimedEvent>();
    for (const event of events) {
      if (!this.when(event)) continue;
      let e: TimedEvent;
      try {
        e = { event, atMs: eventTimeMs(event.occurred_at) };
      } catch {
        continue; // evaluate reports the bad time; there is nothing to read ahead for it.
      }
      const key = this.key(e);
      const first = earliest.get(key);
      if (!first || e.atMs < first.atMs) earliest.set(key, e);
    }
    const asked = [...earliest].filter(([key, e]) => !this.sighted(key, e) && !this.early.has(earlyId(e))).map(([, e]) => e);
    if (asked.length === 0) return;
    // One read for the whole batch: the engine's cost per statement is most of a single lookup.
    const answers = this.history.hasPriorMany(asked.map((e) => this.question(e))).then(
      (priors) => priors,
      () => null,
    );
    asked.forEach((e, i) => this.early.set(earlyId(e), answers.then((priors) => (priors ? { prior: priors[i] } : { failed: true as const }))));
    // Bounded: answers for batches that were never evaluated (their insert failed) age out.
    while (this.early.size > MAX_EARLY_ANSWERS) {
      const oldest = this.early.keys().next().value;
      if (oldest === undefined) break;
      this.early.delete(oldest);
    }
  }

  /** A matching event of a key sighted earlier in the lookback is "seen before" for certain; any other may be a first. */
  mayFireOn(events: readonly AgentAction[]): boolean {
    return events.some((event) => {
      if (!this.when(event)) return false;
      let e: TimedEvent;
      try {
        e = { event, atMs: eventTimeMs(event.occurred_at) };
      } catch {
        return true;
      }
      return !this.sighted(this.key(e), e);
    });
  }

  async evaluate(e: TimedEvent): Promise<Finding[]> {
    if (!this.when(e.event)) return [];
    const key = this.key(e);
    const { lookback } = this.rule.params;
    const id = earlyId(e);
    const early = this.early.get(id);
    if (early) this.early.delete(id);
    if (this.sighted(key, e)) {
      this.remember(key, e);
      return [];
    }
    const { action, resource, principal } = e.event;
    const answer = early ? await early : undefined;
    let prior: boolean;
    if (answer && 'prior' in answer) prior = answer.prior;
    else {
      try {
        prior = await this.ask(e);
      } catch (error) {
        throw new HistoryUnavailableError(error);
      }
    }
    this.remember(key, e);
    if (prior) return [];
    return [
      {
        trigger: e,
        evidence: [evidenceOf(e)],
        count: 1,
        summary: `first ${action.type} on a ${resource.type} by ${principal.id} in ${formatDuration(lookback)}: ${describeEvent(e.event)}`,
      },
    ];
  }

  /** A different, earlier event of the key within the lookback answers "seen before" without asking the history. */
  private sighted(key: string, e: TimedEvent): boolean {
    const cached = this.sightings.get(key);
    return cached !== undefined && cached.eventId !== e.event.event_id && cached.atMs >= e.atMs - this.rule.params.lookback && cached.atMs <= e.atMs;
  }

  private ask(e: TimedEvent): Promise<boolean> {
    const q = this.question(e);
    return this.history.hasPrior(q.tenant, q.principalId, q.actionType, q.resourceType, q.sinceIso, q.beforeIso);
  }

  /** Whether the principal did this in the lookback before the event's own time (so the event itself never counts). */
  private question(e: TimedEvent): PriorQuestion {
    const { tenant, principal, action, resource } = e.event;
    return { tenant, principalId: principal.id, actionType: action.type, resourceType: resource.type, sinceIso: isoFromMs(e.atMs - this.rule.params.lookback), beforeIso: e.event.occurred_at };
  }

  private key(e: TimedEvent): string {
    return JSON.stringify([e.event.tenant, e.event.principal.id, e.event.action.type, e.event.resource.type]);
  }

  /** Latest sighting per key; least recently touched keys go first when full (Map keeps insertion order). */
  private remember(key: string, e: TimedEvent): void {
    const current = this.sightings.get(key);
    this.sightings.delete(key);
    this.sightings.set(key, current && current.atMs > e.atMs ? current : { atMs: e.atMs, eventId: e.event.event_id });
    while (this.sightings.size > this.limits.firstSeenCacheSize) {
      const oldest = this.sightings.keys().next().value;
      if (oldest === undefined) break;
      this.sightings.delete(oldest);
    }
  }

  sweep(watermarkMs: number): void {
    const cutoff = watermarkMs - this.rule.params.lookback;
    for (const [key, s] of this.sightings) if (s.atMs < cutoff) this.sightings.delete(key);
  }

  stateSize(): number {
    return this.sightings.size;
  }
}

/** The same event (a redelivery included) asks the same question: its id and time name the answer. */
function earlyId(e: TimedEvent): string {
  return `${e.event.event_id}\u0000${e.event.occurred_at}`;
}
