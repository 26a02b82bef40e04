import type { ClientBase } from 'pg';
import { ConnectorRejectedError } from '../connector.errors.js';
import { sortAccessItems } from '../access-item.js';
import { postgresAccessItemSchema, type PostgresAccessItem } from './postgres.items.js';

/**
 * Everything the role holds, as one statement, so the picture is consistent
 * without a transaction of its own (and can be re-read inside the revoke or
 * restore transaction to see what actually changed). Only entries whose
 * grantee is the role itself: PUBLIC's grants and privileges that come from
 * owning an object are not the role's to lose (see the connector's notes).
 */
const HOLDINGS_SQL = `
WITH me AS (SELECT oid, rolcanlogin FROM pg_roles WHERE oid = $1::oid)
SELECT jsonb_build_object('kind', 'pg.login') AS item
  FROM me WHERE me.rolcanlogin
UNION ALL
SELECT jsonb_build_object('kind', 'pg.database', 'database', d.datname, 'privilege', a.privilege_type,
                          'grantable', a.is_grantable, 'grantor', pg_get_userbyid(a.grantor))
  FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a
 WHERE a.grantee = $1::oid
UNION ALL
SELECT jsonb_build_object('kind', 'pg.schema', 'schema', n.nspname, 'privilege', a.privilege_type,
                          'grantable', a.is_grantable, 'grantor', pg_get_userbyid(a.grantor))
  FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
 WHERE a.grantee = $1::oid
UNION ALL
SELECT jsonb_build_object('kind', 'pg.relation', 'schema', n.nspname, 'relation', c.relname,
                          'relation_kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view'
                                             WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence'
                                             WHEN 'f' THEN 'foreign_table' WHEN 'p' THEN 'partitioned_table' END,
                          'privilege', a.privilege_type, 'grantable', a.is_grantable,
                          'grantor', pg_get_userbyid(a.grantor))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL aclexplode(c.relacl) a
 WHERE c.relacl IS NOT NULL AND a.grantee = $1::oid
UNION ALL
SELECT jsonb_build_object('kind', 'pg.column', 'schema', n.nspname, 'relation', c.relname, 'column', t.attname,
                          'privilege', a.privilege_type, 'grantable', a.is_grantable,
                          'grantor', pg_get_userbyid(a.grantor))
  FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL aclexplode(t.attacl) a
 WHERE t.attacl IS NOT NULL AND t.attnum > 0 AND NOT t.attisdropped AND a.grantee = $1::oid
UNION ALL
-- inherit_option and set_option exist from PostgreSQL 16; read through jsonb so one query serves both.
SELECT jsonb_build_object('kind', 'pg.membership', 'role', r.rolname, 'admin_option', m.admin_option,
                          'inherit_option', (to_jsonb(m) ->> 'inherit_option')::boolean,
                          'set_option', (to_jsonb(m) ->> 'set_option')::boolean,
                          'grantor', pg_get_userbyid(m.grantor))
  FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
 WHERE m.member = $1::oid`;

/** The role's oid, or null when no such role exists. */
export async function findRole(client: ClientBase, role: string): Promise<string | null> {
  const result = await client.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_roles WHERE rolname = $1', [role]);
  return result.rows[0]?.oid ?? null;
}

export async function readHoldings(client: ClientBase, roleOid: string): Promise<PostgresAccessItem[]> {
  const result = await client.query<{ item: unknown }>(HOLDINGS_SQL, [roleOid]);
  const items = result.rows.map(({ item }) => {
    const parsed = postgresAccessItemSchema.safeParse(item);
    // A catalog entry we do not model (a privilege of a newer server, say) must
    // stop the snapshot: a snapshot that silently left it out would not be exact.
    if (!parsed.success) throw new ConnectorRejectedError(`unrecognised catalog entry ${JSON.stringify(item)}`, { item });
    return parsed.data;
  });
  return sortAccessItems(items);
}

/** Ends the role's sessions; returns how many were ended. Waits up to `waitMs` for each to go. */
export async function terminateSessions(client: ClientBase, role: string, waitMs: number): Promise<number> {
  const result = await client.query<{ terminated: number }>(
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, $2::bigint))::int AS terminated
       FROM pg_stat_activity
      WHERE usename = $1 AND pid <> pg_backend_pid()`,
    [role, waitMs],
  );
  return result.rows[0]?.terminated ?? 0;
}
