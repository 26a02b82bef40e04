import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { instantFromDate } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { agentAction, tempDir } from '@warden/testing';
import { TableNames, createClickHouseClient } from '../clickhouse/clickhouse.connection.js';
import { MIGRATIONS } from '../migrations/migrations.js';
import { Migrator } from '../migrations/migrator.js';
import { AgentActionRepository, type PrincipalSummary, storedEventKey } from './agent-action.repository.js';
import { toAgentActionRow } from './agent-action.row.js';

const data = tempDir();
let client: ClickHouseClient;

beforeAll(() => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: 'warden_summary_spec' });
});
afterAll(async () => {
  await client.close();
  data.cleanup();
});

const P = 'summary-agent';
const TYPES = ['data.read', 'tool.call', 'message.post', 'resource.delete'];

/** 240 events of P over three months (so three partitions), 4 action types, resources that repeat, in two resource types. */
function workload(): AgentAction[] {
  return Array.from({ length: 240 }, (_, i) =>
    agentAction({
      principal: { id: P },
      occurred_at: new Date(Date.UTC(2026, 7 + (i % 3), 1 + (i % 28), i % 24, 0, 0, i)).toISOString(),
      action: { type: TYPES[i % 7 < 4 ? 0 : (i % 7) - 3] },
      resource: { type: i % 5 === 0 ? 'drive.folder' : 'drive.file', id: `doc-${i % 37}` },
    }),
  );
}

/** The summary computed in memory from the distinct events. */
function expectedSummary(events: AgentAction[]): PrincipalSummary {
  const byType: Record<string, number> = {};
  for (const e of events) byType[e.action.type] = (byType[e.action.type] ?? 0) + 1;
  const times = events.map((e) => e.occurred_at).sort();
  return {
    principal: P,
    total: events.length,
    by_action_type: byType,
    first_seen: times[0].replace('.000Z', 'Z'),
    last_seen: times[times.length - 1].replace('.000Z', 'Z'),
    distinct_resources: new Set(events.map((e) => `${e.resource.type}\u0000${e.resource.id}`)).size,
  };
}

async function setUp(database: string, upTo = Infinity): Promise<{ tables: TableNames; repo: AgentActionRepository }> {
  const tables = new TableNames(database);
  await new Migrator(client, tables, MIGRATIONS.filter((m) => m.version <= upTo)).migrate();
  return { tables, repo: new AgentActionRepository(client, tables) };
}

async function insert(repo: AgentActionRepository, events: AgentAction[]): Promise<void> {
  await repo.insert(events.map((e) => toAgentActionRow(e, instantFromDate(new Date()))));
}

/** Rows of the principal in the default tenant as stored, duplicates included (no FINAL). */
async function rawCount(tables: TableNames, principal: string): Promise<number> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM ${tables.agentActions} WHERE tenant = 'default' AND principal_id = {p:String}`,
    query_params: { p: principal },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row.n);
}

/** The summary as the two FINAL queries before migration 3 computed it: the reference the new query must equal. */
async function referenceSummary(tables: TableNames, tenant: string, principal: string) {
  const from = `${tables.agentActions} FINAL WHERE tenant = {tenant:String} AND principal_id = {principal:String}`;
  const params = { tenant, principal };
  const totals = await client.query({
    query: `SELECT count() AS total, uniqExact(resource_type, resource_id) AS distinct_resources FROM ${from}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const [t] = await totals.json<{ total: string | number; distinct_resources: string | number }>();
  const byType = await client.query({
    query: `SELECT action_type, count() AS n FROM ${from} GROUP BY action_type ORDER BY n DESC, action_type`,
    query_params: params,
    format: 'JSONCompactEachRow',
  });
  const counts = await byType.json<[string, string | number]>();
  return { total: Number(t.total), distinct_resources: Number(t.distinct_resources), by_action_type: counts.map(([k, n]) => [k, Number(n)]) };
}

describe('AgentActionRepository.summarisePrincipal', () => {
  let tables: TableNames;
  let repo: AgentActionRepository;
  const events = workload();

  beforeAll(async () => {
    ({ tables, repo } = await setUp('warden_summary_spec'));
    // Separate inserts, separate parts: the duplicate below stays a second physical row until a merge.
    await client.command({ query: `SYSTEM STOP MERGES ${tables.agentActions}` });
    await insert(repo, events.slice(0, 120));
    await insert(repo, events.slice(120));
    await insert(repo, [
      agentAction({ tenant: 'other-tenant', principal: { id: P }, action: { type: 'permission.grant' }, resource: { id: 'elsewhere' } }),
      agentAction({ principal: { id: 'someone-else' }, resource: { id: 'not-mine' } }),
    ]);
  });
  afterAll(async () => {
    await client.command({ query: `SYSTEM START MERGES ${tables.agentActions}` });
  });

  it('is exact: total, counts by action type, first and last seen, distinct (type, id) resources', async () => {
    const summary = await repo.summarisePrincipal('default', P);
    expect(summary).toEqual(expectedSummary(events));
    expect(summary?.distinct_resources).toBe(74); // doc-0…doc-36 both as a drive.file and as a drive.folder
  });

  it('orders action types most frequent first, ties by type, as the response always has', async () => {
    const summary = await repo.summarisePrincipal('default', P);
    const reference = await referenceSummary(tables, 'default', P);
    expect(Object.entries(summary?.by_action_type ?? {})).toEqual(reference.by_action_type);
    expect(summary?.total).toBe(reference.total);
    expect(summary?.distinct_resources).toBe(reference.distinct_resources);
  });

  it('counts an event stored twice (the same row inserted again) once', async () => {
    const before = await repo.summarisePrincipal('default', P);
    const again = [events[3], events[100], events[200]];
    await insert(repo, again);
    await insert(repo, [events[3]]);
    expect(await rawCount(tables, P)).toBe(events.length + 4);
    expect(await repo.summarisePrincipal('default', P)).toEqual(before);
    expect(await repo.summarisePrincipal('default', P)).toEqual(expectedSummary(events));
  });

  it('keeps tenants apart and answers null for a principal with no events', async () => {
    expect(await repo.summarisePrincipal('other-tenant', P)).toMatchObject({ total: 1, by_action_type: { 'permission.grant': 1 }, distinct_resources: 1 });
    expect(await repo.summarisePrincipal('default', 'nobody')).toBeNull();
    expect(await repo.summarisePrincipal('nobody-tenant', P)).toBeNull();
  });

  it('tells resources apart by type and id together, not by their concatenation', async () => {
    await insert(repo, [
      agentAction({ principal: { id: 'concat-agent' }, resource: { type: 'a', id: 'bc' } }),
      agentAction({ principal: { id: 'concat-agent' }, resource: { type: 'ab', id: 'c' } }),
      agentAction({ principal: { id: 'concat-agent' }, resource: { type: 'ab', id: 'c' } }),
    ]);
    expect(await repo.summarisePrincipal('default', 'concat-agent')).toMatchObject({ total: 3, distinct_resources: 2 });
  });
});

describe('summary over events stored before migration 3', () => {
  const events = workload();

  it('is exact before resource_key is written to old parts, and after the backfill', async () => {
    const { tables, repo } = await setUp('warden_summary_legacy', 2);
    await client.command({ query: `SYSTEM STOP MERGES ${tables.agentActions}` });
    await insert(repo, events);
    await insert(repo, [events[0], events[7]]); // duplicates written by a race, before the upgrade
    expect(await rawCount(tables, P)).toBe(events.length + 2);

    // The column exists but no part has it on disk yet: the engine computes it on read.
    const [addColumn] = MIGRATIONS.find((m) => m.version === 3)?.statements(tables) ?? [];
    await client.command({ query: addColumn });
    expect(await onDiskParts(tables)).toBe(0);
    expect(await repo.summarisePrincipal('default', P)).toEqual(expectedSummary(events));

    // The migration proper: idempotent ADD COLUMN, then the backfill, a background mutation (run with merges).
    expect(await new Migrator(client, tables).migrate()).toEqual([3, 4]);
    expect(await repo.summarisePrincipal('default', P)).toEqual(expectedSummary(events));
    await client.command({ query: `SYSTEM START MERGES ${tables.agentActions}` });
    await until(async () => (await onDiskParts(tables)) === (await activeParts(tables)));
    expect(await repo.summarisePrincipal('default', P)).toEqual(expectedSummary(events));
  });
});

async function scalar(query: string, params: Record<string, unknown>): Promise<number> {
  const rs = await client.query({ query, query_params: params, format: 'JSONCompactEachRow' });
  const [[n]] = await rs.json<[string | number]>();
  return Number(n);
}

function activeParts(tables: TableNames): Promise<number> {
  return scalar(`SELECT count() FROM system.parts WHERE database = {db:String} AND table = 'agent_actions' AND active`, { db: tables.database });
}

/** Active parts that hold resource_key on disk (rather than computing it on read). */
function onDiskParts(tables: TableNames): Promise<number> {
  return scalar(
    `SELECT count() FROM system.parts_columns
     WHERE database = {db:String} AND table = 'agent_actions' AND active AND column = 'resource_key'`,
    { db: tables.database },
  );
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('AgentActionRepository.findStored, the dedupe check', () => {
  let repo: AgentActionRepository;
  const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 12, 0, 0, i)).toISOString();
  const stored = [0, 9_999, 10_000, 24_999].map((i) => agentAction({ event_id: `dedupe-${i}`, occurred_at: at(i) }));
  const window = { from: '2026-11-01 12:00:00.000000', to: '2026-11-01 12:00:30.000000' };

  beforeAll(async () => {
    ({ repo } = await setUp('warden_dedupe_spec'));
    await insert(repo, [...stored, agentAction({ tenant: 'other-tenant', event_id: 'dedupe-5', occurred_at: at(5) })]);
  });

  it('finds stored events wherever they sit in a list longer than one lookup (25,000 ids: three lookups)', async () => {
    const ids = Array.from({ length: 25_000 }, (_, i) => `dedupe-${i}`);
    const queries = vi.spyOn(client, 'query');
    const found = await repo.findStored('default', ids, window);
    expect(queries.mock.calls.map(([params]) => (params.query_params?.ids as string[]).length)).toEqual([10_000, 10_000, 5_000]);
    queries.mockRestore();
    expect([...found].map((key) => key.split('\u0000')[0]).sort()).toEqual(['dedupe-0', 'dedupe-10000', 'dedupe-24999', 'dedupe-9999']);
  });

  it('keys each by event_id and occurred_at, and stays in the tenant', async () => {
    const found = await repo.findStored('default', ['dedupe-0', 'dedupe-5'], window);
    expect(found).toEqual(new Set([storedEventKey('dedupe-0', '2026-11-01 12:00:00.000000')]));
  });

  it('asks nothing for no ids', async () => {
    const queries = vi.spyOn(client, 'query');
    expect(await repo.findStored('default', [], window)).toEqual(new Set());
    expect(queries).not.toHaveBeenCalled();
    queries.mockRestore();
  });
});
