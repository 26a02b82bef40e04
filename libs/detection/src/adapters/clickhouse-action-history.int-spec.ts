import type { ClickHouseClient } from '@clickhouse/client';
import { instantFromDate } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { AgentActionRepository, MIGRATIONS, Migrator, TableNames, createClickHouseClient, toAgentActionRow } from '@warden/storage';
import { agentAction, tempDir } from '@warden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PriorQuestion } from '../history/action-history.port.js';
import { InMemoryActionHistory } from '../history/in-memory-action-history.js';
import { ClickHouseActionHistory } from './clickhouse-action-history.js';

const data = tempDir('warden-history-');
const tables = new TableNames('warden_history_spec');
let client: ClickHouseClient;

const at = (day: number, second = 0) => new Date(Date.UTC(2026, 9, day, 12, 0, second)).toISOString();
const done = (tenant: string, principal: string, type: string, resourceType: string, occurredAt: string): AgentAction =>
  agentAction({ tenant, principal: { id: principal }, action: { type }, resource: { type: resourceType }, occurred_at: occurredAt });

/** What was stored: a few principals' grants and reads over October, in two tenants. */
const stored = [
  done('acme', 'agent-1', 'permission.grant', 'drive.folder', at(10)),
  done('acme', 'agent-1', 'permission.grant', 'drive.folder', at(20)),
  done('acme', 'agent-1', 'data.read', 'drive.file', at(15)),
  done('acme', 'agent-2', 'permission.grant', 'dataset', at(5)),
  done('globex', 'agent-3', 'permission.grant', 'drive.folder', at(12)),
];

/** Questions at the edges: window bounds (since inclusive, before exclusive), other tenant, type or resource. */
const q = (tenant: string, principalId: string, actionType: string, resourceType: string, sinceIso: string, beforeIso: string): PriorQuestion => ({
  tenant,
  principalId,
  actionType,
  resourceType,
  sinceIso,
  beforeIso,
});
const questions: PriorQuestion[] = [
  q('acme', 'agent-1', 'permission.grant', 'drive.folder', at(1), at(11)),
  q('acme', 'agent-1', 'permission.grant', 'drive.folder', at(11), at(20)),
  q('acme', 'agent-1', 'permission.grant', 'drive.folder', at(20), at(21)),
  q('acme', 'agent-1', 'permission.grant', 'drive.folder', at(21), at(30)),
  q('acme', 'agent-1', 'permission.grant', 'dataset', at(1), at(30)),
  q('acme', 'agent-1', 'data.read', 'drive.file', at(1), at(30)),
  q('acme', 'agent-2', 'permission.grant', 'dataset', at(1), at(5)),
  q('acme', 'agent-2', 'permission.grant', 'dataset', at(1), at(5, 1)),
  q('acme', 'agent-3', 'permission.grant', 'drive.folder', at(1), at(30)),
  q('globex', 'agent-3', 'permission.grant', 'drive.folder', at(1), at(30)),
  q('globex', 'agent-1', 'permission.grant', 'drive.folder', at(1), at(30)),
];

beforeAll(async () => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  await new Migrator(client, tables, MIGRATIONS).migrate();
  await new AgentActionRepository(client, tables).insert(stored.map((e) => toAgentActionRow(e, instantFromDate(new Date()))));
});
afterAll(async () => {
  await client.close();
  data.cleanup();
});

describe('the ClickHouse action history answers as the reference does', () => {
  const reference = new InMemoryActionHistory().record(stored);
  const expected = () => Promise.all(questions.map((x) => reference.hasPrior(x.tenant, x.principalId, x.actionType, x.resourceType, x.sinceIso, x.beforeIso)));

  it('one question at a time', async () => {
    const history = new ClickHouseActionHistory(client, tables);
    const answers = await Promise.all(questions.map((x) => history.hasPrior(x.tenant, x.principalId, x.actionType, x.resourceType, x.sinceIso, x.beforeIso)));
    expect(answers).toEqual(await expected());
  });

  it('all questions at once, each in its own window and tenant', async () => {
    const history = new ClickHouseActionHistory(client, tables);
    const answers = await history.hasPriorMany(questions);
    expect(answers).toEqual(await expected());
    // The edges, spelled out: since is inclusive, before exclusive, tenants apart.
    expect(answers).toEqual([true, false, true, false, false, true, false, true, false, true, false]);
  });

  it('the same question twice in one read, and a single question', async () => {
    const history = new ClickHouseActionHistory(client, tables);
    expect(await history.hasPriorMany([questions[0], questions[3], questions[0]])).toEqual([true, false, true]);
    expect(await history.hasPriorMany([questions[2]])).toEqual([true]);
    expect(await history.hasPriorMany([])).toEqual([]);
  });
});
