import { z } from 'zod';

/**
 * What a database role can hold, as items. Names, not OIDs: a snapshot must
 * be readable in an incident timeline and survive a dump/restore of the
 * catalog. `grantor` is part of every grant's identity because PostgreSQL
 * keeps one ACL entry per (grantee, grantor): the same SELECT granted by two
 * roles is two items, and revoking one leaves the other.
 */
const name = z.string().min(1).max(63);

export const relationKindSchema = z.enum([
  'table',
  'view',
  'materialized_view',
  'sequence',
  'foreign_table',
  'partitioned_table',
]);
export type RelationKind = z.infer<typeof relationKindSchema>;

/** Privileges on tables and their relatives; USAGE only exists for sequences, MAINTAIN from PostgreSQL 17. */
export const relationPrivilegeSchema = z.enum([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'USAGE',
  'MAINTAIN',
]);
export const columnPrivilegeSchema = z.enum(['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']);
export const schemaPrivilegeSchema = z.enum(['USAGE', 'CREATE']);
export const databasePrivilegeSchema = z.enum(['CONNECT', 'CREATE', 'TEMPORARY']);

const grant = { grantable: z.boolean(), grantor: name };

export const pgLoginSchema = z.strictObject({ kind: z.literal('pg.login') });

export const pgDatabaseGrantSchema = z.strictObject({
  kind: z.literal('pg.database'),
  database: name,
  privilege: databasePrivilegeSchema,
  ...grant,
});

export const pgSchemaGrantSchema = z.strictObject({
  kind: z.literal('pg.schema'),
  schema: name,
  privilege: schemaPrivilegeSchema,
  ...grant,
});

export const pgRelationGrantSchema = z.strictObject({
  kind: z.literal('pg.relation'),
  schema: name,
  relation: name,
  relation_kind: relationKindSchema,
  privilege: relationPrivilegeSchema,
  ...grant,
});

export const pgColumnGrantSchema = z.strictObject({
  kind: z.literal('pg.column'),
  schema: name,
  relation: name,
  column: name,
  privilege: columnPrivilegeSchema,
  ...grant,
});

/**
 * Membership in another role. `inherit` and `set` are per-membership options
 * from PostgreSQL 16; before that they do not exist (null), and inheritance
 * is a property of the member role instead.
 */
export const pgMembershipSchema = z.strictObject({
  kind: z.literal('pg.membership'),
  role: name,
  admin_option: z.boolean(),
  inherit_option: z.boolean().nullable(),
  set_option: z.boolean().nullable(),
  grantor: name,
});

export const postgresAccessItemSchema = z.discriminatedUnion('kind', [
  pgLoginSchema,
  pgDatabaseGrantSchema,
  pgSchemaGrantSchema,
  pgRelationGrantSchema,
  pgColumnGrantSchema,
  pgMembershipSchema,
]);
export type PostgresAccessItem = z.infer<typeof postgresAccessItemSchema>;
export type PostgresAccessItemOf<K extends PostgresAccessItem['kind']> = Extract<PostgresAccessItem, { kind: K }>;
