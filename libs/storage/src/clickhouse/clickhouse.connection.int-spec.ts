import { Readable } from 'node:stream';
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

describe('inserts into the embedded engine, handed over as bytes', () => {
  const table = 'warden_pool_spec.rows';
  const count = async () => Number((await (await single.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
  const body = (lines: string[]) => Readable.from([lines.join('\n') + '\n'], { objectMode: false });

  beforeAll(async () => {
    await single.command({ query: 'CREATE DATABASE IF NOT EXISTS warden_pool_spec' });
    await single.command({ query: `CREATE TABLE IF NOT EXISTS ${table} (id String, at DateTime64(6, 'UTC'), doc String) ENGINE = MergeTree ORDER BY id` });
  });

  it('stores an encoded body with its column list, honouring the statement’s settings', async () => {
    const before = await count();
    const result = await single.exec({
      query: `INSERT INTO \`warden_pool_spec\`.\`rows\` (id, at, doc) FORMAT JSONCompactEachRow`,
      values: body(['["a","2026-11-01T00:00:00.5Z",{"k":1}]', '["b","2026-11-01 00:00:01",{"k":[2]}]']),
      clickhouse_settings: { input_format_json_read_objects_as_strings: 1 },
    });
    result.stream.destroy();
    expect(await count()).toBe(before + 2);
    const rows = await (await single.query({ query: `SELECT id, toString(at) AS at, doc FROM ${table} WHERE id IN ('a', 'b') ORDER BY id`, format: 'JSONEachRow' })).json();
    // date_time_input_format = best_effort (the client's own setting) read the RFC 3339 time; the object was kept as its text.
    expect(rows).toEqual([
      { id: 'a', at: '2026-11-01 00:00:00.500000', doc: '{"k":1}' },
      { id: 'b', at: '2026-11-01 00:00:01.000000', doc: '{"k":[2]}' },
    ]);
  });

  it('leaves no setting behind on the connection for the statements after it', async () => {
    await single.exec({
      query: `INSERT INTO ${table} (id, at, doc) FORMAT JSONCompactEachRow`,
      values: body(['["c","2026-11-01 00:00:02","x"]']),
      clickhouse_settings: { input_format_allow_errors_num: '7' },
    });
    const [{ v }] = await (await single.query({ query: "SELECT getSetting('input_format_allow_errors_num') AS v", format: 'JSONEachRow' })).json<{ v: string }>();
    expect(Number(v)).toBe(0);
  });

  it('writes none of a body with a malformed row, and says what the engine could not parse', async () => {
    const before = await count();
    const lines = Array.from({ length: 10_000 }, (_, i) => `["bad-${i}","2026-11-01 00:00:03","x"]`);
    lines.push('["last","not a time","x"]');
    await expect(single.exec({ query: `INSERT INTO ${table} (id, at, doc) FORMAT JSONCompactEachRow`, values: body(lines) })).rejects.toThrow(/at|DateTime|parse/i);
    expect(await count()).toBe(before);
  });

  it('treats a body of nothing but whitespace as nothing to insert', async () => {
    const before = await count();
    const result = await single.exec({ query: `INSERT INTO ${table} (id, at, doc) FORMAT JSONCompactEachRow`, values: body([]) });
    result.stream.destroy();
    expect(await count()).toBe(before);
  });
});

describe('query parameters on the embedded engine, written into the statement as literals', () => {
  const values = ["it's", 'back\\slash', "\\'", 'new\nline\ttab\r', 'nul\u0000byte', 'é ü 日本 🎉', "x'); DROP TABLE t; --", '{a:String}', '\\x41'];

  it('gives the engine exactly the values passed: text of any kind, arrays, times and the largest UInt64', async () => {
    const [row] = await (
      await pooled.query({
        query: "SELECT {s:String} AS s, {list:Array(String)} AS list, toString({at:DateTime64(6, 'UTC')}) AS at, toString({big:UInt64}) AS big, toString({n:UInt32}) AS n",
        query_params: { s: values[0], list: values, at: '2026-11-25 09:00:00.123456', big: '18446744073709551615', n: 4_000_000_000 },
        format: 'JSONEachRow',
      })
    ).json<{ s: string; list: string[]; at: string; big: string; n: string }>();
    expect(row).toEqual({ s: "it's", list: values, at: '2026-11-25 09:00:00.123456', big: '18446744073709551615', n: '4000000000' });
  });

  it('matches stored rows on such values, and nothing else', async () => {
    await pooled.command({ query: 'CREATE DATABASE IF NOT EXISTS warden_pool_spec' });
    await pooled.command({ query: 'CREATE TABLE IF NOT EXISTS warden_pool_spec.tricky (v String) ENGINE = MergeTree ORDER BY v' });
    await pooled.insert({ table: 'warden_pool_spec.tricky', values: values.map((v) => ({ v })), format: 'JSONEachRow' });
    const found = await (
      await pooled.query({ query: 'SELECT v FROM warden_pool_spec.tricky WHERE v IN {vs:Array(String)} ORDER BY v', query_params: { vs: [values[1], values[6], 'absent'] }, format: 'JSONEachRow' })
    ).json<{ v: string }>();
    expect(found.map((r) => r.v).sort()).toEqual([values[1], values[6]].sort());
    const [{ n }] = await (await pooled.query({ query: 'SELECT count() AS n FROM warden_pool_spec.tricky', format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(n)).toBe(values.length);
  });

  it('answers a parameterised statement while another parameterised one runs (chdb would queue it)', async () => {
    const order: string[] = [];
    const slow = pooled.query({ query: 'SELECT sleep(1.5), {tag:String} AS tag', query_params: { tag: 'slow' }, format: 'JSONEachRow' }).then(() => order.push('slow'));
    const quick = pooled.query({ query: 'SELECT {tag:String} AS tag', query_params: { tag: 'quick' }, format: 'JSONEachRow' }).then(() => order.push('quick'));
    await Promise.all([slow, quick]);
    expect(order).toEqual(['quick', 'slow']);
  });

  it('runs a statement whose literals are longer than the engine parses by default (256 KiB)', async () => {
    const ids = Array.from({ length: 2048 }, (_, i) => `${'i'.repeat(120)}${String(i).padStart(8, '0')}`);
    const [{ n }] = await (
      await pooled.query({ query: 'SELECT count() AS n FROM numbers(3) WHERE toString(number) IN {ids:Array(String)} OR has({ids:Array(String)}, {last:String})', query_params: { ids, last: ids[2047] }, format: 'JSONEachRow' })
    ).json<{ n: string }>();
    expect(Number(n)).toBe(3);
  });

  it('refuses a statement whose placeholder has no value, before the engine sees it', async () => {
    await expect(pooled.query({ query: 'SELECT {missing:String}', query_params: { other: 'x' }, format: 'JSONEachRow' })).rejects.toThrow('query parameter missing (String) has no value');
  });
});
