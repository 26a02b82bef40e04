import { z } from 'zod';
import { conditionSchema } from '../../condition/condition.schema.js';

/** Fires on every event that satisfies `when`. */
export const matchParamsSchema = z.strictObject({
  when: conditionSchema,
});
export type MatchParams = z.infer<typeof matchParamsSchema>;
