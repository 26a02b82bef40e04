import { z } from 'zod';
import { outcomeSchema, sensitivitySchema } from '../agent-action/agent-action.schema.js';

export const ACTION_QUERY_MAX_LIMIT = 1000;

const text = (max: number) => z.string().min(1).max(max);

/**
 * Filters of `GET /v1/actions`. Unknown parameters are an error: a typo such
 * as `principle=` must not quietly widen a query to the whole tenant.
 */
export const actionQuerySchema = z
  .strictObject({
    principal: text(256).optional(),
    agent: text(256).optional(),
    action: z
      .string()
      .max(128)
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]*)*$/, {
        message: 'expected an action type ("data.read") or a prefix ending in "." ("permission.")',
      })
      .optional()
      .describe('Exact action type, or a prefix ending in "."'),
    resource_type: text(128).optional(),
    resource_id: text(512).optional(),
    outcome: outcomeSchema.optional(),
    sensitivity: sensitivitySchema.optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Inclusive lower bound on occurred_at'),
    to: z.iso.datetime({ offset: true }).optional().describe('Exclusive upper bound on occurred_at'),
    limit: z.coerce
      .number({ message: 'expected a number' })
      .int('expected a whole number')
      .min(1, 'expected at least 1')
      .max(ACTION_QUERY_MAX_LIMIT, `expected at most ${ACTION_QUERY_MAX_LIMIT}`)
      .default(100),
    cursor: z.string().min(1).max(1024).optional().describe('Opaque cursor from a previous page'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: '"from" must be earlier than "to"',
    path: ['from'],
  });

export type ActionQuery = z.infer<typeof actionQuerySchema>;
