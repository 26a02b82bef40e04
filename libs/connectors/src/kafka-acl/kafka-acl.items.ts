import { z } from 'zod';

/**
 * What a Kafka principal can hold, as items: one ALLOW ACL binding each, in
 * the broker's own words (resource type, pattern type and operation by name,
 * not by protocol number), so a snapshot reads in an incident timeline. The
 * principal (`User:<identity>`) is not part of the item: it is the one being
 * contained, and restoring an item always binds it to that principal again.
 *
 * Only ALLOW bindings are holdings. A DENY binding takes access away; removing
 * it during a containment could widen what the agent may do (through an ALLOW
 * on `User:*`, say), so DENY bindings are never snapshotted, revoked or restored.
 */
export const kafkaResourceTypeSchema = z.enum(['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN']);
export type KafkaResourceType = z.infer<typeof kafkaResourceTypeSchema>;

/** How `resource_name` is matched: exactly, or as a prefix of resource names. */
export const kafkaPatternTypeSchema = z.enum(['LITERAL', 'PREFIXED']);
export type KafkaPatternType = z.infer<typeof kafkaPatternTypeSchema>;

/**
 * The operations the admin protocol of kafkajs can express. Kafka also knows
 * CREATE_TOKENS, DESCRIBE_TOKENS and TWO_PHASE_COMMIT; a binding with one of
 * those cannot be restored by this connector, so a snapshot that meets one
 * fails instead of silently leaving it out.
 */
export const kafkaOperationSchema = z.enum([
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
]);
export type KafkaOperation = z.infer<typeof kafkaOperationSchema>;

export const kafkaAclSchema = z.strictObject({
  kind: z.literal('kafka.acl'),
  resource_type: kafkaResourceTypeSchema,
  /** `*` with LITERAL is Kafka's wildcard: every resource of the type. */
  resource_name: z.string().min(1).max(32_767),
  pattern_type: kafkaPatternTypeSchema,
  operation: kafkaOperationSchema,
  permission_type: z.literal('ALLOW'),
  /** The client host the binding applies to; `*` for any. */
  host: z.string().min(1).max(255),
});
export type KafkaAcl = z.infer<typeof kafkaAclSchema>;

export const kafkaAccessItemSchema = z.discriminatedUnion('kind', [kafkaAclSchema]);
export type KafkaAccessItem = z.infer<typeof kafkaAccessItemSchema>;
