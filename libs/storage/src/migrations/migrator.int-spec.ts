import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { tempDir } from '@warden/testing';
import { TableNames, createClickHouseClient } from '../clickhouse/clickhouse.connection.js';
import { MIGRATIONS } from './migrations.js';
import { Migrator } from './migrator.js';

const data = tempDir();
const tables = new TableNames('warden_migrator_spec');
let client: ClickHouseClient;

beforeAll(() => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
});
afterAll(async () => {
  await client.close();
  data.cleanup();
});

async function ttlOf(table: string): Promise<string> {
  const rs = await client.query({
    query: 'SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = {t:String}',
    query_params: { db: tables.database, t: table },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ create_table_query: string }>();
  return /\bTTL\s+(.+?)\s+SETTINGS\b/.exec(row.create_table_query)?.[1] ?? '';
}

describe('ClickHouse migrations on the embedded engine', () => {
  it('applies every migration once, in order, and nothing on a second run', async () => {
    const migrator = new Migrator(client, tables);
    expect(await migrator.migrate()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrator.migrate()).toEqual([]);
    expect(await migrator.appliedVersions()).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('creates agent_actions partitioned by month and ordered for per-principal history', async () => {
    const rs = await client.query({
      query: 'SELECT engine, partition_key, sorting_key FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      query_params: { db: tables.database, t: 'agent_actions' },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { engine: 'ReplacingMergeTree', partition_key: 'toYYYYMM(occurred_at)', sorting_key: 'tenant, principal_id, occurred_at, event_id' },
    ]);
  });

  it('sets, changes and removes the retention TTL from configuration', async () => {
    const migrator = new Migrator(client, tables);
    await migrator.applyRetention(90);
    expect(await ttlOf('agent_actions')).toBe('toDateTime(occurred_at) + toIntervalDay(90)');
    expect(await ttlOf('rejected_events')).toBe('toDateTime(rejected_at) + toIntervalDay(90)');
    await migrator.applyRetention(30);
    expect(await ttlOf('agent_actions')).toBe('toDateTime(occurred_at) + toIntervalDay(30)');
    await migrator.applyRetention(0);
    expect(await ttlOf('agent_actions')).toBe('');
  });
});
