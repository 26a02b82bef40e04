import { escapeIdentifier as q } from 'pg';
import type { PostgresAccessItem, PostgresAccessItemOf } from './postgres.items.js';

/**
 * The SQL that changes one item, and the role to run it as. Identifiers are
 * quoted with pg's escapeIdentifier and privileges come from closed zod
 * enums, so nothing from an item reaches the SQL unquoted.
 *
 * `runAs` is the item's grantor for object privileges. PostgreSQL records as
 * grantor the role that runs GRANT (a superuser's GRANT is recorded as the
 * object owner's), and a REVOKE removes only the grants made by the role that
 * runs it; `GRANTED BY` is accepted for object privileges only when it names
 * the current role. So restoring "granted by X" exactly, and revoking X's
 * grant rather than the owner's, both mean acting as X (SET ROLE X).
 * Memberships are different: `GRANTED BY` is honoured there, so they run as
 * the connector's own login.
 */
export interface Statement {
  readonly sql: string;
  readonly runAs: string | null;
}

function objectClause(item: PostgresAccessItemOf<'pg.relation' | 'pg.column' | 'pg.schema' | 'pg.database'>): string {
  switch (item.kind) {
    case 'pg.database':
      return `ON DATABASE ${q(item.database)}`;
    case 'pg.schema':
      return `ON SCHEMA ${q(item.schema)}`;
    case 'pg.relation':
      // USAGE exists only ON SEQUENCE; every other relation kind is addressed as a TABLE.
      return `ON ${item.relation_kind === 'sequence' ? 'SEQUENCE' : 'TABLE'} ${q(item.schema)}.${q(item.relation)}`;
    case 'pg.column':
      return `ON TABLE ${q(item.schema)}.${q(item.relation)}`;
  }
}

function privilegeClause(item: PostgresAccessItemOf<'pg.relation' | 'pg.column' | 'pg.schema' | 'pg.database'>): string {
  return item.kind === 'pg.column' ? `${item.privilege} (${q(item.column)})` : item.privilege;
}

function membershipOptions(item: PostgresAccessItemOf<'pg.membership'>): string {
  if (item.inherit_option === null && item.set_option === null) return item.admin_option ? ' WITH ADMIN OPTION' : '';
  // PostgreSQL 16+: every option explicit, so the membership is re-created exactly.
  const options = [`ADMIN ${item.admin_option ? 'TRUE' : 'FALSE'}`];
  if (item.inherit_option !== null) options.push(`INHERIT ${item.inherit_option ? 'TRUE' : 'FALSE'}`);
  if (item.set_option !== null) options.push(`SET ${item.set_option ? 'TRUE' : 'FALSE'}`);
  return ` WITH ${options.join(', ')}`;
}

export function grantStatement(item: PostgresAccessItem, role: string): Statement {
  switch (item.kind) {
    case 'pg.login':
      return { sql: `ALTER ROLE ${q(role)} LOGIN`, runAs: null };
    case 'pg.membership':
      return {
        sql: `GRANT ${q(item.role)} TO ${q(role)}${membershipOptions(item)} GRANTED BY ${q(item.grantor)}`,
        runAs: null,
      };
    default:
      return {
        sql: `GRANT ${privilegeClause(item)} ${objectClause(item)} TO ${q(role)}${item.grantable ? ' WITH GRANT OPTION' : ''}`,
        runAs: item.grantor,
      };
  }
}

/**
 * RESTRICT (the default): if the agent passed a privilege on with its grant
 * option, the revoke fails for that item instead of cascading into other
 * roles' grants, which the snapshot does not hold and rollback could not
 * give back.
 */
export function revokeStatement(item: PostgresAccessItem, role: string): Statement {
  switch (item.kind) {
    case 'pg.login':
      return { sql: `ALTER ROLE ${q(role)} NOLOGIN`, runAs: null };
    case 'pg.membership':
      return { sql: `REVOKE ${q(item.role)} FROM ${q(role)} GRANTED BY ${q(item.grantor)}`, runAs: null };
    default:
      return { sql: `REVOKE ${privilegeClause(item)} ${objectClause(item)} FROM ${q(role)}`, runAs: item.grantor };
  }
}

const REVOKE_ORDER: Record<PostgresAccessItem['kind'], number> = {
  // Shut the door first: no new sessions, no inherited rights, then the rest.
  'pg.login': 0,
  'pg.membership': 1,
  'pg.database': 2,
  'pg.schema': 3,
  'pg.relation': 4,
  'pg.column': 5,
};

/** Revocation order: LOGIN first, then memberships, then object grants. */
export function revocationOrder<T extends PostgresAccessItem>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => REVOKE_ORDER[a.kind] - REVOKE_ORDER[b.kind]);
}

/** Restoration order: the reverse, so LOGIN comes back only once everything else is in place. */
export function restorationOrder<T extends PostgresAccessItem>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => REVOKE_ORDER[b.kind] - REVOKE_ORDER[a.kind]);
}
