import type { AgentAction } from '@warden/contracts';
import { compileCondition, type EventPredicate } from '../../condition/condition.compiler.js';
import type { RuleOf } from '../../rules/rule.schema.js';
import { formatDuration } from '../../time/duration.js';
import { describeEvent } from '../describe-event.js';
import { evidenceOf, type Finding, type RuleEvaluator, type TimedEvent } from '../rule-evaluator.js';
import { KeyedWindows, windowKey, type WindowEntry } from '../window/keyed-windows.js';

/**
 * "A then B by the same principal within T". Keeps the A events of each
 * tenant + principal for T; a B event fires when any A precedes it (same
 * instant included) within T. The decision depends only on events in
 * (t − T, t], so replaying T of history rebuilds it (lookback = within).
 * An event matching both A and B is checked as B first, so it never pairs
 * with itself.
 */
export class SequenceEvaluator implements RuleEvaluator {
  readonly lookbackMs: number;
  private readonly first: EventPredicate;
  private readonly then: EventPredicate;
  private readonly windows: KeyedWindows<string>;

  constructor(
    private readonly rule: RuleOf<'sequence'>,
    limits: { maxEntriesPerKey: number },
  ) {
    this.lookbackMs = rule.params.within;
    this.first = compileCondition(rule.params.first);
    this.then = compileCondition(rule.params.then);
    this.windows = new KeyedWindows<string>(rule.params.within, limits.maxEntriesPerKey);
  }

  observe(e: TimedEvent): void {
    this.remember(e);
  }

  /** A second step whose principal has a first step held, or one in the same batch; a first step alone needs no hurry. */
  mayFireOn(events: readonly AgentAction[]): boolean {
    let firstsHere: Set<string> | undefined;
    const seconds: string[] = [];
    for (const event of events) {
      const second = this.then(event);
      const first = this.first(event);
      if (!second && !first) continue;
      const key = windowKey(event.tenant, [event.principal.id]);
      if (second) {
        if (this.windows.count(key) > 0) return true;
        seconds.push(key);
      }
      if (first) (firstsHere ??= new Set()).add(key);
    }
    return firstsHere !== undefined && seconds.some((key) => firstsHere.has(key));
  }

  evaluate(e: TimedEvent): Finding[] {
    const findings: Finding[] = [];
    if (this.then(e.event)) {
      const firsts = this.windows.range(this.key(e), e.atMs, e.event.event_id);
      if (firsts.length > 0) findings.push(this.finding(e, firsts));
    }
    this.remember(e);
    return findings;
  }

  private remember(e: TimedEvent): void {
    if (!this.first(e.event)) return;
    this.windows.add(this.key(e), { atMs: e.atMs, eventId: e.event.event_id, occurredAt: e.event.occurred_at, value: describeEvent(e.event) });
  }

  private key(e: TimedEvent): string {
    return windowKey(e.event.tenant, [e.event.principal.id]);
  }

  private finding(e: TimedEvent, firsts: WindowEntry<string>[]): Finding {
    const latest = firsts[firsts.length - 1];
    const more = firsts.length > 1 ? ` (and ${firsts.length - 1} earlier)` : '';
    return {
      trigger: e,
      evidence: [...firsts.map((f) => ({ eventId: f.eventId, occurredAt: f.occurredAt, atMs: f.atMs })), evidenceOf(e)],
      count: firsts.length + 1,
      summary: `within ${formatDuration(this.rule.params.within)}: first ${latest.value}${more}; then ${describeEvent(e.event)}`,
    };
  }

  sweep(watermarkMs: number): void {
    this.windows.sweep(watermarkMs);
  }

  stateSize(): number {
    return this.windows.entryCount;
  }
}
