/**
 * Scenario "embedded-insert": what handing an insert's body to chDB as bytes
 * saves. Warden's own insert (AgentActionRepository, rows as the ingest path
 * builds them) of 1,000 and 10,000 events into one embedded engine, through
 * two clients on the same data: one whose connection is Warden's
 * EmbeddedConnection (chDB's raw insert, as shipped), one on chdb's generic
 * connection for @clickhouse/client, which splices the body into the
 * statement's text. Alternated, BENCH_RUNS (8) inserts per size each,
 * nothing else running. Reports wall time and this process's CPU per event
 * (the engine runs in it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { instantFromDate } from '@warden/common';
import { AgentActionRepository, EmbeddedConnection, MIGRATIONS, TableNames, toAgentActionRow } from '@warden/storage';
import { tempDir } from '@warden/testing';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { benchEvent } from './support/events.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const SIZES = [1_000, 10_000];
type Connection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
const PATHS = ['bytes', 'spliced'] as const;

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-');
  const path = join(data.path, 'clickhouse');
  mkdirSync(path, { recursive: true });
  const clients = {
    bytes: createClient({ connection: new EmbeddedConnection(createChdbConnection({ path })) as unknown as Connection }),
    spliced: createClient({ connection: createChdbConnection({ path }) as unknown as Connection }),
  };
  try {
    const tables = new TableNames('bench_insert');
    await clients.bytes.command({ query: `CREATE DATABASE IF NOT EXISTS ${tables.database}` });
    for (const migration of MIGRATIONS) for (const statement of migration.statements(tables)) await clients.bytes.command({ query: statement });
    const repositories = { bytes: new AgentActionRepository(clients.bytes, tables), spliced: new AgentActionRepository(clients.spliced, tables) };
    const now = instantFromDate(new Date());
    let next = 0;
    const figures: BenchFigure[] = [];
    const ratios: BenchFigure[] = [];
    const timings: Record<string, Record<string, { ms: number[]; cpu_us_per_event: number[] }>> = {};
    for (const size of SIZES) {
      const times = { bytes: { ms: [] as number[], cpu: [] as number[] }, spliced: { ms: [] as number[], cpu: [] as number[] } };
      for (let run = 0; run < RUNS; run++) {
        // Alternate which goes first, so neither always meets the other's merges.
        for (const kind of run % 2 === 0 ? PATHS : [...PATHS].reverse()) {
          const rows = Array.from({ length: size }, () => toAgentActionRow(benchEvent(next++, 'embedded-insert'), now));
          const cpu = process.cpuUsage();
          const started = performance.now();
          await repositories[kind].insert(rows);
          times[kind].ms.push(performance.now() - started);
          const used = process.cpuUsage(cpu);
          times[kind].cpu.push((used.user + used.system) / size);
        }
      }
      const p50 = (values: number[]) => quantile([...values].sort((a, b) => a - b), 0.5);
      for (const kind of PATHS) {
        const label = kind === 'bytes' ? 'as bytes (raw insert, as shipped)' : 'spliced into the statement';
        figures.push(
          { name: `insert of ${size.toLocaleString()} events, ${label}, p50`, value: ms(p50(times[kind].ms)), unit: 'ms', note: `p90 ${ms(quantile([...times[kind].ms].sort((a, b) => a - b), 0.9))} ms over ${RUNS} inserts` },
          { name: `CPU per event, ${size.toLocaleString()}-event insert, ${label}, p50`, value: Math.round(p50(times[kind].cpu) * 10) / 10, unit: 'µs', note: 'this process: JavaScript and the engine' },
        );
      }
      ratios.push(
        { name: `bytes / spliced, ${size.toLocaleString()} events, wall time`, value: Math.round((p50(times.bytes.ms) / p50(times.spliced.ms)) * 100) / 100, unit: '' },
        { name: `bytes / spliced, ${size.toLocaleString()} events, CPU`, value: Math.round((p50(times.bytes.cpu) / p50(times.spliced.cpu)) * 100) / 100, unit: '' },
      );
      timings[size] = Object.fromEntries(PATHS.map((k) => [k, { ms: times[k].ms.map(ms), cpu_us_per_event: times[k].cpu.map((c) => Math.round(c * 10) / 10) }]));
    }
    return {
      title: `Embedded insert: Warden's insert of ${SIZES.map((s) => s.toLocaleString()).join(' and ')} events, body as bytes vs spliced into the statement, ${RUNS} each`,
      figures,
      ratios,
      context: { runs: RUNS, sizes: SIZES, table: 'agent_actions as migrated (fsync on)', timings },
    };
  } finally {
    await clients.bytes.close();
    await clients.spliced.close();
    data.cleanup();
  }
}

runScenario('embedded-insert', main);
