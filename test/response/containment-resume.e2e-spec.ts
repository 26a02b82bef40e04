import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@warden/testing';
import { eventually, spawnWarden, type WardenProcess } from '../support/warden-process.js';
import { ADMIN_AUTH, startWarden } from '../support/warden-server.js';
import { PG } from '../support/postgres.js';

/**
 * Invariant 5, "intent is recorded before acting, so a crash mid-way
 * resumes": a Warden process is SIGKILLed while its revoke waits on a lock,
 * after the snapshot is in the ledger and before anything is revoked. The
 * restarted process must finish the containment, exactly.
 */
const run = randomUUID().slice(0, 8);
const agent = `resume-${run}`;
const roleName = `agent_${agent}`;
const role = `"${roleName}"`;
const schema = `resume_${run}`;
const TABLES = 20;
/** LOGIN, USAGE on the schema, SELECT and INSERT on each table. */
const HELD = 1 + 1 + TABLES * 2;
const scratch = tempDir();
let admin: pg.Client;
const processes: WardenProcess[] = [];

/**
 * Two configurations of the same connector. The first process waits on a
 * lock for as long as the test needs (so the kill lands mid-wait); the
 * restarted one gives up on a lock after one second, so the test can see its
 * attempts bounded and retried while the lock is still held.
 */
function writeConfig(file: string, lockTimeoutMs: number): string {
  const path = join(scratch.path, file);
  writeFileSync(
    path,
    [
      'connectors:',
      '  - kind: postgres',
      '    name: app-db',
      '    connection: { host: 127.0.0.1, port: 5432, database: test, user: postgres }',
      "    identity: { template: 'agent_{principal}' }",
      '    statement_timeout_ms: 60000',
      `    lock_timeout_ms: ${lockTimeoutMs}`,
      '',
    ].join('\n'),
  );
  return path;
}

beforeAll(async () => {
  admin = new pg.Client(PG);
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  for (let i = 0; i < TABLES; i++) {
    await admin.query(`CREATE TABLE ${schema}.t${i} (id int)`);
    await admin.query(`GRANT SELECT, INSERT ON ${schema}.t${i} TO ${role}`);
  }
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`DROP OWNED BY ${role}`);
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
  scratch.cleanup();
});

async function start(config: string): Promise<WardenProcess> {
  const p = await spawnWarden(
    {
      WARDEN_DATA_DIR: join(scratch.path, 'store'),
      WARDEN_CONFIG: config,
      WARDEN_RESPONSE_RETRY_INTERVAL_MS: '1000',
    },
    join(scratch.path, 'warden.log'),
  );
  processes.push(p);
  return p;
}

interface TimelineEvent {
  type: string;
  data: { items?: unknown[]; error?: { code: string; message: string }; retriable?: boolean; status?: string };
}
interface Status {
  containment: { status: string; connectors: { connector: string; stage: string; revoked: number; snapshot: unknown[] | null }[] };
  timeline: TimelineEvent[];
}

async function status(p: WardenProcess, id: string): Promise<Status> {
  const res = await fetch(`${p.url}/v1/containments/${id}`, { headers: ADMIN_AUTH });
  if (res.status !== 200) throw new Error(`GET containment answered ${res.status}`);
  return (await res.json()) as Status;
}

/** What the role holds on the test's tables, and whether it may log in, straight from the catalog. */
async function roleState(): Promise<{ tableGrants: number; canLogin: boolean }> {
  const grants = await admin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = $1 AND table_schema = $2',
    [roleName, schema],
  );
  const login = await admin.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [roleName]);
  return { tableGrants: grants.rows[0].n, canLogin: login.rows[0].rolcanlogin };
}

/** Backends of the connector (application_name warden:app-db) that wait on a lock. */
async function connectorBackendsWaitingOnLocks(): Promise<number[]> {
  const r = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = 'warden:app-db' AND wait_event_type = 'Lock' ORDER BY pid`,
  );
  return r.rows.map((row) => row.pid);
}

async function backendAlive(pid: number): Promise<boolean> {
  const r = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]);
  return r.rows[0].n === 1;
}

describe('intent before action', () => {
  it('a process killed mid-revoke leaves nothing half-done, and the restarted process finishes the containment exactly', async () => {
    let warden = await start(writeConfig('warden-first.yaml', 60_000));
    // An open transaction holds the role's catalog row, which the connector's
    // first revoke step (NOLOGIN) must update: the revoke waits on it.
    const blocker = new pg.Client(PG);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`ALTER ROLE ${role} CONNECTION LIMIT 50`);
    let blocked = true;
    const release = async () => {
      if (!blocked) return;
      blocked = false;
      await blocker.query('ROLLBACK');
      await blocker.end();
    };

    try {
      const res = await fetch(`${warden.url}/v1/containments`, {
        method: 'POST',
        headers: { ...ADMIN_AUTH, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ principal: agent, reason: 'SEV-2: runaway agent' }),
      });
      expect(res.status).toBe(202);
      const { containment_id: id } = (await res.json()) as { containment_id: string };

      // The snapshot is recorded and the revoke is waiting on the lock: kill now.
      const midway = await eventually(() => status(warden, id), (s) => s.timeline.some((e) => e.type === 'AccessSnapshotted'), {
        what: 'snapshot recorded',
        timeoutMs: 20_000,
      });
      const [orphan] = await eventually(connectorBackendsWaitingOnLocks, (pids) => pids.length === 1, {
        what: 'the revoke waiting on the lock',
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      expect(midway.containment.status).toBe('pending');
      expect(midway.containment.connectors).toEqual([expect.objectContaining({ connector: 'app-db', stage: 'awaiting_revocation', revoked: 0 })]);
      expect(midway.containment.connectors[0].snapshot).toHaveLength(HELD);
      expect(await warden.kill('SIGKILL')).toBe('SIGKILL');

      // The killed process's backend does not wait for the lock: the server
      // notices its client is gone and rolls its transaction back, though the
      // lock it was waiting for is still held.
      await eventually(() => backendAlive(orphan), (alive) => !alive, { what: `orphaned backend ${orphan} to end`, timeoutMs: 5_000, intervalMs: 100 });
      expect(blocked).toBe(true);
      expect(await roleState()).toEqual({ tableGrants: TABLES * 2, canLogin: true });

      // Restart while the lock is still held: the resumed revoke's attempts are
      // bounded by the lock timeout and recorded as retriable failures.
      warden = await start(writeConfig('warden-restarted.yaml', 1_000));
      const waiting = await eventually(() => status(warden, id), (s) => s.timeline.some((e) => e.type === 'RevocationFailed'), {
        what: 'a resumed revoke attempt to fail on the lock',
        timeoutMs: 20_000,
      });
      const failures = waiting.timeline.filter((e) => e.type === 'RevocationFailed');
      for (const f of failures) {
        expect(f.data.error?.code).toBe('CONNECTOR.UNAVAILABLE');
        expect(f.data.error?.message).toContain('SQLSTATE 55P03'); // lock_not_available
        expect(f.data.retriable).toBe(true);
      }
      expect(await roleState()).toEqual({ tableGrants: TABLES * 2, canLogin: true });

      await release();
      const done = await eventually(() => status(warden, id), (s) => s.containment.status === 'contained', {
        what: 'contained after restart',
        timeoutMs: 20_000,
      });
      expect(done.containment.connectors).toEqual([expect.objectContaining({ connector: 'app-db', stage: 'revoked', revoked: HELD })]);
      expect(await roleState()).toEqual({ tableGrants: 0, canLogin: false });

      const types = done.timeline.map((e) => e.type);
      expect(types.filter((t) => t === 'ContainmentRequested')).toHaveLength(1);
      expect(types.filter((t) => t === 'AccessSnapshotted')).toHaveLength(1);
      // Everything revoked in one go, by the restarted process, exactly the snapshot.
      const revoked = done.timeline.filter((e) => e.type === 'AccessRevoked');
      expect(revoked).toHaveLength(1);
      expect(revoked[0].data.items).toHaveLength(HELD);
      expect(done.timeline.at(-1)).toMatchObject({ type: 'ContainmentCompleted', data: { status: 'contained' } });
    } finally {
      await release();
    }
  });
});

describe('never forgets', () => {
  it('a containment that failed on its only connector is retried on the timer, and completes once the target is back', async () => {
    const lone = `lone-${run}`;
    const loneRole = `agent_${lone}`;
    const database = `warden_late_${run}`;
    await admin.query(`CREATE ROLE "${loneRole}" LOGIN PASSWORD 'pw'`);
    const config = join(scratch.path, 'warden-late.yaml');
    writeFileSync(
      config,
      [
        'connectors:',
        '  - kind: postgres',
        '    name: late-db',
        `    connection: { host: 127.0.0.1, port: 5432, database: ${database}, user: postgres }`,
        "    identity: { template: 'agent_{principal}' }",
        '    retry: { max_attempts: 1, timeout_ms: 5000 }',
        '',
      ].join('\n'),
    );
    const warden = await startWarden({
      WARDEN_DATA_DIR: join(scratch.path, 'store-late'),
      WARDEN_CONFIG: config,
      WARDEN_RESPONSE_RETRY_INTERVAL_MS: '500',
    });
    const get = (id: string) =>
      fetch(`${warden.url}/v1/containments/${id}`, { headers: ADMIN_AUTH }).then((r) => r.json() as Promise<Status>);
    try {
      const res = await fetch(`${warden.url}/v1/containments`, {
        method: 'POST',
        headers: { ...ADMIN_AUTH, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ principal: lone, reason: 'SEV-2: contain while its database is down' }),
      });
      expect(res.status).toBe(202);
      const { containment_id: id } = (await res.json()) as { containment_id: string };
      const failed = await eventually(() => get(id), (s) => s.containment.status === 'failed', { what: 'failed', timeoutMs: 20_000 });
      expect(failed.containment.connectors).toEqual([expect.objectContaining({ connector: 'late-db', stage: 'snapshot_failed' })]);
      expect(failed.timeline.find((e) => e.type === 'SnapshotFailed')?.data.error?.code).toBe('CONNECTOR.REJECTED');

      await admin.query(`CREATE DATABASE ${database}`);
      const done = await eventually(() => get(id), (s) => s.containment.status === 'contained', { what: 'contained', timeoutMs: 20_000 });
      expect(done.containment.connectors).toEqual([expect.objectContaining({ connector: 'late-db', stage: 'revoked', revoked: 1 })]);
      expect(done.containment.connectors[0].snapshot).toEqual([{ kind: 'pg.login' }]);
      expect(done.timeline.filter((e) => e.type === 'ConnectorsRetryRequested').length).toBeGreaterThanOrEqual(1);
      const login = await admin.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [loneRole]);
      expect(login.rows).toEqual([{ rolcanlogin: false }]);
    } finally {
      await warden.close();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS "${loneRole}"`);
    }
  });
});
