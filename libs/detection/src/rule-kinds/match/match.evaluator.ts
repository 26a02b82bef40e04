import type { AgentAction } from '@warden/contracts';
import { compileCondition, type EventPredicate } from '../../condition/condition.compiler.js';
import type { RuleOf } from '../../rules/rule.schema.js';
import { describeEvent } from '../describe-event.js';
import { evidenceOf, type Finding, type RuleEvaluator, type TimedEvent } from '../rule-evaluator.js';

/** Stateless: each matching event is a finding of its own. Grouping them is alerting's job (group_key). */
export class MatchEvaluator implements RuleEvaluator {
  readonly lookbackMs = 0;
  private readonly when: EventPredicate;

  constructor(rule: RuleOf<'match'>) {
    this.when = compileCondition(rule.params.when);
  }

  observe(): void {}

  mayFireOn(events: readonly AgentAction[]): boolean {
    return events.some(this.when);
  }

  evaluate(e: TimedEvent): Finding[] {
    if (!this.when(e.event)) return [];
    return [{ trigger: e, evidence: [evidenceOf(e)], count: 1, summary: describeEvent(e.event) }];
  }

  sweep(): void {}

  stateSize(): number {
    return 0;
  }
}
