import { z } from 'zod';
import { conditionSchema } from '../../condition/condition.schema.js';

const weight = z.number().min(0).max(100);

/**
 * Scores a permission change and fires when the score reaches `min_score`:
 *
 *   points = (audience widened ? points.audience : 0)
 *          + scope levels climbed × points.per_scope_step
 *   score  = points × sensitivity_weights[resource.sensitivity]
 *
 * "Audience widened" needs both a ratio (`audience_after / max(audience_before, 1)`)
 * and an absolute size, so that 1 → 3 people (×3) and 10 000 → 10 100 (+100) both
 * stay quiet. Scopes are free-form strings in the contract, so their order is
 * configuration: levels from narrowest to widest, synonyms on one level.
 */
export const permissionWideningParamsSchema = z
  .strictObject({
    when: conditionSchema.optional(),
    audience: z.strictObject({
      min_ratio: z.number().min(1),
      min_after: z.number().int().min(0),
    }),
    scope_levels: z.array(z.array(z.string().min(1)).min(1)).min(2).max(20),
    sensitivity_weights: z.strictObject({
      public: weight,
      internal: weight,
      confidential: weight,
      restricted: weight,
      /** Resources without a sensitivity label. */
      unlabelled: weight,
    }),
    points: z
      .strictObject({
        audience: z.number().min(0).max(100),
        per_scope_step: z.number().min(0).max(100),
      })
      .default({ audience: 2, per_scope_step: 1 }),
    // Strictly positive: a weight of 0 (e.g. public resources) must mean "never fires".
    min_score: z.number().positive(),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.scope_levels.forEach((level, i) =>
      level.forEach((scope, j) => {
        if (seen.has(scope)) {
          ctx.addIssue({ code: 'custom', path: ['scope_levels', i, j], message: `scope "${scope}" is already on level ${seen.get(scope)}` });
        }
        seen.set(scope, i);
      }),
    );
  });
export type PermissionWideningParams = z.infer<typeof permissionWideningParamsSchema>;
