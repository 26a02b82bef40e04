import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { tempDir } from '@warden/testing';
import { createClickHouseClient } from './clickhouse.connection.js';

const data = tempDir();
let pooled: ClickHouseClient;
let single: ClickHouseClient;

beforeAll(() => {
  pooled = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: 'warden_pool_spec', connections: 2 });
  single = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: 'warden_pool_spec', connections: 1 });
});
afterAll(async () => {
  await pooled.close();
  await single.close();
  data.cleanup();
});

/** Starts a slow statement and a quick one at once; says which finished first. */
async function finishingOrder(client: ClickHouseClient): Promise<string[]> {
  const order: string[] = [];
  const slow = client.query({ query: 'SELECT sleep(1.5)', format: 'JSONEachRow' }).then(() => order.push('slow'));
  const quick = client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then(() => order.push('quick'));
  await Promise.all([slow, quick]);
  return order;
}

describe('the embedded engine behind several connections', () => {
  it('answers a quick statement while a slow one runs, where one connection makes it wait its turn', async () => {
    expect(await finishingOrder(single)).toEqual(['slow', 'quick']);
    expect(await finishingOrder(pooled)).toEqual(['quick', 'slow']);
  });

  it('shows what one connection wrote to the others at once: they share one engine and its data', async () => {
    await pooled.command({ query: 'CREATE DATABASE IF NOT EXISTS warden_pool_spec' });
    await pooled.command({ query: 'CREATE TABLE IF NOT EXISTS warden_pool_spec.t (n UInt32) ENGINE = MergeTree ORDER BY n' });
    await pooled.insert({ table: 'warden_pool_spec.t', values: [{ n: 1 }, { n: 2 }], format: 'JSONEachRow' });
    const counts = await Promise.all(
      [pooled, pooled, single].map(async (c) => (await (await c.query({ query: 'SELECT count() AS n FROM warden_pool_spec.t', format: 'JSONEachRow' })).json<{ n: string }>())[0].n),
    );
    expect(counts.map(Number)).toEqual([2, 2, 2]);
  });
});
