import type { AgentAction } from '@warden/contracts';
import { compileCondition, type EventPredicate } from '../../condition/condition.compiler.js';
import type { RuleOf } from '../../rules/rule.schema.js';
import { evidenceOf, type Finding, type RuleEvaluator, type TimedEvent } from '../rule-evaluator.js';

export interface WideningScore {
  audienceWidened: boolean;
  ratio: number;
  scopeSteps: number;
  weight: number;
  points: number;
  score: number;
}

/**
 * Scores each permission change by how much it widens access and how
 * sensitive the resource is (formula on the params schema). Stateless: the
 * event carries before and after, so nothing needs replaying.
 */
export class PermissionWideningEvaluator implements RuleEvaluator {
  readonly lookbackMs = 0;
  private readonly when: EventPredicate | undefined;
  private readonly scopeLevel = new Map<string, number>();

  constructor(private readonly rule: RuleOf<'permission_widening'>) {
    this.when = rule.params.when ? compileCondition(rule.params.when) : undefined;
    rule.params.scope_levels.forEach((level, i) => level.forEach((scope) => this.scopeLevel.set(scope, i)));
  }

  observe(): void {}

  /** Exact: the score is a function of the event alone. */
  mayFireOn(events: readonly AgentAction[]): boolean {
    return events.some((event) => {
      if (!event.permission_change || (this.when && !this.when(event))) return false;
      const s = this.score({ event, atMs: 0 });
      return s.points > 0 && s.score >= this.rule.params.min_score;
    });
  }

  evaluate(e: TimedEvent): Finding[] {
    const change = e.event.permission_change;
    if (!change || (this.when && !this.when(e.event))) return [];
    const s = this.score(e);
    if (s.points === 0 || s.score < this.rule.params.min_score) return [];
    const { resource } = e.event;
    const parts = [
      s.audienceWidened ? `audience ${change.audience_before} → ${change.audience_after} (×${Math.round(s.ratio)})` : undefined,
      s.scopeSteps > 0 ? `scope ${change.scope_before} → ${change.scope_after}` : undefined,
    ].filter((p) => p !== undefined);
    return [
      {
        trigger: e,
        evidence: [evidenceOf(e)],
        count: 1,
        summary: `${e.event.principal.id} widened ${resource.sensitivity ?? 'unlabelled'} ${resource.type} ${resource.id} to ${change.grantee}: ${parts.join(', ')}; score ${s.score} ≥ ${this.rule.params.min_score}`,
      },
    ];
  }

  score(e: TimedEvent): WideningScore {
    const p = this.rule.params;
    const change = e.event.permission_change;
    const weight = p.sensitivity_weights[e.event.resource.sensitivity ?? 'unlabelled'];
    if (!change) return { audienceWidened: false, ratio: 1, scopeSteps: 0, weight, points: 0, score: 0 };
    const ratio = change.audience_after / Math.max(change.audience_before, 1);
    const audienceWidened = change.audience_after >= p.audience.min_after && ratio >= p.audience.min_ratio;
    const from = change.scope_before === undefined ? undefined : this.scopeLevel.get(change.scope_before);
    const to = change.scope_after === undefined ? undefined : this.scopeLevel.get(change.scope_after);
    // An unknown scope cannot be ranked: it adds nothing rather than guessing.
    const scopeSteps = from === undefined || to === undefined ? 0 : Math.max(0, to - from);
    const points = (audienceWidened ? p.points.audience : 0) + scopeSteps * p.points.per_scope_step;
    return { audienceWidened, ratio, scopeSteps, weight, points, score: points * weight };
  }

  sweep(): void {}

  stateSize(): number {
    return 0;
  }
}
