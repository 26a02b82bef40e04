import { describe, expect, it } from 'vitest';
import { grantPrivilegesStatement, parseGrantee, parsePrivileges, parseRelationId, revokeEntriesStatements, type RelationGrant } from './postgres.grants.js';

const customers = { oid: '16384', schema: 'crm', relation: 'customers', sequence: false };
const entry = (privilege: RelationGrant['privilege'], grantor: string): RelationGrant => ({
  kind: 'pg.relation',
  schema: 'crm',
  relation: 'customers',
  relation_kind: 'table',
  privilege,
  grantable: false,
  grantor,
});

describe('reverting permission changes on PostgreSQL relations', () => {
  it('reads a resource id as schema.relation or database.schema.relation', () => {
    expect(parseRelationId('crm.customers')).toEqual({ database: null, schema: 'crm', relation: 'customers' });
    expect(parseRelationId('test.crm.customers')).toEqual({ database: 'test', schema: 'crm', relation: 'customers' });
    expect(parseRelationId('customers')).toBeNull();
    expect(parseRelationId('a.b.c.d')).toBeNull();
    expect(parseRelationId('crm..customers')).toBeNull();
  });

  it('reads PUBLIC and role names, with or without a role: or group: prefix', () => {
    expect(parseGrantee('PUBLIC')).toEqual({ kind: 'public' });
    expect(parseGrantee('group:public')).toEqual({ kind: 'public' });
    expect(parseGrantee('group:all_staff')).toEqual({ kind: 'role', name: 'all_staff' });
    expect(parseGrantee('role:Analysts')).toEqual({ kind: 'role', name: 'Analysts' });
    expect(() => parseGrantee('role:')).toThrow(expect.objectContaining({ code: 'CONNECTOR.REJECTED' }));
    expect(() => parseGrantee('x'.repeat(64))).toThrow(expect.objectContaining({ code: 'CONNECTOR.REJECTED' }));
  });

  it('accepts relation privileges in any case and ALL; refuses anything else', () => {
    expect(parsePrivileges(['select', ' Insert ', 'SELECT'])).toEqual(['SELECT', 'INSERT']);
    expect(parsePrivileges(['all privileges'])).toBeNull();
    expect(() => parsePrivileges(['read'])).toThrow(expect.objectContaining({ code: 'CONNECTOR.REJECTED' }));
    expect(() => parsePrivileges([])).toThrow(expect.objectContaining({ code: 'CONNECTOR.REJECTED' }));
  });

  it('revokes each grantor’s grants as that grantor, and never with CASCADE', () => {
    const statements = revokeEntriesStatements(customers, { kind: 'role', name: 'all_staff' }, [
      entry('SELECT', 'owner'),
      entry('UPDATE', 'owner'),
      entry('SELECT', 'delegate'),
    ]);
    expect(statements).toEqual([
      { sql: 'REVOKE SELECT, UPDATE ON TABLE "crm"."customers" FROM "all_staff"', runAs: 'owner' },
      { sql: 'REVOKE SELECT ON TABLE "crm"."customers" FROM "all_staff"', runAs: 'delegate' },
    ]);
    expect(revokeEntriesStatements(customers, { kind: 'public' }, [entry('SELECT', 'owner')])[0].sql).toBe(
      'REVOKE SELECT ON TABLE "crm"."customers" FROM PUBLIC',
    );
  });

  it('grants back on tables and sequences, quoting names', () => {
    expect(grantPrivilegesStatement(customers, { kind: 'role', name: 'a"b' }, ['SELECT', 'INSERT'])).toEqual({
      sql: 'GRANT SELECT, INSERT ON TABLE "crm"."customers" TO "a""b"',
      runAs: null,
    });
    expect(grantPrivilegesStatement({ ...customers, relation: 'ids', sequence: true }, { kind: 'public' }, null).sql).toBe(
      'GRANT ALL ON SEQUENCE "crm"."ids" TO PUBLIC',
    );
  });
});
