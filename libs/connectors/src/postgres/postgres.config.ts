import { z } from 'zod';
import { identityMappingSchema } from '../identity/identity-mapping.js';
import { ownedResourcesSchema } from '../permission-change.js';
import { retryPolicySchema } from '../resilience/with-retry.js';

/**
 * One PostgreSQL target: which server and database, how principals map to
 * roles, and the bounds on each operation. Object grants are read in
 * `connection.database`; role-level state (LOGIN, memberships) and database
 * grants are cluster-wide, so one connector per database shares them.
 *
 * The login must be able to change the agent's roles: a superuser, or a
 * CREATEROLE role that is a member of every grantor (restoring a grant "as"
 * its original grantor needs SET ROLE to it) and of pg_signal_backend.
 */
export const postgresConnectorConfigSchema = z.strictObject({
  kind: z.literal('postgres'),
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,127}$/, 'lower-case letters, digits, "-" and "_"'),
  connection: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.int().min(1).max(65_535).default(5432),
    database: z.string().min(1),
    user: z.string().min(1),
    password: z.string().optional(),
    ssl: z.boolean().default(false),
  }),
  identity: identityMappingSchema,
  retry: retryPolicySchema.prefault({}),
  /** Server-side bound on any one statement, so a blocked GRANT cannot hang an attempt. */
  statement_timeout_ms: z.int().min(100).max(600_000).default(10_000),
  /**
   * Server-side bound on waiting for a lock (a catalog row another
   * transaction is changing). The wait then fails as retriable (SQLSTATE
   * 55P03) and is tried again with backoff, instead of sitting in the lock
   * queue for the whole statement or attempt timeout.
   */
  lock_timeout_ms: z.int().min(100).max(600_000).default(5_000),
  /** How long to wait for each terminated session to go away. */
  terminate_wait_ms: z.int().min(0).max(60_000).default(5_000),
  pool_size: z.int().min(1).max(20).default(2),
  /**
   * Resource types (agent actions' `resource.type`) whose permission changes
   * this connector may revert, e.g. `[{ type: 'postgres.table' }]`. Their
   * `resource.id` names a relation as `schema.relation` or
   * `database.schema.relation` (then only in `connection.database`).
   */
  resources: ownedResourcesSchema,
});
export type PostgresConnectorConfigInput = z.input<typeof postgresConnectorConfigSchema>;
export type PostgresConnectorConfig = z.output<typeof postgresConnectorConfigSchema>;
