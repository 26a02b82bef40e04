import { z } from 'zod';
import { conditionSchema } from '../../condition/condition.schema.js';
import { fieldPathSchema } from '../../condition/field-path.js';
import { durationSchema } from '../../time/duration.js';

/**
 * Fires when, within a sliding `window` of event time, the events matching
 * `when` for one group (tenant is always part of the group) reach
 * `threshold` — counted as events, or as distinct values of `distinct`.
 */
export const thresholdParamsSchema = z.strictObject({
  when: conditionSchema,
  group_by: z.array(fieldPathSchema).min(1).max(4).default(['principal.id']),
  window: durationSchema({ min: '1s', max: '1d' }),
  threshold: z.number().int().min(2).max(10_000),
  distinct: fieldPathSchema.optional(),
});
export type ThresholdParams = z.infer<typeof thresholdParamsSchema>;
