/**
 * Scenario "first-seen-reads": what reading first-seen's history ahead buys.
 * Each run inserts a batch of 1,000 events (AgentActionRepository, rows as
 * the ingest path builds them) into an embedded engine already holding
 * BENCH_HISTORY (500,000) events, then runs the shipped rules over it
 * (DetectionEngine with the ClickHouse history); the batch carries 1 or 20
 * privileged actions by principals new to the history, each of which needs a
 * read. "after": the rules read once the insert is done, one statement per
 * event, one after another (as before). "ahead": DetectionEngine.prefetch is
 * called before the insert, as IngestService's before-insert step does: one
 * statement for the batch's questions, under way while the insert runs.
 * The two are alternated, BENCH_RUNS (16) batches each, a fresh engine (no
 * cached sightings) per batch, nothing else running.
 */
import { instantFromDate } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { ClickHouseActionHistory, DetectionEngine, loadRules, shippedRulesDir } from '@warden/detection';
import { AgentActionRepository, MIGRATIONS, Migrator, TableNames, createClickHouseClient, toAgentActionRow } from '@warden/storage';
import { tempDir } from '@warden/testing';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { benchEvent } from './support/events.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 16);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 500_000);
const BATCH = 1_000;
const PRIVILEGED = [1, 20];

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-');
  const tables = new TableNames('bench_first_seen');
  const client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  try {
    await new Migrator(client, tables, MIGRATIONS).migrate();
    const actions = new AgentActionRepository(client, tables);
    const history = new ClickHouseActionHistory(client, tables);
    const rules = (await loadRules([shippedRulesDir()])).rules.filter((r) => r.enabled);
    let next = 0;
    const rows = (events: AgentAction[]) => events.map((e) => toAgentActionRow(e, instantFromDate(new Date())));
    for (let stored = 0; stored < HISTORY; stored += 10_000) {
      await actions.insert(rows(Array.from({ length: 10_000 }, () => benchEvent(next++, 'history'))));
    }
    const batch = (privileged: number, run: number): AgentAction[] => {
      const events = Array.from({ length: BATCH }, () => benchEvent(next++, 'batch'));
      for (let i = 0; i < privileged; i++) {
        const e = events[i * Math.floor(BATCH / privileged)];
        e.principal = { ...e.principal, id: `new-agent-${privileged}-${run}-${i}` };
        e.action = { type: 'permission.grant', name: 'share_folder' };
      }
      return events;
    };

    const figures: BenchFigure[] = [];
    const ratios: BenchFigure[] = [];
    const timings: Record<string, { after: number[]; ahead: number[] }> = {};
    for (const privileged of PRIVILEGED) {
      const times = { after: [] as number[], ahead: [] as number[] };
      for (let run = 0; run < RUNS * 2; run++) {
        const mode = run % 2 === 0 ? 'after' : 'ahead';
        const engine = new DetectionEngine(rules, { history });
        const events = batch(privileged, run);
        const started = performance.now();
        if (mode === 'ahead') engine.prefetch(events);
        await actions.insert(rows(events));
        const result = await engine.evaluate(events);
        times[mode].push(performance.now() - started);
        const firstSeen = result.detections.filter((d) => d.rule_id === 'first-seen-privileged-agent-action').length;
        if (firstSeen !== privileged || result.errors.length > 0) {
          throw new Error(`expected ${privileged} first-seen detections and no errors, got ${firstSeen} and ${JSON.stringify(result.errors)}`);
        }
      }
      const after = quantile([...times.after].sort((a, b) => a - b), 0.5);
      const ahead = quantile([...times.ahead].sort((a, b) => a - b), 0.5);
      const label = `${privileged} first-time privileged action${privileged === 1 ? '' : 's'}`;
      figures.push(
        { name: `insert + rules, ${label} in 1,000: reads after the insert, one statement each, p50`, value: ms(after), unit: 'ms', note: `over ${RUNS} batches` },
        { name: `insert + rules, ${label} in 1,000: reads in one statement started before the insert, p50`, value: ms(ahead), unit: 'ms', note: `over ${RUNS} batches` },
      );
      ratios.push({ name: `reads ahead / after, ${label}`, value: Math.round((ahead / after) * 100) / 100, unit: '' });
      timings[privileged] = { after: times.after.map(ms), ahead: times.ahead.map(ms) };
    }
    return {
      title: `First-seen reads: a 1,000-event batch inserted and run through the shipped rules, history reads after the insert (one statement each) vs in one statement started before it, over ${HISTORY.toLocaleString()} stored events, ${RUNS} batches each`,
      figures,
      ratios,
      context: { runs: RUNS, history_events: HISTORY, batch_events: BATCH, privileged_per_batch: PRIVILEGED, rules: rules.map((r) => r.id), batch_ms: timings },
    };
  } finally {
    await client.close();
    data.cleanup();
  }
}

runScenario('first-seen-reads', main);
