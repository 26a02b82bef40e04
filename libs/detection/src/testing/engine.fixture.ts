import type { AgentAction } from '@warden/contracts';
import { DetectionEngine, type EngineLimits } from '../engine/detection-engine.js';
import type { Detection } from '../detection/detection.schema.js';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import type { ActionHistoryPort } from '../history/action-history.port.js';
import { defineRule, type Rule, type RuleInput } from '../rules/rule.schema.js';

/** Test support only (excluded from the library build). */

/** A rule with the boilerplate filled in: give the kind and params, optionally the id. */
export function rule(input: { id?: string; kind: RuleInput['kind']; params: unknown; severity?: RuleInput['severity']; auto_contain?: boolean; enabled?: boolean }): Rule {
  return defineRule({
    id: input.id ?? `test-${input.kind.replace('_', '-')}`,
    title: `Test ${input.kind}`,
    severity: input.severity ?? 'high',
    rationale: 'test rule',
    kind: input.kind,
    params: input.params,
    ...(input.auto_contain === undefined ? {} : { auto_contain: input.auto_contain }),
    ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
  } as RuleInput);
}

export function engineWith(rules: Rule[], history: ActionHistoryPort = new InMemoryActionHistory(), limits?: Partial<EngineLimits>): DetectionEngine {
  return new DetectionEngine(rules, { history, limits });
}

/** Evaluates, fails the test on any rule error, returns the detections. */
export async function detect(engine: DetectionEngine, events: AgentAction[]): Promise<Detection[]> {
  const { detections, errors } = await engine.evaluate(events);
  if (errors.length > 0) throw new Error(`unexpected rule errors: ${JSON.stringify(errors)}`);
  return detections;
}

/** `rule_id → principal_id → trigger` lines, the shortest exact picture of what fired. */
export function fired(detections: Detection[]): string[] {
  return detections.map((d) => `${d.rule_id} ${d.principal_id} @${d.trigger_event_id}`);
}
