import { z } from 'zod';

export const severitySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof severitySchema>;

export const ruleKindSchema = z.enum(['match', 'threshold', 'sequence', 'first_seen', 'permission_widening']);
export type RuleKind = z.infer<typeof ruleKindSchema>;

/** Kebab-case ids: they end up in group keys, alert titles and URLs. */
export const ruleIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'expected a kebab-case id such as "mass-deletion-burst"' });

/** Fields every rule has, whatever its kind. */
export const ruleBaseShape = {
  id: ruleIdSchema,
  title: z.string().min(1).max(200),
  severity: severitySchema,
  rationale: z
    .string()
    .min(1)
    .max(300)
    .regex(/^[^\r\n]*$/, { message: 'the rationale is one line; put longer reasoning in a YAML comment' }),
  enabled: z.boolean().default(true),
  /** Whether a detection may contain the principal without a human (response decides; this only marks it). */
  auto_contain: z.boolean().default(false),
};
