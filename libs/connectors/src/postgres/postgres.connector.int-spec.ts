import { randomBytes } from 'node:crypto';
import { escapeIdentifier as q, Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffAccess } from '../access-item.js';
import { postgresConnectorConfigSchema } from './postgres.config.js';
import { PostgresConnector } from './postgres.connector.js';
import type { PostgresAccessItem } from './postgres.items.js';

/**
 * Against the local PostgreSQL (127.0.0.1:5432, database `test`). Every run
 * creates its own roles and schemas under a random suffix and drops them
 * afterwards, so runs repeat and can overlap.
 */
const server = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), database: 'test' };
const suffix = randomBytes(4).toString('hex');
const names = {
  agent: `agent_${suffix}`,
  bulkAgent: `agent_${suffix}_bulk`,
  owner: `wown_${suffix}`,
  delegate: `wdel_${suffix}`,
  group: `wgrp_${suffix}`,
  bystander: `wbys_${suffix}`,
  schemaA: `wa_${suffix}`,
  schemaB: `wb_${suffix}`,
  schemaBulk: `wbulk_${suffix}`,
};
const PASSWORD = `pw-${suffix}`;
const principal = { tenant: 'acme', id: suffix };
const bulkPrincipal = { tenant: 'acme', id: `${suffix}_bulk` };

const admin = new Client({ ...server, user: 'postgres' });
let dbOwner: string;
const connector = new PostgresConnector(
  postgresConnectorConfigSchema.parse({
    kind: 'postgres',
    name: 'postgres-test',
    connection: { ...server, user: 'postgres' },
    identity: { template: 'agent_{principal}' },
    retry: { max_attempts: 3, initial_delay_ms: 50, timeout_ms: 60_000 },
  }),
);

/** Runs statements as the admin, retrying the catalog race that concurrent GRANTs on one database can hit. */
async function sql(statement: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(statement);
      return;
    } catch (error) {
      if (attempt >= 5 || !/tuple concurrently updated/.test(String(error))) throw error;
    }
  }
}

function agentClient(user = names.agent): Client {
  const client = new Client({ ...server, user, password: PASSWORD });
  // A terminated backend is reported as an 'error' event; the test reads it from the next query instead.
  client.on('error', () => undefined);
  return client;
}

async function sessionsOf(role: string): Promise<number> {
  const r = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [role]);
  return r.rows[0].n;
}

const grant = (
  kind: 'pg.relation',
  schema: string,
  relation: string,
  privilege: Extract<PostgresAccessItem, { kind: 'pg.relation' }>['privilege'],
  extra: Partial<Extract<PostgresAccessItem, { kind: 'pg.relation' }>> = {},
): PostgresAccessItem => ({ kind, schema, relation, relation_kind: 'table', privilege, grantable: false, grantor: names.owner, ...extra });

beforeAll(async () => {
  await admin.connect();
  dbOwner = (await admin.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()`)).rows[0].owner;
  const { agent, owner, delegate, group, bystander, schemaA: a, schemaB: b } = names;
  await sql(`CREATE ROLE ${q(owner)} NOLOGIN`);
  await sql(`CREATE ROLE ${q(delegate)} NOLOGIN`);
  await sql(`CREATE ROLE ${q(group)} NOLOGIN`);
  await sql(`CREATE ROLE ${q(bystander)} NOLOGIN`);
  await sql(`CREATE ROLE ${q(agent)} LOGIN PASSWORD '${PASSWORD}'`);
  await sql(`CREATE SCHEMA ${q(a)} AUTHORIZATION ${q(owner)}`);
  await sql(`CREATE SCHEMA ${q(b)} AUTHORIZATION ${q(owner)}`);
  await sql(`SET ROLE ${q(owner)}`);
  await sql(`CREATE TABLE ${q(a)}.orders (id int PRIMARY KEY, total numeric)`);
  await sql(`CREATE TABLE ${q(a)}.customers (id int PRIMARY KEY, email text)`);
  await sql(`CREATE SEQUENCE ${q(a)}.order_ids`);
  await sql(`CREATE TABLE ${q(b)}.invoices (id int PRIMARY KEY)`);
  await sql(`CREATE TABLE ${q(b)}.audit (id int)`);
  await sql(`CREATE TABLE ${q(b)}.group_only (id int)`);
  await sql(`INSERT INTO ${q(a)}.orders VALUES (1, 10), (2, 20)`);
  await sql(`INSERT INTO ${q(b)}.group_only VALUES (1)`);
  // Schema USAGE, including CREATE; table privileges, one with grant option; a column privilege; a sequence.
  await sql(`GRANT USAGE ON SCHEMA ${q(a)} TO ${q(agent)}`);
  await sql(`GRANT USAGE, CREATE ON SCHEMA ${q(b)} TO ${q(agent)}`);
  await sql(`GRANT SELECT, INSERT ON ${q(a)}.orders TO ${q(agent)}`);
  await sql(`GRANT SELECT ON ${q(a)}.customers TO ${q(agent)} WITH GRANT OPTION`);
  await sql(`GRANT UPDATE (email) ON ${q(a)}.customers TO ${q(agent)}`);
  await sql(`GRANT USAGE ON SEQUENCE ${q(a)}.order_ids TO ${q(agent)}`);
  await sql(`GRANT SELECT, UPDATE ON ${q(b)}.invoices TO ${q(agent)}`);
  // A grant made by someone other than the owner: restore must record the same grantor.
  await sql(`GRANT SELECT ON ${q(b)}.audit TO ${q(delegate)} WITH GRANT OPTION`);
  await sql(`GRANT USAGE ON SCHEMA ${q(b)} TO ${q(delegate)}`);
  await sql(`GRANT SELECT ON ${q(b)}.group_only TO ${q(group)}`);
  await sql(`RESET ROLE`);
  await sql(`SET ROLE ${q(delegate)}`);
  await sql(`GRANT SELECT ON ${q(b)}.audit TO ${q(agent)}`);
  await sql(`RESET ROLE`);
  await sql(`GRANT CONNECT, TEMPORARY ON DATABASE test TO ${q(agent)}`);
  await sql(`GRANT ${q(group)} TO ${q(agent)}`);
});

afterAll(async () => {
  await connector.close();
  const roles = [names.agent, names.bulkAgent, names.delegate, names.group, names.bystander, names.owner];
  await admin.query(`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = ANY($1)`, [roles]);
  for (const schema of [names.schemaA, names.schemaB, names.schemaBulk]) await sql(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`);
  const existing = (await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [roles])).rows.map((r) => r.rolname);
  if (existing.length > 0) {
    // DROP OWNED also revokes what the roles hold on this database and on shared objects.
    await sql(`DROP OWNED BY ${existing.map(q).join(', ')} CASCADE`);
    for (const role of existing) await sql(`DROP ROLE ${q(role)}`);
  }
  await admin.end();
});

describe('PostgresConnector', () => {
  it('snapshots, revokes, and restores an agent role exactly', async () => {
    const { agent, owner, delegate, group, schemaA: a, schemaB: b } = names;

    // ── snapshot: everything the role holds, grantor and grant option included ──
    const before = await connector.snapshot(principal);
    const expected: PostgresAccessItem[] = [
      { kind: 'pg.login' },
      { kind: 'pg.database', database: 'test', privilege: 'CONNECT', grantable: false, grantor: dbOwner },
      { kind: 'pg.database', database: 'test', privilege: 'TEMPORARY', grantable: false, grantor: dbOwner },
      { kind: 'pg.schema', schema: a, privilege: 'USAGE', grantable: false, grantor: owner },
      { kind: 'pg.schema', schema: b, privilege: 'USAGE', grantable: false, grantor: owner },
      { kind: 'pg.schema', schema: b, privilege: 'CREATE', grantable: false, grantor: owner },
      grant('pg.relation', a, 'orders', 'SELECT'),
      grant('pg.relation', a, 'orders', 'INSERT'),
      grant('pg.relation', a, 'customers', 'SELECT', { grantable: true }),
      grant('pg.relation', a, 'order_ids', 'USAGE', { relation_kind: 'sequence' }),
      grant('pg.relation', b, 'invoices', 'SELECT'),
      grant('pg.relation', b, 'invoices', 'UPDATE'),
      grant('pg.relation', b, 'audit', 'SELECT', { grantor: delegate }),
      { kind: 'pg.column', schema: a, relation: 'customers', column: 'email', privilege: 'UPDATE', grantable: false, grantor: owner },
      { kind: 'pg.membership', role: group, admin_option: false, inherit_option: null, set_option: null, grantor: 'postgres' },
    ];
    expect(diffAccess(expected, before)).toEqual({ matches: true, missing: [], unexpected: [] });
    expect(before).toHaveLength(15);

    // An open session of the agent, mid-work.
    const session = agentClient();
    await session.connect();
    expect((await session.query(`SELECT count(*)::int AS n FROM ${q(a)}.orders`)).rows).toEqual([{ n: 2 }]);
    expect(await sessionsOf(agent)).toBe(1);

    // ── revoke ──
    const revoked = await connector.revoke(principal, before);
    expect(revoked).toEqual({ applied: before, failed: [], sessionsEnded: 1 });
    await expect(session.query('SELECT 1')).rejects.toThrow();
    expect(await sessionsOf(agent)).toBe(0);
    await expect(agentClient().connect()).rejects.toMatchObject({ code: '28000' }); // not permitted to log in
    expect(await connector.snapshot(principal)).toEqual([]);
    expect(await connector.verify(principal, [])).toEqual({ matches: true, missing: [], unexpected: [] });

    // ── restore ──
    const restored = await connector.restore(principal, before);
    expect(restored).toEqual({ applied: before, failed: [] });
    const after = await connector.snapshot(principal);
    expect(after).toEqual(before);
    expect(await connector.verify(principal, before)).toEqual({ matches: true, missing: [], unexpected: [] });

    const back = agentClient();
    await back.connect();
    try {
      expect((await back.query(`SELECT count(*)::int AS n FROM ${q(a)}.orders`)).rows).toEqual([{ n: 2 }]);
      // Only through the restored group membership:
      expect((await back.query(`SELECT id FROM ${q(b)}.group_only`)).rows).toEqual([{ id: 1 }]);
      await back.query(`UPDATE ${q(a)}.customers SET email = 'x' WHERE false`);
    } finally {
      await back.end();
    }
  });

  it('repeats a revoke or a restore without changing anything', async () => {
    const before = await connector.snapshot(principal);
    await connector.revoke(principal, before);
    expect(await connector.revoke(principal, before)).toEqual({ applied: before, failed: [], sessionsEnded: 0 });
    await connector.restore(principal, before);
    expect(await connector.restore(principal, before)).toEqual({ applied: before, failed: [] });
    expect(await connector.snapshot(principal)).toEqual(before);
  });

  it('reports an item it cannot revoke without touching other roles, and revokes the rest', async () => {
    const { agent, bystander, schemaA: a } = names;
    // The agent passed on a privilege it held with grant option: revoking it
    // would need CASCADE, which would take the bystander's grant too.
    await sql(`SET ROLE ${q(agent)}`);
    await sql(`GRANT SELECT ON ${q(a)}.customers TO ${q(bystander)}`);
    await sql(`RESET ROLE`);
    const before = await connector.snapshot(principal);
    const passedOn = grant('pg.relation', a, 'customers', 'SELECT', { grantable: true });

    const result = await connector.revoke(principal, before);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0].item).toEqual(passedOn);
    expect(result.failed[0].error.code).toBe('CONNECTOR.REJECTED');
    expect(result.failed[0].error.message).toContain('SQLSTATE 2BP01');
    expect(result.applied).toEqual(before.filter((i) => JSON.stringify(i) !== JSON.stringify(passedOn)));
    expect(await connector.snapshot(principal)).toEqual([passedOn]);
    const bystanderHolds = await admin.query(`SELECT has_table_privilege($1, $2, 'SELECT') AS ok`, [bystander, `${a}.customers`]);
    expect(bystanderHolds.rows).toEqual([{ ok: true }]);

    expect(await connector.restore(principal, before)).toEqual({ applied: before, failed: [] });
    expect(await connector.snapshot(principal)).toEqual(before);
  });

  it('refuses items of another connector, unknown roles, and reserved roles', async () => {
    await expect(connector.restore(principal, [{ kind: 'kafka.acl', topic: 't' }])).rejects.toMatchObject({
      code: 'CONNECTOR.INVALID_ITEM',
    });
    await expect(connector.snapshot({ tenant: 'acme', id: `missing_${suffix}` })).rejects.toMatchObject({
      code: 'CONNECTOR.IDENTITY_NOT_FOUND',
    });
    const selfContaining = new PostgresConnector(
      postgresConnectorConfigSchema.parse({
        kind: 'postgres',
        name: 'postgres-self',
        connection: { ...server, user: 'postgres' },
        identity: { map: { warden: 'postgres' } },
      }),
    );
    try {
      await expect(selfContaining.snapshot({ tenant: 'acme', id: 'warden' })).rejects.toMatchObject({
        code: 'CONNECTOR.UNMAPPED_PRINCIPAL',
      });
    } finally {
      await selfContaining.close();
    }
  });

  it('times out an attempt blocked by another transaction, commits nothing, and frees the server', async () => {
    const { agent, bystander, schemaA: a } = names;
    const retries: string[] = [];
    const slow = new PostgresConnector(
      postgresConnectorConfigSchema.parse({
        kind: 'postgres',
        name: 'postgres-slow',
        connection: { ...server, user: 'postgres' },
        identity: { template: 'agent_{principal}' },
        retry: { max_attempts: 2, initial_delay_ms: 10, timeout_ms: 300 },
      }),
      { onRetry: ({ error }) => void retries.push(error.code) },
    );
    const blocker = new Client({ ...server, user: 'postgres' });
    await blocker.connect();
    const ordersSelect = grant('pg.relation', a, 'orders', 'SELECT');
    try {
      // An uncommitted GRANT on the same table holds its catalog row: our REVOKE must wait.
      await blocker.query('BEGIN');
      await blocker.query(`GRANT DELETE ON ${q(a)}.orders TO ${q(bystander)}`);
      await expect(slow.revoke(principal, [ordersSelect])).rejects.toMatchObject({ code: 'CONNECTOR.TIMEOUT', retriable: true });
      expect(retries).toEqual(['CONNECTOR.TIMEOUT']);
      const waiting = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'warden:postgres-slow' AND state <> 'idle'`,
      );
      expect(waiting.rows).toEqual([{ n: 0 }]);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await slow.close();
    }
    expect((await connector.snapshot(principal)).filter((i) => JSON.stringify(i) === JSON.stringify(ordersSelect))).toEqual([ordersSelect]);
    expect(await sessionsOf(agent)).toBe(0);
  });

  it('round-trips a role with 200 grants', async () => {
    const { bulkAgent, owner, schemaBulk: s } = names;
    await sql(`CREATE ROLE ${q(bulkAgent)} LOGIN PASSWORD '${PASSWORD}'`);
    await sql(`CREATE SCHEMA ${q(s)} AUTHORIZATION ${q(owner)}`);
    await sql(`SET ROLE ${q(owner)}`);
    const tables = Array.from({ length: 50 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    await sql(tables.map((t) => `CREATE TABLE ${q(s)}.${q(t)} (id int)`).join(';'));
    await sql(tables.map((t) => `GRANT SELECT, INSERT, UPDATE, DELETE ON ${q(s)}.${q(t)} TO ${q(bulkAgent)}`).join(';'));
    await sql(`RESET ROLE`);

    const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await run();
      console.log(`postgres connector, 200 grants: ${label} took ${(performance.now() - started).toFixed(1)} ms`);
      return result;
    };
    const before = await timed('snapshot', () => connector.snapshot(bulkPrincipal));
    expect(before.filter((i) => i.kind === 'pg.relation')).toHaveLength(200);
    expect(before).toHaveLength(201); // and LOGIN

    const revoked = await timed('revoke', () => connector.revoke(bulkPrincipal, before));
    expect(revoked).toEqual({ applied: before, failed: [], sessionsEnded: 0 });
    expect(await connector.snapshot(bulkPrincipal)).toEqual([]);

    const restored = await timed('restore', () => connector.restore(bulkPrincipal, before));
    expect(restored).toEqual({ applied: before, failed: [] });
    expect(await connector.snapshot(bulkPrincipal)).toEqual(before);
  });
});

describe('PostgresConnector, bounds on a blocked revoke', () => {
  it('gives up waiting on a lock after lock_timeout_ms, as a retriable failure, with nothing committed', async () => {
    const { bystander, schemaA: a } = names;
    const impatient = new PostgresConnector(
      postgresConnectorConfigSchema.parse({
        kind: 'postgres',
        name: 'postgres-impatient',
        connection: { ...server, user: 'postgres' },
        identity: { template: 'agent_{principal}' },
        statement_timeout_ms: 60_000,
        lock_timeout_ms: 300,
        retry: { max_attempts: 1, timeout_ms: 60_000 },
      }),
    );
    const blocker = new Client({ ...server, user: 'postgres' });
    await blocker.connect();
    const ordersSelect = grant('pg.relation', a, 'orders', 'SELECT');
    try {
      await blocker.query('BEGIN');
      await blocker.query(`GRANT DELETE ON ${q(a)}.orders TO ${q(bystander)}`);
      const started = performance.now();
      await expect(impatient.revoke(principal, [ordersSelect])).rejects.toMatchObject({
        code: 'CONNECTOR.UNAVAILABLE',
        retriable: true,
        message: expect.stringContaining('SQLSTATE 55P03'),
      });
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await impatient.close();
    }
    expect((await connector.snapshot(principal)).filter((i) => JSON.stringify(i) === JSON.stringify(ordersSelect))).toEqual([ordersSelect]);
  });
});

describe('PostgresConnector, reverting a recorded permission change', () => {
  const reverter = () =>
    new PostgresConnector(
      postgresConnectorConfigSchema.parse({
        kind: 'postgres',
        name: 'postgres-reverter',
        connection: { ...server, user: 'postgres' },
        identity: { template: 'agent_{principal}' },
        resources: [{ type: 'postgres.table' }],
      }),
    );
  const publicHolds = async (table: string) =>
    (
      await admin.query<{ privilege: string; grantor: string }>(
        `SELECT a.privilege_type AS privilege, pg_get_userbyid(a.grantor) AS grantor
           FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a WHERE c.oid = $1::regclass AND a.grantee = 0 ORDER BY 1`,
        [table],
      )
    ).rows;

  it('owns only the resource types it is configured for, in its own database', () => {
    const c = reverter();
    try {
      expect(c.owns({ type: 'postgres.table', id: `${names.schemaB}.audit` })).toBe(true);
      expect(c.owns({ type: 'postgres.table', id: `test.${names.schemaB}.audit` })).toBe(true);
      expect(c.owns({ type: 'postgres.table', id: `other.${names.schemaB}.audit` })).toBe(false);
      expect(c.owns({ type: 'drive.folder', id: `${names.schemaB}.audit` })).toBe(false);
      expect(connector.owns({ type: 'postgres.table', id: `${names.schemaB}.audit` })).toBe(false); // no resources configured
    } finally {
      void c.close();
    }
  });

  it('takes a grant to PUBLIC back, whoever granted it, and grants it again', async () => {
    const { owner, delegate, schemaB: b } = names;
    const table = `${b}.audit`;
    const c = reverter();
    try {
      // PUBLIC was given SELECT twice over: by the owner and by a delegate holding the grant option.
      await sql(`SET ROLE ${q(owner)}`);
      await sql(`GRANT SELECT, INSERT ON ${q(b)}.audit TO PUBLIC`);
      await sql(`RESET ROLE`);
      await sql(`SET ROLE ${q(delegate)}`);
      await sql(`GRANT SELECT ON ${q(b)}.audit TO PUBLIC`);
      await sql(`RESET ROLE`);
      const change = { resource: { type: 'postgres.table', id: `test.${table}` }, grantee: 'PUBLIC', privileges: ['SELECT'] };

      const reverted = await c.revertGrant(change);
      expect(reverted.changed.map((e) => [e.privilege, e.grantor])).toEqual([
        ['SELECT', delegate],
        ['SELECT', owner],
      ]);
      expect(await publicHolds(table)).toEqual([{ privilege: 'INSERT', grantor: owner }]);
      expect((await c.revertGrant(change)).changed).toEqual([]); // a repeat changes nothing

      const regranted = await c.regrant(change);
      expect(regranted.changed.map((e) => [e.privilege, e.grantor])).toEqual([['SELECT', owner]]);
      expect(await publicHolds(table)).toEqual([
        { privilege: 'INSERT', grantor: owner },
        { privilege: 'SELECT', grantor: owner },
      ]);
    } finally {
      await sql(`REVOKE ALL ON ${q(b)}.audit FROM PUBLIC`);
      await c.close();
    }
  });

  it('refuses a missing table, an unknown grantee and a privilege tables do not have, changing nothing', async () => {
    const c = reverter();
    const resource = { type: 'postgres.table', id: `${names.schemaB}.audit` };
    try {
      await expect(c.revertGrant({ resource: { ...resource, id: `${names.schemaB}.nope` }, grantee: 'PUBLIC', privileges: ['SELECT'] })).rejects.toMatchObject({
        code: 'CONNECTOR.RESOURCE_NOT_FOUND',
      });
      await expect(c.revertGrant({ resource, grantee: `role:missing_${suffix}`, privileges: ['SELECT'] })).rejects.toMatchObject({
        code: 'CONNECTOR.IDENTITY_NOT_FOUND',
      });
      await expect(c.regrant({ resource, grantee: 'PUBLIC', privileges: ['read'] })).rejects.toMatchObject({ code: 'CONNECTOR.REJECTED' });
      await expect(c.regrant({ resource: { type: 'drive.folder', id: 'fld-42' }, grantee: 'PUBLIC', privileges: ['SELECT'] })).rejects.toMatchObject({
        code: 'CONNECTOR.REJECTED',
      });
    } finally {
      await c.close();
    }
  });
});
