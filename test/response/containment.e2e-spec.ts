import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAction, tempDir } from '@warden/testing';
import { eventually } from '../support/warden-process.js';
import { ADMIN_AUTH, type RunningWarden, startWarden } from '../support/warden-server.js';
import { PG, canQuery } from '../support/postgres.js';

const run = randomUUID().slice(0, 8);
const agent = `ctn-${run}`; // Warden principal id
const role = `"agent_${agent}"`; // its PostgreSQL role (quoted), by the connector's template agent_{principal}
const group = `analysts_${run}`;
const schema = `crm_${run}`;
const missingDb = `warden_missing_${run}`;
const data = tempDir();
let admin: pg.Client;
let warden: RunningWarden;
let wardenEnv: Record<string, string>;
let deleteSeq = 0;
const unconfirmedDelete = (principal: string) =>
  agentAction({
    principal: { id: principal },
    action: { type: 'resource.delete', confirmation: { required: true, obtained: false } },
    resource: { type: 'email.message', id: `msg-${deleteSeq++}` },
  });

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(path, warden.url), {
    method,
    headers: body === undefined ? { ...ADMIN_AUTH, ...headers } : { 'content-type': 'application/json', ...ADMIN_AUTH, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const agentCanQuery = () => canQuery(`agent_${agent}`, 'agent-pw', `${schema}.customers`);

const settled = (id: string, status: string) =>
  eventually(() => call('GET', `/v1/containments/${id}`), (r) => r.json.containment?.status === status, { what: `containment ${status}`, timeoutMs: 60_000 });

beforeAll(async () => {
  admin = new pg.Client(PG);
  await admin.connect();
  await admin.query(`CREATE ROLE ${group} NOLOGIN`);
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'agent-pw'`);
  await admin.query(`GRANT ${group} TO ${role}`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.customers (id int, email text)`);
  await admin.query(`CREATE TABLE ${schema}.orders (id int)`);
  await admin.query(`INSERT INTO ${schema}.customers VALUES (1, 'a@example.com')`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await admin.query(`GRANT SELECT, UPDATE ON ${schema}.customers TO ${role}`);
  await admin.query(`GRANT SELECT ON ${schema}.orders TO ${role}`);
  await admin.query(`GRANT CONNECT, TEMP ON DATABASE test TO ${role}`);

  const config = join(data.path, 'warden.yaml');
  writeFileSync(
    config,
    [
      'connectors:',
      '  - kind: postgres',
      '    name: crm-db',
      '    connection: { host: 127.0.0.1, port: 5432, database: test, user: postgres }',
      "    identity: { template: 'agent_{principal}' }",
      '  - kind: postgres',
      '    name: warehouse-db',
      `    connection: { host: 127.0.0.1, port: 5432, database: ${missingDb}, user: postgres }`,
      "    identity: { template: 'agent_{principal}' }",
      '    retry: { max_attempts: 1, timeout_ms: 5000 }',
      '',
    ].join('\n'),
  );
  wardenEnv = { WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_CONFIG: config, WARDEN_RESPONSE_RETRY_INTERVAL_MS: '500' };
  warden = await startWarden(wardenEnv);
});

afterAll(async () => {
  await warden?.close();
  await admin.query(`DROP DATABASE IF EXISTS ${missingDb}`);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`DROP OWNED BY ${role}`); // also revokes its database grants
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.query(`DROP ROLE IF EXISTS ${group}`);
  await admin.end();
  data.cleanup();
});

describe('one-click containment and exact rollback on PostgreSQL', () => {
  let containmentId: string;
  let before: unknown[];

  it('previews exactly what would be revoked, revoking nothing', async () => {
    const res = await call('POST', '/v1/containments', { principal: agent, reason: 'preview for SEV-1', preview: true, connectors: ['crm-db'] });
    expect(res.status).toBe(200);
    before = res.json.preview[0].items;
    expect(res.json.preview[0].connector).toBe('crm-db');
    expect(before.map((i: any) => i.kind).sort()).toEqual(
      ['pg.database', 'pg.database', 'pg.login', 'pg.membership', 'pg.relation', 'pg.relation', 'pg.relation', 'pg.schema'].sort(),
    );
  });

  it('refuses a containment without an Idempotency-Key or a reason', async () => {
    expect((await call('POST', '/v1/containments', { principal: agent, reason: 'no key' })).status).toBe(400);
    const noReason = await call('POST', '/v1/containments', { principal: agent, reason: '' }, { 'idempotency-key': randomUUID() });
    expect(noReason.status).toBe(400);
    expect(noReason.json.errors.map((e: any) => e.path)).toEqual(['reason']);
  });

  it('contains: two responders clicking at once with one key get one containment, and the agent really cannot act', async () => {
    expect(await agentCanQuery()).toBe(true);
    const key = randomUUID();
    const body = { principal: agent, reason: 'SEV-1: agent widened access to user data', incident_id: 'INC-7', connectors: ['crm-db'] };
    const [a, b] = await Promise.all([
      call('POST', '/v1/containments', body, { 'idempotency-key': key }),
      call('POST', '/v1/containments', body, { 'idempotency-key': key }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.json.containment_id).toBe(b.json.containment_id);
    containmentId = a.json.containment_id;

    const done = await settled(containmentId, 'contained');
    expect(done.json.containment.connectors[0]).toMatchObject({ connector: 'crm-db', stage: 'revoked', revoked: before.length });
    expect(done.json.containment.connectors[0].snapshot).toEqual(before);
    expect(await agentCanQuery()).toBe(false);
    const during = await call('POST', '/v1/containments', { principal: agent, reason: 'peek', preview: true, connectors: ['crm-db'] });
    expect(during.json.preview[0].items).toEqual([]);

    const types = done.json.timeline.map((e: any) => e.type);
    expect(types.slice(0, 2)).toEqual(['ContainmentRequested', 'AccessSnapshotted']);
    expect(types).toContain('AccessRevoked');
    expect(types.at(-1)).toBe('ContainmentCompleted');
    expect(done.json.timeline[0].metadata.actor).toBe('bootstrap-admin');
    expect(done.json.timeline[0].data.reason).toBe(body.reason);

    const again = await call('POST', '/v1/containments', body, { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect((await call('GET', `/v1/containments/${containmentId}`)).json.timeline).toHaveLength(done.json.timeline.length);
  });

  it('refuses a second containment of the same principal under another key', async () => {
    const res = await call('POST', '/v1/containments', { principal: agent, reason: 'again' }, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('CONTAINMENT.PRINCIPAL_ALREADY_CONTAINED');
  });

  it('rolls back to exactly what was held, item by item', async () => {
    const res = await call('POST', `/v1/containments/${containmentId}/rollback`, { reason: 'incident closed' });
    expect(res.status).toBe(202);
    await settled(containmentId, 'rolled_back');
    const after = await call('POST', '/v1/containments', { principal: agent, reason: 'verify', preview: true, connectors: ['crm-db'] });
    expect(after.json.preview[0].items).toEqual(before);
    expect(await agentCanQuery()).toBe(true);
  });

  it('goes partial when one connector is down, shows it, and completes once it is back', async () => {
    const res = await call('POST', '/v1/containments', { principal: agent, reason: 'contain everywhere' }, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(202);
    const partial = await settled(res.json.containment_id, 'partial');
    const byName = Object.fromEntries(partial.json.containment.connectors.map((c: any) => [c.connector, c]));
    expect(byName['crm-db'].stage).toBe('revoked');
    expect(byName['warehouse-db'].stage).toBe('snapshot_failed');
    expect(partial.json.containment.blocked.map((b: any) => b.connector)).toEqual(['warehouse-db']);
    expect(await agentCanQuery()).toBe(false);

    await admin.query(`CREATE DATABASE ${missingDb}`);
    const contained = await settled(res.json.containment_id, 'contained');
    expect(contained.json.containment.connectors.map((c: any) => c.stage)).toEqual(['revoked', 'revoked']);

    await call('POST', `/v1/containments/${res.json.containment_id}/rollback`, { reason: 'done' });
    await settled(res.json.containment_id, 'rolled_back');
    expect(await agentCanQuery()).toBe(true);
  });

  it('in dry-run mode (the default), an auto_contain rule only records what it would have done', async () => {
    const before = (await call('GET', `/v1/containments?principal=${agent}`)).json.items.length;
    const res = await call('POST', '/v1/events', [unconfirmedDelete(agent)]);
    expect(res.json.accepted).toBe(1);
    const decisions = (await call('GET', '/v1/containments/automation')).json.items.filter((d: any) => d.candidate.principal === agent);
    expect(decisions.map((d: any) => [d.action, d.candidate.ruleId])).toEqual([['would-contain', 'destructive-action-without-confirmation']]);
    expect((await call('GET', `/v1/containments?principal=${agent}`)).json.items).toHaveLength(before);
  });

  it('with WARDEN_AUTO_CONTAIN=on, the rule contains the principal itself, attributed to the rule', async () => {
    await warden.close();
    warden = await startWarden({ ...wardenEnv, WARDEN_AUTO_CONTAIN: 'on' });
    expect((await call('POST', '/v1/events', [unconfirmedDelete(agent)])).json.accepted).toBe(1);
    const auto = await eventually(
      () => call('GET', `/v1/containments?principal=${agent}`),
      (r) => r.json.items.some((c: any) => c.requested_by === 'rule:destructive-action-without-confirmation' && c.status === 'contained'),
      { what: 'automatic containment' },
    );
    const c = auto.json.items.find((x: any) => x.requested_by.startsWith('rule:'));
    expect(c.reason).toMatch(/^automatic: rule destructive-action-without-confirmation/);
    expect(await agentCanQuery()).toBe(false);
    await call('POST', `/v1/containments/${c.containment_id}/rollback`, { reason: 'false positive' });
    await settled(c.containment_id, 'rolled_back');
    expect(await agentCanQuery()).toBe(true);
  });

  it('answers 404 for an unknown containment and lists containments of a principal', async () => {
    expect((await call('GET', `/v1/containments/ctn_${'0'.repeat(32)}`)).status).toBe(404);
    const list = await call('GET', `/v1/containments?principal=${agent}`);
    expect(list.json.items.map((c: any) => c.status)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
  });
});
