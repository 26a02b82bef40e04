import { z } from 'zod';
import { conditionSchema } from '../../condition/condition.schema.js';
import { durationSchema } from '../../time/duration.js';

/**
 * Fires on an event matching `when` whose principal has not done this action
 * type on this resource type during the trailing `lookback`.
 */
export const firstSeenParamsSchema = z.strictObject({
  when: conditionSchema,
  lookback: durationSchema({ min: '1h', max: '365d' }),
});
export type FirstSeenParams = z.infer<typeof firstSeenParamsSchema>;
