import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PermissionChangeRevertView, PermissionChangeService } from '@warden/response';
import { agentAction, tempDir } from '@warden/testing';
import { ADMIN_AUTH, type RunningWarden, startWarden } from '../support/warden-server.js';
import { PG } from '../support/postgres.js';

/**
 * The founding brief's Sev 1: an agent's advice led to access being widened
 * (a table opened to a group everyone is in). RevertPermissionChange applies
 * the inverse of the recorded change through the connector that owns the
 * resource, and the grant set is exactly what it was before the widening.
 */
const run = randomUUID().slice(0, 8);
const schema = `crm_${run}`;
const allStaff = `all_staff_${run}`; // the PUBLIC-like group: every employee is a member
const analysts = `analysts_${run}`;
const staffer = `staffer_${run}`; // one employee, member of all_staff
const agent = `forum-helper-${run}`;
const TENANT = 'default';
const data = tempDir();
let admin: pg.Client;
let warden: RunningWarden;
let reverts: PermissionChangeService;

/** Every ACL entry on the table (grantee, privilege, grantor, grant option), in a stable order. */
async function grantSet(table: string): Promise<string[]> {
  const r = await admin.query<{ entry: string }>(
    `SELECT format('%s %s by %s%s', CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                   a.privilege_type, pg_get_userbyid(a.grantor), CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END) AS entry
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.oid = $1::regclass
      ORDER BY 1`,
    [`${schema}.${table}`],
  );
  return r.rows.map((row) => row.entry);
}

async function stafferCanRead(): Promise<boolean> {
  const client = new pg.Client({ ...PG, user: staffer, password: 'pw' });
  await client.connect();
  try {
    await client.query(`SELECT count(*) FROM ${schema}.customers`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42501') return false; // insufficient_privilege
    throw error;
  } finally {
    await client.end();
  }
}

async function ingest(events: unknown[]): Promise<void> {
  const res = await fetch(`${warden.url}/v1/events`, {
    method: 'POST',
    headers: { ...ADMIN_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(202);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(events.length);
}

const permissionEvent = (type: 'permission.grant' | 'permission.revoke', table: string, grantee: string, privileges: string[]) =>
  agentAction({
    event_id: `evt-${type}-${table}-${run}-${randomUUID().slice(0, 4)}`,
    tenant: TENANT,
    principal: { id: agent, kind: 'agent' },
    action: { type },
    resource: { type: 'postgres.table', id: `test.${schema}.${table}`, sensitivity: 'restricted' },
    permission_change: { grantee, privileges, audience_before: 12, audience_after: type === 'permission.grant' ? 4000 : 2, scope_before: 'team', scope_after: 'org' },
    outcome: 'success',
    source: { system: 'db-gateway' },
  });

/** Reverts and waits until the revert has come to rest. */
async function revertAndSettle(eventId: string, reason: string, by: string): Promise<{ created: boolean; revert: PermissionChangeRevertView }> {
  const { created } = await reverts.revert(TENANT, eventId, reason, by);
  await reverts.settle();
  return { created, revert: (await reverts.get(TENANT, eventId)).revert };
}

beforeAll(async () => {
  admin = new pg.Client(PG);
  await admin.connect();
  await admin.query(`CREATE ROLE ${allStaff} NOLOGIN`);
  await admin.query(`CREATE ROLE ${analysts} NOLOGIN`);
  await admin.query(`CREATE ROLE ${staffer} LOGIN PASSWORD 'pw' IN ROLE ${allStaff}`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${allStaff}, ${analysts}`);
  await admin.query(`CREATE TABLE ${schema}.customers (id int, email text)`);
  await admin.query(`CREATE TABLE ${schema}.feedback (id int, body text)`);
  // What was deliberately granted: analysts read customers; everybody may write feedback.
  await admin.query(`GRANT SELECT ON ${schema}.customers TO ${analysts}`);
  await admin.query(`GRANT INSERT ON ${schema}.customers TO ${allStaff}`);
  await admin.query(`GRANT INSERT ON ${schema}.feedback TO ${allStaff}`);

  const config = join(data.path, 'warden.yaml');
  writeFileSync(
    config,
    [
      'connectors:',
      '  - kind: postgres',
      '    name: crm-db',
      '    connection: { host: 127.0.0.1, port: 5432, database: test, user: postgres }',
      "    identity: { template: 'agent_{principal}' }",
      '    resources: [{ type: postgres.table }]',
      // Also claims postgres.table, but for another database: ids that name `test` are not its own.
      '  - kind: postgres',
      '    name: warehouse-db',
      `    connection: { host: 127.0.0.1, port: 5432, database: warehouse_${run}, user: postgres }`,
      "    identity: { template: 'agent_{principal}' }",
      '    resources: [{ type: postgres.table }]',
      '',
    ].join('\n'),
  );
  warden = await startWarden({ WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_CONFIG: config });
  reverts = warden.app.get(PermissionChangeService);
});

afterAll(async () => {
  await warden?.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const role of [staffer, allStaff, analysts]) {
    await admin.query(`DROP OWNED BY ${role}`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  }
  await admin.end();
  data.cleanup();
});

describe('RevertPermissionChange', () => {
  it('reverting a recorded widening restores the previous grant set', async () => {
    const before = await grantSet('customers');
    const feedbackBefore = await grantSet('feedback');
    expect(await stafferCanRead()).toBe(false);

    // The widening, and the agent action that recorded it.
    await admin.query(`GRANT SELECT ON ${schema}.customers TO ${allStaff}`);
    const widening = permissionEvent('permission.grant', 'customers', `group:${allStaff}`, ['SELECT']);
    await ingest([widening]);
    expect(await grantSet('customers')).toEqual([...before, `${allStaff} SELECT by postgres`].sort());
    expect(await stafferCanRead()).toBe(true);

    const { created, revert } = await revertAndSettle(widening.event_id, 'SEV-1: customer table opened to all staff', 'user:alice');
    expect(created).toBe(true);
    expect(revert).toMatchObject({
      event_id: widening.event_id,
      status: 'reverted',
      principal: agent,
      inverse: 'revoke',
      connector: 'crm-db',
      reason: 'SEV-1: customer table opened to all staff',
      requested_by: 'user:alice',
      failed_attempts: 0,
      last_error: null,
    });
    const selectByOwner = { kind: 'pg.relation', schema, relation: 'customers', relation_kind: 'table', privilege: 'SELECT', grantable: false, grantor: 'postgres' };
    const insertByOwner = { ...selectByOwner, privilege: 'INSERT' };
    expect(revert.outcome?.changed).toEqual([selectByOwner]);
    expect(revert.outcome?.before).toEqual([insertByOwner, selectByOwner]);
    expect(revert.outcome?.after).toEqual([insertByOwner]);

    // Exactly the grants from before the widening, on this table and the other one.
    expect(await grantSet('customers')).toEqual(before);
    expect(await grantSet('feedback')).toEqual(feedbackBefore);
    expect(await stafferCanRead()).toBe(false);

    const { timeline } = await reverts.get(TENANT, widening.event_id);
    expect(timeline.map((e) => e.type)).toEqual(['PermissionChangeRevertRequested', 'PermissionChangeReverted']);
    expect(timeline[0].metadata.actor).toBe('user:alice');
    expect(timeline[1].metadata.actor).toBe('warden:response');
  });

  it('is applied once per event: asking again changes nothing', async () => {
    await admin.query(`GRANT SELECT ON ${schema}.feedback TO ${allStaff}`);
    const widening = permissionEvent('permission.grant', 'feedback', allStaff, ['select']);
    await ingest([widening]);
    const first = await revertAndSettle(widening.event_id, 'feedback is write-only', 'user:bob');
    expect(first.created).toBe(true);
    expect(first.revert.status).toBe('reverted');
    const after = await grantSet('feedback');

    // The same grant made again by hand, then the same revert asked for again: it is not re-applied.
    await admin.query(`GRANT SELECT ON ${schema}.feedback TO ${allStaff}`);
    const again = await revertAndSettle(widening.event_id, 'asked twice', 'user:carol');
    expect(again.created).toBe(false);
    expect(again.revert).toEqual(first.revert);
    expect((await reverts.get(TENANT, widening.event_id)).timeline).toHaveLength(2);
    expect(await grantSet('feedback')).toEqual([...after, `${allStaff} SELECT by postgres`].sort());
    await admin.query(`REVOKE SELECT ON ${schema}.feedback FROM ${allStaff}`);
  });

  it('reverting a recorded revoke grants the privileges back', async () => {
    const before = await grantSet('customers');
    await admin.query(`REVOKE SELECT ON ${schema}.customers FROM ${analysts}`);
    const narrowing = permissionEvent('permission.revoke', 'customers', analysts, ['SELECT']);
    await ingest([narrowing]);
    expect(await grantSet('customers')).toEqual(before.filter((e) => !e.startsWith(`${analysts} `)));

    const { revert } = await revertAndSettle(narrowing.event_id, 'the analysts need it back', 'user:alice');
    expect(revert).toMatchObject({ status: 'reverted', inverse: 'grant', connector: 'crm-db' });
    expect(revert.outcome?.changed).toEqual([
      { kind: 'pg.relation', schema, relation: 'customers', relation_kind: 'table', privilege: 'SELECT', grantable: false, grantor: 'postgres' },
    ]);
    expect(await grantSet('customers')).toEqual(before);
  });

  it('refuses what it cannot revert, by code, recording nothing', async () => {
    const read = agentAction({ tenant: TENANT, principal: { id: agent, kind: 'agent' }, action: { type: 'data.read' } });
    const driveWidening = agentAction({
      tenant: TENANT,
      principal: { id: agent, kind: 'agent' },
      action: { type: 'permission.grant' },
      resource: { type: 'drive.folder', id: 'fld-42' },
      permission_change: { grantee: 'group:all-employees', privileges: ['read'], audience_before: 12, audience_after: 40000 },
    });
    const deniedGrant = permissionEvent('permission.grant', 'customers', allStaff, ['SELECT']);
    deniedGrant.outcome = 'denied';
    await ingest([read, driveWidening, deniedGrant]);

    const refusal = (eventId: string) => reverts.revert(TENANT, eventId, 'try', 'user:alice');
    await expect(refusal(`evt-missing-${run}`)).rejects.toMatchObject({ code: 'PERMISSION_CHANGE.EVENT_NOT_FOUND' });
    await expect(refusal(read.event_id)).rejects.toMatchObject({ code: 'PERMISSION_CHANGE.NOT_REVERTIBLE' });
    await expect(refusal(deniedGrant.event_id)).rejects.toMatchObject({ code: 'PERMISSION_CHANGE.NOT_REVERTIBLE' });
    await expect(refusal(driveWidening.event_id)).rejects.toMatchObject({ code: 'PERMISSION_CHANGE.NO_OWNING_CONNECTOR' });
    for (const id of [read.event_id, deniedGrant.event_id, driveWidening.event_id]) {
      await expect(reverts.get(TENANT, id)).rejects.toMatchObject({ code: 'PERMISSION_CHANGE.REVERT_NOT_FOUND' });
    }
  });

  it('records a refusal by the target as a failure that waits for a person, and lists reverts by who made the change', async () => {
    // The grantee passed the privilege on: revoking it would need CASCADE, which Warden never does.
    await admin.query(`GRANT SELECT ON ${schema}.feedback TO ${analysts} WITH GRANT OPTION`);
    await admin.query(`SET ROLE ${analysts}`);
    await admin.query(`GRANT SELECT ON ${schema}.feedback TO ${allStaff}`);
    await admin.query('RESET ROLE');
    const before = await grantSet('feedback');
    const widening = permissionEvent('permission.grant', 'feedback', `role:${analysts}`, ['SELECT']);
    await ingest([widening]);

    const { revert } = await revertAndSettle(widening.event_id, 'close it', 'user:alice');
    expect(revert.status).toBe('failed');
    expect(revert.failed_attempts).toBe(1);
    expect(revert.last_error?.code).toBe('CONNECTOR.REJECTED');
    expect(revert.last_error?.message).toContain('SQLSTATE 2BP01'); // dependent privileges exist
    expect(await grantSet('feedback')).toEqual(before);

    const mine = await reverts.list(TENANT, agent);
    expect(mine.map((r) => [r.event_id, r.status])).toContainEqual([widening.event_id, 'failed']);
    expect(mine.every((r) => r.principal === agent)).toBe(true);
    await admin.query(`REVOKE SELECT ON ${schema}.feedback FROM ${analysts} CASCADE`);
  });
});
