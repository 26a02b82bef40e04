/**
 * Scenario "dedupe-check": the cost of asking which of a write's events are
 * already stored (AgentActionRepository.findStored), as shipped (the ids cut
 * into lookups of at most 10,000: idLookups) against the whole list in one
 * statement, as before. A group commit under a Kafka backlog checks up to
 * 50,000 ids at once; at a steady rate a few thousand. The table holds
 * BENCH_ROWS (2,000,000) bench events written as the ingest path writes them;
 * each run asks for the ids of a different recent stretch of them, both ways,
 * alternating which goes first. Reports p50 wall time per check.
 */
import { instantFromDate, toClickHouseDateTime64 } from '@warden/common';
import { AgentActionRepository, MIGRATIONS, Migrator, TableNames, createClickHouseClient } from '@warden/storage';
import { tempDir } from '@warden/testing';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { benchEvent } from './support/events.js';
import { storeBenchEvents } from './support/stored-events.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const SIZES = [5_000, 50_000];
const TAG = 'dedupe-check';
const WAYS = ['lookups', 'one statement'] as const;

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-');
  const client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: 'bench_dedupe' });
  try {
    const tables = new TableNames('bench_dedupe');
    await new Migrator(client, tables, MIGRATIONS).migrate();
    const repo = new AgentActionRepository(client, tables);
    const buildS = await storeBenchEvents(repo, ROWS, TAG);
    console.log(`  ${ROWS.toLocaleString()} events stored in ${Math.round(buildS)} s`);
    const parts = await (await client.query({ query: `SELECT count() AS parts, max(rows) AS largest FROM system.parts WHERE active AND database = 'bench_dedupe' AND table = 'agent_actions'`, format: 'JSONEachRow' })).json<{ parts: string; largest: string }>();

    /** The events' occurred_at as the ingest path computes a write's window. */
    const at = (i: number) => toClickHouseDateTime64(instantFromDate(new Date(benchEvent(i, TAG).occurred_at)));
    const oneStatement = async (ids: string[], from: string, to: string) => {
      const rs = await client.query({
        query: `SELECT DISTINCT event_id, toString(occurred_at) FROM ${tables.agentActions}
                WHERE tenant = {tenant:String} AND occurred_at >= {from:DateTime64(6, 'UTC')} AND occurred_at <= {to:DateTime64(6, 'UTC')}
                  AND event_id IN {ids:Array(String)}`,
        query_params: { tenant: 'default', ids, from, to },
        format: 'JSONCompactEachRow',
      });
      return (await rs.json()).length;
    };
    const figures: BenchFigure[] = [];
    const ratios: BenchFigure[] = [];
    const timings: Record<string, Record<string, number[]>> = {};
    for (const size of SIZES) {
      const times: Record<(typeof WAYS)[number], number[]> = { lookups: [], 'one statement': [] };
      for (let run = 0; run < RUNS; run++) {
        // A different stretch of the newest events each run: as a redelivered group would ask.
        const first = ROWS - size - run * Math.floor((ROWS / 4 - size) / RUNS);
        const ids = Array.from({ length: size }, (_, k) => benchEvent(first + k, TAG).event_id);
        const [from, to] = [at(first), at(first + size - 1)];
        for (const way of run % 2 === 0 ? WAYS : [...WAYS].reverse()) {
          const started = performance.now();
          const found = way === 'lookups' ? (await repo.findStored('default', ids, { from, to })).size : await oneStatement(ids, from, to);
          times[way].push(performance.now() - started);
          if (found !== size) throw new Error(`${way}: found ${found} of ${size} stored events`);
        }
      }
      const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
      for (const way of WAYS) {
        const label = way === 'lookups' ? 'in lookups of at most 10,000 ids (as shipped)' : 'in one statement';
        figures.push({ name: `dedupe check of ${size.toLocaleString()} stored ids, ${label}, p50`, value: ms(quantile(sorted(times[way]), 0.5)), unit: 'ms', note: `max ${ms(sorted(times[way]).at(-1) ?? 0)} ms over ${RUNS} checks` });
      }
      ratios.push({ name: `lookups / one statement, ${size.toLocaleString()} ids`, value: Math.round((quantile(sorted(times.lookups), 0.5) / quantile(sorted(times['one statement']), 0.5)) * 100) / 100, unit: '' });
      timings[size] = Object.fromEntries(WAYS.map((w) => [w, times[w].map(ms)]));
    }
    return {
      title: `Dedupe check: which of ${SIZES.map((s) => s.toLocaleString()).join(' or ')} ids are stored, among ${ROWS.toLocaleString()} events, in lookups vs one statement, ${RUNS} each`,
      figures,
      ratios,
      context: { rows: ROWS, runs: RUNS, sizes: SIZES, build_s: Math.round(buildS), parts: parts[0], timings },
    };
  } finally {
    await client.close();
    data.cleanup();
  }
}

runScenario('dedupe-check', main);
