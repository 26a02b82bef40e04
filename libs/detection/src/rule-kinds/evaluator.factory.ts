import type { ActionHistoryPort } from '../history/action-history.port.js';
import type { Rule } from '../rules/rule.schema.js';
import { FirstSeenEvaluator } from './first-seen/first-seen.evaluator.js';
import { MatchEvaluator } from './match/match.evaluator.js';
import { PermissionWideningEvaluator } from './permission-widening/permission-widening.evaluator.js';
import type { RuleEvaluator } from './rule-evaluator.js';
import { SequenceEvaluator } from './sequence/sequence.evaluator.js';
import { ThresholdEvaluator } from './threshold/threshold.evaluator.js';

export interface EvaluatorLimits {
  /** Most entries one window key holds (a threshold rule keeps at least `threshold`). */
  maxEntriesPerKey: number;
  /** Most (principal, action type, resource type) sightings a first-seen rule remembers. */
  firstSeenCacheSize: number;
}

/** Prepares a validated rule. Throws on a rule that bypassed validation (the engine records it). */
export function createEvaluator(rule: Rule, deps: { history: ActionHistoryPort; limits: EvaluatorLimits }): RuleEvaluator {
  switch (rule.kind) {
    case 'match':
      return new MatchEvaluator(rule);
    case 'threshold':
      return new ThresholdEvaluator(rule, deps.limits);
    case 'sequence':
      return new SequenceEvaluator(rule, deps.limits);
    case 'first_seen':
      return new FirstSeenEvaluator(rule, deps.history, deps.limits);
    case 'permission_widening':
      return new PermissionWideningEvaluator(rule);
    default: {
      const unknown: never = rule;
      throw new TypeError(`unknown rule kind: ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}
