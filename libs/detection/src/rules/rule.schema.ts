import { z } from 'zod';
import { InvalidRuleError } from '../detection.errors.js';
import { firstSeenParamsSchema } from '../rule-kinds/first-seen/first-seen.schema.js';
import { matchParamsSchema } from '../rule-kinds/match/match.schema.js';
import { permissionWideningParamsSchema } from '../rule-kinds/permission-widening/permission-widening.schema.js';
import { sequenceParamsSchema } from '../rule-kinds/sequence/sequence.schema.js';
import { thresholdParamsSchema } from '../rule-kinds/threshold/threshold.schema.js';
import { ruleBaseShape } from './rule-common.schema.js';

/**
 * A detection rule as written in YAML. The kind selects the shape of `params`.
 * Durations are written as text (`60s`) and parsed to milliseconds, so the
 * parsed `Rule` carries numbers.
 */
export const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...ruleBaseShape, kind: z.literal('match'), params: matchParamsSchema }),
  z.strictObject({ ...ruleBaseShape, kind: z.literal('threshold'), params: thresholdParamsSchema }),
  z.strictObject({ ...ruleBaseShape, kind: z.literal('sequence'), params: sequenceParamsSchema }),
  z.strictObject({ ...ruleBaseShape, kind: z.literal('first_seen'), params: firstSeenParamsSchema }),
  z.strictObject({ ...ruleBaseShape, kind: z.literal('permission_widening'), params: permissionWideningParamsSchema }),
]);

/** A rule as written (durations as text, defaults optional). */
export type RuleInput = z.input<typeof ruleSchema>;
/** A validated rule, as the engine takes it. */
export type Rule = z.output<typeof ruleSchema>;
export type RuleOf<K extends Rule['kind']> = Extract<Rule, { kind: K }>;

export interface RuleIssue {
  /** Dotted path inside the rule (`params.when.all.1.regex`); empty for the rule itself. */
  path: string;
  message: string;
}

export type RuleCheck = { ok: true; rule: Rule } | { ok: false; rule_id: string | null; issues: RuleIssue[] };

/** Best effort: the id of a rule that failed validation, so its errors can name it. */
export function extractRuleId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as Record<string, unknown>).id;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

export function toRuleIssues(error: z.ZodError): RuleIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key].map(String).join('.'), message: 'unknown key' }))
      : [{ path: issue.path.map(String).join('.'), message: issue.message }],
  );
}

export function checkRule(value: unknown): RuleCheck {
  const parsed = ruleSchema.safeParse(value);
  if (parsed.success) return { ok: true, rule: parsed.data };
  return { ok: false, rule_id: extractRuleId(value), issues: toRuleIssues(parsed.error) };
}

/** For rules built in code (tests, embedded defaults): validates or throws InvalidRuleError. */
export function defineRule(input: RuleInput): Rule {
  const check = checkRule(input);
  if (!check.ok) throw new InvalidRuleError(check.rule_id, check.issues);
  return check.rule;
}
