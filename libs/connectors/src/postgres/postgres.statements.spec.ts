import { describe, expect, it } from 'vitest';
import type { PostgresAccessItem } from './postgres.items.js';
import { grantStatement, restorationOrder, revocationOrder, revokeStatement } from './postgres.statements.js';

const role = 'agent_7';
const table: PostgresAccessItem = {
  kind: 'pg.relation',
  schema: 'app',
  relation: 'orders',
  relation_kind: 'table',
  privilege: 'SELECT',
  grantable: true,
  grantor: 'app_owner',
};

describe('postgres statements', () => {
  it('grant a table privilege as its grantor, with the grant option it had', () => {
    expect(grantStatement(table, role)).toEqual({
      sql: 'GRANT SELECT ON TABLE "app"."orders" TO "agent_7" WITH GRANT OPTION',
      runAs: 'app_owner',
    });
    expect(revokeStatement(table, role)).toEqual({ sql: 'REVOKE SELECT ON TABLE "app"."orders" FROM "agent_7"', runAs: 'app_owner' });
  });

  it('address sequences as sequences, columns by column', () => {
    expect(grantStatement({ ...table, relation: 'ids', relation_kind: 'sequence', privilege: 'USAGE', grantable: false }, role).sql).toBe(
      'GRANT USAGE ON SEQUENCE "app"."ids" TO "agent_7"',
    );
    const column: PostgresAccessItem = {
      kind: 'pg.column',
      schema: 'app',
      relation: 'customers',
      column: 'email',
      privilege: 'UPDATE',
      grantable: false,
      grantor: 'app_owner',
    };
    expect(revokeStatement(column, role).sql).toBe('REVOKE UPDATE ("email") ON TABLE "app"."customers" FROM "agent_7"');
  });

  it('grant schema and database privileges', () => {
    expect(
      grantStatement({ kind: 'pg.schema', schema: 'app', privilege: 'CREATE', grantable: false, grantor: 'postgres' }, role).sql,
    ).toBe('GRANT CREATE ON SCHEMA "app" TO "agent_7"');
    expect(
      revokeStatement({ kind: 'pg.database', database: 'prod', privilege: 'TEMPORARY', grantable: false, grantor: 'postgres' }, role).sql,
    ).toBe('REVOKE TEMPORARY ON DATABASE "prod" FROM "agent_7"');
  });

  it('re-create memberships with their grantor and options (PostgreSQL 15 and 16+)', () => {
    const pg15: PostgresAccessItem = {
      kind: 'pg.membership',
      role: 'readers',
      admin_option: true,
      inherit_option: null,
      set_option: null,
      grantor: 'postgres',
    };
    expect(grantStatement(pg15, role)).toEqual({
      sql: 'GRANT "readers" TO "agent_7" WITH ADMIN OPTION GRANTED BY "postgres"',
      runAs: null,
    });
    expect(grantStatement({ ...pg15, admin_option: false, inherit_option: false, set_option: true }, role).sql).toBe(
      'GRANT "readers" TO "agent_7" WITH ADMIN FALSE, INHERIT FALSE, SET TRUE GRANTED BY "postgres"',
    );
    expect(revokeStatement(pg15, role).sql).toBe('REVOKE "readers" FROM "agent_7" GRANTED BY "postgres"');
  });

  it('switch LOGIN off and on', () => {
    expect(revokeStatement({ kind: 'pg.login' }, role)).toEqual({ sql: 'ALTER ROLE "agent_7" NOLOGIN', runAs: null });
    expect(grantStatement({ kind: 'pg.login' }, role)).toEqual({ sql: 'ALTER ROLE "agent_7" LOGIN', runAs: null });
  });

  it('quote hostile names instead of splicing them', () => {
    const hostile: PostgresAccessItem = { ...table, schema: 'a"; DROP TABLE x; --', relation: 'o"rders' };
    expect(grantStatement(hostile, 'r"x').sql).toBe(
      'GRANT SELECT ON TABLE "a""; DROP TABLE x; --"."o""rders" TO "r""x" WITH GRANT OPTION',
    );
  });

  it('revoke LOGIN first and restore it last', () => {
    const membership: PostgresAccessItem = { kind: 'pg.membership', role: 'r', admin_option: false, inherit_option: null, set_option: null, grantor: 'p' };
    const items: PostgresAccessItem[] = [table, { kind: 'pg.login' }, membership];
    expect(revocationOrder(items).map((i) => i.kind)).toEqual(['pg.login', 'pg.membership', 'pg.relation']);
    expect(restorationOrder(items).map((i) => i.kind)).toEqual(['pg.relation', 'pg.membership', 'pg.login']);
  });
});
