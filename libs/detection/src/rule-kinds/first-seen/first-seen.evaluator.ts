import { compileCondition, type EventPredicate } from '../../condition/condition.compiler.js';
import { HistoryUnavailableError } from '../../detection.errors.js';
import type { ActionHistoryPort } from '../../history/action-history.port.js';
import type { RuleOf } from '../../rules/rule.schema.js';
import { formatDuration } from '../../time/duration.js';
import { isoFromMs } from '../../time/event-time.js';
import { describeEvent } from '../describe-event.js';
import { evidenceOf, type Finding, type RuleEvaluator, type TimedEvent } from '../rule-evaluator.js';

interface Sighting {
  atMs: number;
  eventId: string;
}

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

  async evaluate(e: TimedEvent): Promise<Finding[]> {
    if (!this.when(e.event)) return [];
    const key = this.key(e);
    const { lookback } = this.rule.params;
    const sinceMs = e.atMs - lookback;
    const cached = this.sightings.get(key);
    if (cached && cached.eventId !== e.event.event_id && cached.atMs >= sinceMs && cached.atMs <= e.atMs) {
      this.remember(key, e);
      return [];
    }
    const { tenant, principal, action, resource } = e.event;
    let prior: boolean;
    try {
      prior = await this.history.hasPrior(tenant, principal.id, action.type, resource.type, isoFromMs(sinceMs), e.event.occurred_at);
    } catch (error) {
      throw new HistoryUnavailableError(error);
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
