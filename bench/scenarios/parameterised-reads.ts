/**
 * Scenario "parameterised-reads": what an analyst waits for while ingest
 * runs, on the embedded engine, with query parameters written into the
 * statement as literals (Warden's EmbeddedConnection, as shipped) against
 * chdb's own parameter binding, which runs every parameterised statement in
 * the process one at a time. The same data and the same four connections
 * either way; only the binding differs.
 *
 * - BENCH_ROWS (1,000,000) bench events, written as the ingest path writes them.
 * - Ingest's reads: BENCH_WRITERS (2) loops of dedupe checks of 5,000 ids
 *   each (AgentActionRepository.findStored, a write's check at ~5,000 events/s),
 *   back to back, for the whole measurement.
 * - The analyst: BENCH_RUNS (30) principal history pages (100 newest events
 *   of a principal) one after another, alternating the binding each round.
 * Reports p50 / p95 of the history page and how many dedupe checks ran.
 */
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { instantFromDate, toClickHouseDateTime64 } from '@warden/common';
import { AgentActionRepository, ConnectionPool, MIGRATIONS, Migrator, TableNames, createClickHouseClient } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { createChdbConnection } from 'chdb/connection';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { benchEvent } from './support/events.js';
import { storeBenchEvents } from './support/stored-events.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 2);
const ROUNDS = 2;
const CHECK_IDS = 5_000;
/** Bench events spread over 2,000 principals: each has ROWS / 2,000 of them. */
const PAGE_EVENTS = Math.min(100, Math.floor(ROWS / 2000));
const CONNECTIONS = 4;
const TAG = 'param-reads';
const BINDINGS = ['literals (as shipped)', "chdb's binding"] as const;
type Binding = (typeof BINDINGS)[number];

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-');
  const database = 'bench_param_reads';
  const shipped = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database, connections: CONNECTIONS });
  // The same engine (one data path per process), through chdb's own connections: its parameter binding.
  const path = `${data.path}/clickhouse`;
  const chdbs = createClient({
    application: 'warden-bench',
    clickhouse_settings: { date_time_input_format: 'best_effort' },
    connection: new ConnectionPool(Array.from({ length: CONNECTIONS }, () => createChdbConnection({ path }))) as unknown as ClientConnection,
  });
  const clients: Record<Binding, ClickHouseClient> = { 'literals (as shipped)': shipped, "chdb's binding": chdbs };
  try {
    const tables = new TableNames(database);
    await new Migrator(shipped, tables, MIGRATIONS).migrate();
    const writer = new AgentActionRepository(shipped, tables);
    const buildS = await storeBenchEvents(writer, ROWS, TAG);
    console.log(`  ${ROWS.toLocaleString()} events stored in ${Math.round(buildS)} s`);

    const at = (i: number) => toClickHouseDateTime64(instantFromDate(new Date(benchEvent(i, TAG).occurred_at)));
    const pages: Record<Binding, number[]> = { 'literals (as shipped)': [], "chdb's binding": [] };
    const checks: Record<Binding, { count: number; seconds: number }> = { 'literals (as shipped)': { count: 0, seconds: 0 }, "chdb's binding": { count: 0, seconds: 0 } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const binding of round % 2 === 0 ? BINDINGS : [...BINDINGS].reverse()) {
        const repo = new AgentActionRepository(clients[binding], tables);
        let stop = false;
        let next = 0;
        const started = performance.now();
        const ingest = Array.from({ length: WRITERS }, async () => {
          while (!stop) {
            // A recent stretch of stored events, a different one each check, as a redelivered write would ask.
            const first = ROWS - CHECK_IDS - ((next++ * 7919) % (ROWS / 4));
            const ids = Array.from({ length: CHECK_IDS }, (_, k) => benchEvent(first + k, TAG).event_id);
            const found = await repo.findStored('default', ids, { from: at(first), to: at(first + CHECK_IDS - 1) });
            if (found.size !== CHECK_IDS) throw new Error(`${binding}: found ${found.size} of ${CHECK_IDS} stored events`);
            checks[binding].count++;
          }
        });
        for (let run = 0; run < RUNS; run++) {
          const principal = `agent-${[0, 1, 5, 30, 300, 1500][run % 6]}`;
          const t = performance.now();
          const page = await repo.list('default', { principal, limit: 100 });
          pages[binding].push(performance.now() - t);
          if (page.items.length !== PAGE_EVENTS) throw new Error(`${binding}: a history page of ${page.items.length} events, expected ${PAGE_EVENTS}`);
        }
        stop = true;
        await Promise.all(ingest);
        checks[binding].seconds += (performance.now() - started) / 1000;
      }
    }
    const figures: BenchFigure[] = [];
    const p = (binding: Binding, q: number) => quantile([...pages[binding]].sort((a, b) => a - b), q);
    for (const binding of BINDINGS) {
      figures.push({ name: `principal history page while ingest checks ids, ${binding}, p50`, value: ms(p(binding, 0.5)), unit: 'ms', note: `p95 ${ms(p(binding, 0.95))} ms, max ${ms(p(binding, 1))} ms over ${pages[binding].length}` });
      figures.push({ name: `dedupe checks of ${CHECK_IDS.toLocaleString()} ids meanwhile, ${binding}`, value: Math.round((checks[binding].count / checks[binding].seconds) * 10) / 10, unit: 'checks/s', note: `${checks[binding].count} in ${Math.round(checks[binding].seconds)} s, ${WRITERS} loops` });
    }
    const [shippedWay, chdbWay] = BINDINGS;
    const ratios: BenchFigure[] = [
      { name: 'history page p50, literals / chdb binding', value: Math.round((p(shippedWay, 0.5) / p(chdbWay, 0.5)) * 100) / 100, unit: '' },
      { name: 'history page p95, literals / chdb binding', value: Math.round((p(shippedWay, 0.95) / p(chdbWay, 0.95)) * 100) / 100, unit: '' },
      {
        name: 'dedupe checks per second, literals / chdb binding',
        value: Math.round((checks[shippedWay].count / checks[shippedWay].seconds / (checks[chdbWay].count / checks[chdbWay].seconds)) * 100) / 100,
        unit: '',
      },
    ];
    return {
      title: `Parameterised reads side by side: a principal's history page while ${WRITERS} loops of ${CHECK_IDS.toLocaleString()}-id dedupe checks run, ${ROWS.toLocaleString()} events, query parameters as literals vs chdb's binding, ${RUNS * ROUNDS} pages each`,
      figures,
      ratios,
      context: { rows: ROWS, runs: RUNS, rounds: ROUNDS, writers: WRITERS, check_ids: CHECK_IDS, connections: CONNECTIONS, build_s: Math.round(buildS), pages_ms: Object.fromEntries(BINDINGS.map((b) => [b, pages[b].map(ms)])) },
    };
  } finally {
    await shipped.close();
    await chdbs.close();
    data.cleanup();
  }
}

runScenario('parameterised-reads', main);
