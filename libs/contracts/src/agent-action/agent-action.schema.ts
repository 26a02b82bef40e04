import { z } from 'zod';

/** Limits of contract v1, shared by every ingest path. */
export const EVENT_MAX_BYTES = 64 * 1024;
export const ATTRIBUTES_MAX_BYTES = 32 * 1024;

const nonEmpty = (max: number) => z.string().min(1).max(max);

export const principalKindSchema = z.enum(['agent', 'human', 'service']);
export const sensitivitySchema = z.enum(['public', 'internal', 'confidential', 'restricted']);
export const outcomeSchema = z.enum(['success', 'failure', 'denied']);

/** A dotted lower-case verb such as `permission.grant`: at least two segments. */
export const actionTypeSchema = z
  .string()
  .max(128)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, {
    message: 'expected a dotted lower-case verb such as "data.read" or "permission.grant"',
  });

const attributesSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > ATTRIBUTES_MAX_BYTES) {
    ctx.addIssue({
      code: 'custom',
      message: `attributes serialise to ${size} bytes; at most ${ATTRIBUTES_MAX_BYTES} are allowed`,
    });
  }
});

/**
 * Agent action event, contract v1. The single source of truth for the shape:
 * types are inferred from it and the published JSON Schema is generated from it.
 * Objects are strict so that a producer's typo is reported rather than lost.
 */
export const agentActionSchema = z.strictObject({
  event_id: nonEmpty(128).describe('Idempotency key: the same event_id is stored once per tenant'),
  schema_version: z.literal('1'),
  occurred_at: z.iso.datetime({ offset: true }).describe('RFC 3339 timestamp with offset'),
  tenant: nonEmpty(128),
  principal: z.strictObject({
    id: nonEmpty(256),
    kind: principalKindSchema,
    display_name: nonEmpty(256).optional(),
  }),
  agent: z
    .strictObject({
      id: nonEmpty(256),
      framework: nonEmpty(128).optional(),
      model: nonEmpty(128).optional(),
      on_behalf_of: nonEmpty(256).optional().describe('The human the agent acts for'),
    })
    .optional(),
  action: z.strictObject({
    type: actionTypeSchema,
    name: nonEmpty(256).optional(),
    confirmation: z
      .strictObject({
        required: z.boolean(),
        obtained: z.boolean(),
        by: nonEmpty(256).optional(),
      })
      .optional(),
  }),
  resource: z.strictObject({
    type: nonEmpty(128),
    id: nonEmpty(512),
    name: nonEmpty(512).optional(),
    sensitivity: sensitivitySchema.optional(),
    owner: nonEmpty(256).optional(),
  }),
  permission_change: z
    .strictObject({
      grantee: nonEmpty(256),
      privileges: z.array(nonEmpty(128)).max(256),
      audience_before: z.number().int().nonnegative(),
      audience_after: z.number().int().nonnegative(),
      scope_before: nonEmpty(64).optional(),
      scope_after: nonEmpty(64).optional(),
    })
    .optional(),
  outcome: outcomeSchema,
  source: z.strictObject({
    system: nonEmpty(128),
    session_id: nonEmpty(256).optional(),
    trace_id: nonEmpty(128).optional(),
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  }),
  attributes: attributesSchema.optional(),
});

export type AgentAction = z.infer<typeof agentActionSchema>;
export type PrincipalKind = z.infer<typeof principalKindSchema>;
export type Sensitivity = z.infer<typeof sensitivitySchema>;
export type Outcome = z.infer<typeof outcomeSchema>;
