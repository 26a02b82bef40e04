/**
 * Scenario "insert-durability": what the fsync'd insert costs. Warden's
 * tables set `fsync_after_insert` and `fsync_part_directory`, so a 202 (or a
 * Kafka commit) means the events are on disk. This times Warden's own insert
 * (AgentActionRepository, rows as the ingest path builds them) of batches of
 * 1,000 and 5,000 events into two copies of the migrated schema in one
 * embedded engine: one as migrated, one with both settings off. The two are
 * alternated, BENCH_RUNS (16) inserts per size each, nothing else running.
 */
import { instantFromDate } from '@warden/common';
import { AgentActionRepository, MIGRATIONS, TableNames, createClickHouseClient, toAgentActionRow } from '@warden/storage';
import { tempDir } from '@warden/testing';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { benchEvent } from './support/events.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 16);
const SIZES = [1_000, 5_000];

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-');
  const client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: 'bench_durable', connections: 1 });
  try {
    const durable = new TableNames('bench_durable');
    const volatile = new TableNames('bench_volatile');
    for (const tables of [durable, volatile]) {
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${tables.database}` });
      for (const migration of MIGRATIONS) for (const statement of migration.statements(tables)) await client.command({ query: statement });
    }
    await client.command({ query: `ALTER TABLE ${volatile.agentActions} MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0` });
    const repositories = { durable: new AgentActionRepository(client, durable), volatile: new AgentActionRepository(client, volatile) };
    const now = instantFromDate(new Date());
    let next = 0;
    const figures: BenchFigure[] = [];
    const ratios: BenchFigure[] = [];
    const timings: Record<string, { durable: number[]; volatile: number[] }> = {};
    for (const size of SIZES) {
      const times = { durable: [] as number[], volatile: [] as number[] };
      for (let run = 0; run < RUNS; run++) {
        // Alternate which goes first, so neither always meets the other's merges.
        for (const kind of run % 2 === 0 ? (['durable', 'volatile'] as const) : (['volatile', 'durable'] as const)) {
          const rows = Array.from({ length: size }, () => toAgentActionRow(benchEvent(next++, 'durability'), now));
          const started = performance.now();
          await repositories[kind].insert(rows);
          times[kind].push(performance.now() - started);
        }
      }
      const sorted = { durable: [...times.durable].sort((a, b) => a - b), volatile: [...times.volatile].sort((a, b) => a - b) };
      const d = quantile(sorted.durable, 0.5);
      const v = quantile(sorted.volatile, 0.5);
      figures.push(
        { name: `insert of ${size.toLocaleString()} events, fsync on (as shipped), p50`, value: ms(d), unit: 'ms', note: `p90 ${ms(quantile(sorted.durable, 0.9))} ms over ${RUNS} inserts` },
        { name: `insert of ${size.toLocaleString()} events, fsync off, p50`, value: ms(v), unit: 'ms', note: `p90 ${ms(quantile(sorted.volatile, 0.9))} ms over ${RUNS} inserts` },
      );
      ratios.push({ name: `fsync on / off, ${size.toLocaleString()} events`, value: Math.round((d / v) * 100) / 100, unit: '' });
      timings[size] = { durable: times.durable.map(ms), volatile: times.volatile.map(ms) };
    }
    return {
      title: `Durable insert: Warden's insert of ${SIZES.map((s) => s.toLocaleString()).join(' and ')} events with and without fsync, embedded engine, ${RUNS} each`,
      figures,
      ratios,
      context: { runs: RUNS, sizes: SIZES, settings: 'fsync_after_insert = 1, fsync_part_directory = 1 (as migrated) vs both 0', insert_ms: timings },
    };
  } finally {
    await client.close();
    data.cleanup();
  }
}

runScenario('insert-durability', main);
