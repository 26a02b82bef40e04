import { z } from 'zod';
import { identityMappingSchema } from '../identity/identity-mapping.js';
import { retryPolicySchema } from '../resilience/with-retry.js';

/** `host:port` of a bootstrap broker. */
const brokerAddress = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'host:port');

export const kafkaAdminSaslSchema = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: z.string().min(1),
});
export type KafkaAdminSasl = z.output<typeof kafkaAdminSaslSchema>;

/**
 * One Kafka cluster: where its brokers are, how Warden's admin client logs
 * in, and how principals map to Kafka users (`User:<identity>`).
 *
 * The admin needs ALTER and DESCRIBE on the CLUSTER resource (or to be a
 * super user) to read, delete and create ACLs.
 */
export const kafkaAclConnectorConfigSchema = z.strictObject({
  kind: z.literal('kafka-acl'),
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,127}$/, 'lower-case letters, digits, "-" and "_"'),
  brokers: z.array(brokerAddress).min(1),
  /** SASL for the admin client; without it the admin connects unauthenticated (as `User:ANONYMOUS` on a PLAINTEXT listener). */
  sasl: kafkaAdminSaslSchema.optional(),
  ssl: z.boolean().default(false),
  client_id: z.string().min(1).max(255).default('warden-connector'),
  identity: identityMappingSchema,
  retry: retryPolicySchema.prefault({}),
  connection_timeout_ms: z.int().min(100).max(60_000).default(3_000),
  /** Bound on any one admin request, so a stuck broker cannot hang an attempt. */
  request_timeout_ms: z.int().min(100).max(600_000).default(10_000),
  /**
   * How long an ACL change may take to show in DescribeAcls. The controller
   * acknowledges a change once it is committed to the metadata log; brokers'
   * authorizers apply it a moment later, so outcomes are read back until
   * they agree or this time is up (then the items not yet changed are
   * reported as not applied).
   */
  propagation_timeout_ms: z.int().min(0).max(60_000).default(5_000),
});
export type KafkaAclConnectorConfigInput = z.input<typeof kafkaAclConnectorConfigSchema>;
export type KafkaAclConnectorConfig = z.output<typeof kafkaAclConnectorConfigSchema>;
