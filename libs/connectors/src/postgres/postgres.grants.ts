import { escapeIdentifier as q, type ClientBase } from 'pg';
import { ConnectorRejectedError } from '../connector.errors.js';
import { sortAccessItems } from '../access-item.js';
import { relationPrivilegeSchema, type PostgresAccessItemOf } from './postgres.items.js';
import type { Statement } from './postgres.statements.js';

/**
 * Reverting a recorded permission change on one relation: the grantee's ACL
 * entries on it, and the GRANT / REVOKE that undo a change. Unlike a
 * containment, the grantee is anybody (a group role, PUBLIC), not the
 * contained agent's own role.
 */

export type RelationGrant = PostgresAccessItemOf<'pg.relation'>;

/** How a `resource.id` names a relation: `schema.relation`, or `database.schema.relation`. */
export interface RelationName {
  readonly database: string | null;
  readonly schema: string;
  readonly relation: string;
}

/** Parts separated by dots; names that themselves contain dots are not addressable this way. */
export function parseRelationId(id: string): RelationName | null {
  const parts = id.split('.');
  if (parts.some((p) => p.length === 0 || p.length > 63)) return null;
  if (parts.length === 2) return { database: null, schema: parts[0], relation: parts[1] };
  if (parts.length === 3) return { database: parts[0], schema: parts[1], relation: parts[2] };
  return null;
}

/** `PUBLIC`, or a role, as an event's `permission_change.grantee` names it (`role:` and `group:` prefixes allowed). */
export type Grantee = { readonly kind: 'public' } | { readonly kind: 'role'; readonly name: string };

export function parseGrantee(grantee: string): Grantee {
  const name = grantee.replace(/^(role|group):/i, '');
  if (name.toUpperCase() === 'PUBLIC') return { kind: 'public' };
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 63 || name.includes('\u0000')) {
    throw new ConnectorRejectedError(`"${grantee}" is not a PostgreSQL role name`, { grantee });
  }
  return { kind: 'role', name };
}

export const granteeSql = (g: Grantee) => (g.kind === 'public' ? 'PUBLIC' : q(g.name));

/**
 * The privileges a change names, checked against what a relation can have.
 * `ALL` (or `ALL PRIVILEGES`) stands for every privilege and is returned as
 * null. Case and surrounding spaces are forgiven; anything else (a Drive
 * "read", a typo) is refused rather than guessed at.
 */
export function parsePrivileges(privileges: readonly string[]): RelationGrant['privilege'][] | null {
  const wanted = privileges.map((p) => p.trim().toUpperCase().replace(/\s+/g, ' '));
  if (wanted.length === 0) throw new ConnectorRejectedError('the change names no privileges', {});
  if (wanted.some((p) => p === 'ALL' || p === 'ALL PRIVILEGES')) return null;
  const out: RelationGrant['privilege'][] = [];
  for (const p of wanted) {
    const parsed = relationPrivilegeSchema.safeParse(p);
    if (!parsed.success) throw new ConnectorRejectedError(`"${p}" is not a privilege on a PostgreSQL relation`, { privilege: p });
    if (!out.includes(parsed.data)) out.push(parsed.data);
  }
  return out;
}

export interface ResolvedRelation {
  readonly oid: string;
  readonly schema: string;
  readonly relation: string;
  readonly sequence: boolean;
}

export async function findRelation(client: ClientBase, name: RelationName): Promise<ResolvedRelation | null> {
  const result = await client.query<{ oid: string; relkind: string }>(
    `SELECT c.oid::text AS oid, c.relkind::text AS relkind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'S', 'f', 'p')`,
    [name.schema, name.relation],
  );
  const row = result.rows[0];
  return row ? { oid: row.oid, schema: name.schema, relation: name.relation, sequence: row.relkind === 'S' } : null;
}

/** The grantee's ACL entries on the relation (every grantor), in a stable order; PUBLIC is grantee oid 0. */
export async function readGranteeEntries(client: ClientBase, relationOid: string, granteeOid: string): Promise<RelationGrant[]> {
  const result = await client.query<{ item: RelationGrant }>(
    `SELECT jsonb_build_object('kind', 'pg.relation', 'schema', n.nspname, 'relation', c.relname,
                               'relation_kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view'
                                                  WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence'
                                                  WHEN 'f' THEN 'foreign_table' WHEN 'p' THEN 'partitioned_table' END,
                               'privilege', a.privilege_type, 'grantable', a.is_grantable,
                               'grantor', pg_get_userbyid(a.grantor)) AS item
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.oid = $1::oid AND c.relacl IS NOT NULL AND a.grantee = $2::oid`,
    [relationOid, granteeOid],
  );
  return sortAccessItems(result.rows.map((r) => r.item));
}

const target = (r: ResolvedRelation) => `${r.sequence ? 'SEQUENCE' : 'TABLE'} ${q(r.schema)}.${q(r.relation)}`;

/**
 * REVOKEs that take these entries away, one per grantor and run as that
 * grantor: a REVOKE removes only the grants made by the role that runs it.
 * RESTRICT (the default): if the grantee passed a privilege on, the REVOKE
 * fails instead of cascading into grants the change did not make.
 */
export function revokeEntriesStatements(relation: ResolvedRelation, grantee: Grantee, entries: readonly RelationGrant[]): Statement[] {
  const byGrantor = new Map<string, string[]>();
  for (const e of entries) {
    const list = byGrantor.get(e.grantor) ?? [];
    if (!list.includes(e.privilege)) list.push(e.privilege);
    byGrantor.set(e.grantor, list);
  }
  return [...byGrantor].map(([grantor, privileges]) => ({
    sql: `REVOKE ${privileges.join(', ')} ON ${target(relation)} FROM ${granteeSql(grantee)}`,
    runAs: grantor,
  }));
}

/** The GRANT that gives the privileges back (as the connector's login: a superuser's grant is recorded as the owner's). */
export function grantPrivilegesStatement(relation: ResolvedRelation, grantee: Grantee, privileges: RelationGrant['privilege'][] | null): Statement {
  return { sql: `GRANT ${privileges === null ? 'ALL' : privileges.join(', ')} ON ${target(relation)} TO ${granteeSql(grantee)}`, runAs: null };
}
