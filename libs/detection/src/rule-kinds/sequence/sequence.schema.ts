import { z } from 'zod';
import { conditionSchema } from '../../condition/condition.schema.js';
import { durationSchema } from '../../time/duration.js';

/** Fires on an event matching `then` when the same principal did something matching `first` at most `within` earlier. */
export const sequenceParamsSchema = z.strictObject({
  first: conditionSchema,
  then: conditionSchema,
  within: durationSchema({ min: '1s', max: '1d' }),
});
export type SequenceParams = z.infer<typeof sequenceParamsSchema>;
