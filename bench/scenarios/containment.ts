/**
 * Containment benchmark (`npm run bench -- containment`). One principal holds
 * 200 PostgreSQL grants (and LOGIN), 50 Kafka ACLs and 5 SCIM group
 * memberships (and an active account). Through the HTTP API of an in-process
 * Warden configured with the three connectors, each run
 *   1. contains it (POST /v1/containments) and times command → `contained`
 *      (every connector snapshotted and revoked, as the ledger records it);
 *   2. rolls it back (POST /v1/containments/{id}/rollback) and times
 *      command → `rolled_back` (every connector restored).
 * BENCH_RUNS runs (20 by default); p50 and p99 of each. Completion is seen by
 * polling GET /v1/containments/{id} every POLL_MS, so figures carry up to that
 * much extra. Holdings are checked against the first snapshot at the end, and
 * everything the benchmark created is removed. Not a test: it reports.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { type AclEntry, type Admin } from 'kafkajs';
import pg from 'pg';
import { LOCAL_KAFKA_BROKERS, ensureKafkaBroker, tempDir } from '@warden/testing';
import { startScimTestServer, type ScimTestServer } from '../../libs/connectors/src/scim/testing/scim-test-server.js';
import { ADMIN_AUTH, startWarden, type RunningWarden } from '../../test/support/warden-server.js';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';

const { Kafka, logLevel, AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const POLL_MS = 5;
const PG_TABLES = 50; // × SELECT, INSERT, UPDATE, DELETE = 200 grants
const KAFKA_TOPICS = 25; // × READ, WRITE = 50 ACLs
const SCIM_GROUPS = 5;
const EXPECTED = { 'app-db': PG_TABLES * 4 + 1, 'events-kafka': KAFKA_TOPICS * 2, idp: SCIM_GROUPS + 1 };

const run = randomUUID().slice(0, 8);
const principal = `bench-${run}`;
const pgRole = `agent_${principal}`;
const pgSchema = `bench_ctn_${run}`;
const kafkaUser = `User:warden-${principal}`;
const topics = Array.from({ length: KAFKA_TOPICS }, (_, i) => `bench-ctn-${run}-t${String(i).padStart(2, '0')}`);
const SCIM_TOKEN = `bench-${randomUUID()}`;
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

interface View {
  containment_id: string;
  status: string;
  connectors: { connector: string; stage: string; revoked: number; restored: number; last_error: { code: string; message: string } | null }[];
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: body === undefined ? { ...ADMIN_AUTH, ...headers } : { 'content-type': 'application/json', ...ADMIN_AUTH, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Polls the containment until its status is `wanted`; any other settled status is a failure of the run. */
async function until(base: string, id: string, wanted: string): Promise<View> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = (await call(base, 'GET', `/v1/containments/${id}`)).json.containment as View;
    if (view.status === wanted) return view;
    if (['partial', 'failed'].includes(view.status) || Date.now() > deadline) {
      throw new Error(`containment ${id} is ${view.status}, not ${wanted}: ${JSON.stringify(view.connectors)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function summary(label: string, samples: number[], note: string): BenchFigure[] {
  const s = [...samples].sort((a, b) => a - b);
  return [
    { name: `${label}: p50`, value: ms(quantile(s, 0.5)), unit: 'ms', note },
    { name: `${label}: p99`, value: ms(quantile(s, 0.99)), unit: 'ms', note: `nearest rank of ${s.length} runs` },
    { name: `${label}: min / max`, value: ms(s[0]), unit: 'ms', note: `max ${ms(s[s.length - 1])} ms` },
  ];
}

async function setUpPostgres(admin: pg.Client): Promise<void> {
  await admin.query(`CREATE ROLE "${pgRole}" LOGIN PASSWORD 'bench'`);
  await admin.query(`CREATE SCHEMA ${pgSchema}`);
  const tables = Array.from({ length: PG_TABLES }, (_, i) => `${pgSchema}.t${String(i).padStart(2, '0')}`);
  await admin.query(tables.map((t) => `CREATE TABLE ${t} (id int)`).join(';'));
  await admin.query(tables.map((t) => `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO "${pgRole}"`).join(';'));
}

function benchAcls(): AclEntry[] {
  return topics.flatMap((topic) =>
    [AclOperationTypes.READ, AclOperationTypes.WRITE].map((operation) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: kafkaUser,
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

async function setUpScim(server: ScimTestServer): Promise<void> {
  const scim = async (path: string, body: unknown) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`SCIM POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const user = await scim('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: principal, active: true });
  const bystander = await scim('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `person-${run}`, active: true });
  for (let i = 0; i < SCIM_GROUPS; i++) {
    await scim('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: `bench-group-${i}`,
      members: [{ value: user.id }, { value: bystander.id }],
    });
  }
}

function writeConfig(dir: string, brokers: string[], scimBaseUrl: string): string {
  const path = join(dir, 'warden.yaml');
  writeFileSync(
    path,
    [
      'connectors:',
      '  - kind: postgres',
      '    name: app-db',
      '    connection: { host: 127.0.0.1, port: 5432, database: test, user: postgres }',
      "    identity: { template: 'agent_{principal}' }",
      '  - kind: kafka-acl',
      '    name: events-kafka',
      `    brokers: [${brokers.map((b) => `'${b}'`).join(', ')}]`,
      "    identity: { template: 'warden-{principal}' }",
      '  - kind: scim',
      '    name: idp',
      `    base_url: '${scimBaseUrl}'`,
      `    bearer_token: '${SCIM_TOKEN}'`,
      "    identity: { template: '{principal}' }",
      '',
    ].join('\n'),
  );
  return path;
}

/** WARDEN_KAFKA_BROKERS, else a broker already answering on the local ports (another checkout's, say), else the local one started. */
async function kafkaBrokers(): Promise<string[]> {
  if (process.env.WARDEN_KAFKA_BROKERS) return (await ensureKafkaBroker()).brokers;
  const probe = new Kafka({ clientId: 'bench-probe', brokers: LOCAL_KAFKA_BROKERS, logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin();
  try {
    await probe.connect();
    await probe.listTopics();
    return LOCAL_KAFKA_BROKERS;
  } catch {
    return (await ensureKafkaBroker()).brokers;
  } finally {
    await probe.disconnect().catch(() => undefined);
  }
}

async function main(): Promise<ScenarioResult> {
  const brokers = await kafkaBrokers();
  const admin = new pg.Client(PG);
  await admin.connect();
  const kafkaAdmin: Admin = new Kafka({ clientId: 'bench-containment', brokers, logLevel: logLevel.NOTHING }).admin();
  await kafkaAdmin.connect();
  const scim = await startScimTestServer({ token: SCIM_TOKEN });
  const data = tempDir('warden-bench-containment-');
  let warden: RunningWarden | undefined;
  try {
    console.log(`setting up ${principal}: ${PG_TABLES * 4} PostgreSQL grants, ${KAFKA_TOPICS * 2} Kafka ACLs, ${SCIM_GROUPS} SCIM groups …`);
    await setUpPostgres(admin);
    await kafkaAdmin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true });
    await kafkaAdmin.createAcls({ acl: benchAcls() });
    await setUpScim(scim);
    warden = await startWarden({
      WARDEN_DATA_DIR: join(data.path, 'store'),
      WARDEN_CONFIG: writeConfig(data.path, brokers, scim.baseUrl),
      WARDEN_LOG_LEVEL: 'error',
    });
    const base = warden.url;

    // The broker applies new ACLs a moment after acknowledging them: wait until all are visible.
    let held: { connector: string; items?: unknown[]; error?: unknown }[] = [];
    for (let i = 0; i < 100; i++) {
      held = (await call(base, 'POST', '/v1/containments', { principal, reason: 'bench preview', preview: true })).json.preview;
      if (held.every((c) => c.items?.length === EXPECTED[c.connector as keyof typeof EXPECTED])) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const counts = Object.fromEntries(held.map((c) => [c.connector, c.items?.length ?? c.error]));
    if (JSON.stringify(counts) !== JSON.stringify(EXPECTED)) throw new Error(`unexpected holdings: ${JSON.stringify(counts)}`);

    const contain: number[] = [];
    const acknowledge: number[] = [];
    const rollback: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const t0 = performance.now();
      const res = await call(base, 'POST', '/v1/containments', { principal, reason: `bench run ${i}` }, { 'idempotency-key': randomUUID() });
      acknowledge.push(performance.now() - t0);
      if (res.status !== 202) throw new Error(`POST /v1/containments answered ${res.status}: ${JSON.stringify(res.json)}`);
      const id = res.json.containment_id as string;
      const contained = await until(base, id, 'contained');
      contain.push(performance.now() - t0);
      for (const c of contained.connectors) {
        if (c.stage !== 'revoked' || c.revoked !== EXPECTED[c.connector as keyof typeof EXPECTED]) throw new Error(`run ${i}: ${JSON.stringify(c)}`);
      }

      const t1 = performance.now();
      const rb = await call(base, 'POST', `/v1/containments/${id}/rollback`, { reason: `bench run ${i} done` });
      if (rb.status !== 202) throw new Error(`rollback answered ${rb.status}: ${JSON.stringify(rb.json)}`);
      const rolledBack = await until(base, id, 'rolled_back');
      rollback.push(performance.now() - t1);
      for (const c of rolledBack.connectors) {
        if (c.stage !== 'restored' || c.restored !== EXPECTED[c.connector as keyof typeof EXPECTED]) throw new Error(`run ${i}: ${JSON.stringify(c)}`);
      }
      console.log(`run ${String(i).padStart(2)}: contained in ${contain.at(-1)?.toFixed(1)} ms, rolled back in ${rollback.at(-1)?.toFixed(1)} ms`);
    }

    // Rollback is exact: after all runs the principal holds exactly what it held before the first.
    const after = (await call(base, 'POST', '/v1/containments', { principal, reason: 'bench check', preview: true })).json.preview;
    if (JSON.stringify(after) !== JSON.stringify(held)) throw new Error('holdings after the runs differ from those before the first');

    const p50 = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
    return {
      title: `Containment and rollback through the API: ${PG_TABLES * 4} PostgreSQL grants, ${KAFKA_TOPICS * 2} Kafka ACLs, ${SCIM_GROUPS} SCIM groups, ${RUNS} runs`,
      figures: [
        ...summary('contain: command → all connectors revoked', contain, 'POST /v1/containments until GET says contained'),
        ...summary('rollback: command → all connectors restored', rollback, 'POST …/rollback until GET says rolled_back'),
        ...summary('contain: command acknowledged (202, intent recorded)', acknowledge, 'POST /v1/containments round trip'),
      ],
      ratios: [{ name: 'rollback p50 / contain p50', value: Math.round((p50(rollback) / p50(contain)) * 1000) / 1000, unit: '' }],
      context: {
        runs: RUNS,
        poll_interval_ms: POLL_MS,
        items_per_connector: EXPECTED,
        connectors: { 'app-db': 'postgres, local server, database test', 'events-kafka': `kafka-acl, ${brokers.join(',')}`, idp: 'scim, SCIMMY test server in process' },
        storage: 'embedded ClickHouse (chDB), in process',
        samples_ms: { contain: contain.map(ms), rollback: rollback.map(ms) },
      },
    };
  } finally {
    await warden?.close();
    await cleanUp(admin, kafkaAdmin);
    await kafkaAdmin.disconnect();
    await admin.end();
    await scim.close();
    data.cleanup();
  }
}

/** Removes the role, schema, ACLs and topics this run created, whatever state the runs left them in. */
async function cleanUp(admin: pg.Client, kafkaAdmin: Admin): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`).catch((e: unknown) => console.error('drop schema:', e));
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [pgRole]);
  if (exists.rowCount === 1) {
    await admin.query(`DROP OWNED BY "${pgRole}"`).catch((e: unknown) => console.error('drop owned:', e));
    await admin.query(`DROP ROLE "${pgRole}"`).catch((e: unknown) => console.error('drop role:', e));
  }
  await kafkaAdmin
    .deleteAcls({
      filters: [
        {
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          principal: kafkaUser,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        },
      ],
    })
    .catch((e: unknown) => console.error('delete ACLs:', e));
  await kafkaAdmin.deleteTopics({ topics }).catch((e: unknown) => console.error('delete topics:', e));
}

runScenario('containment', main);
