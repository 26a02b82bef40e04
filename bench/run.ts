/**
 * `npm run bench [-- <scenario> …]`: Warden's benchmark suite. Runs the named
 * scenarios (all when none is named), each in its own process, prints a
 * table and writes bench/results/latest.json and latest.md. A scenario run
 * alone replaces only its own entry; the others keep theirs, each with its date.
 * Nothing here asserts: it reports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchFigure, ScenarioResult } from './scenario.js';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, 'results');

/** In suite order: the ones that need least first, the soak last. */
export const SCENARIOS: Record<string, string> = {
  'kafka-ingest': '1,000,000 events over Kafka into ClickHouse, with the consume-only, raw-insert and ClickHouse Kafka-engine ceilings',
  'http-ingest': 'batches of 1,000 events from concurrent HTTP clients (autocannon)',
  'detection-latency': 'arrival to alert dispatched, at a steady 5,000 events/s with the shipped rules',
  'insert-durability': "Warden's insert of 1,000 and 5,000 events with fsync (as shipped) and without",
  'embedded-insert': "Warden's insert of 1,000 and 10,000 events into the embedded engine: the body as bytes (chDB's raw insert) vs spliced into the statement (chdb's generic connection)",
  'dedupe-check': 'which of 5,000 or 50,000 ids are stored, among 2,000,000 events: in lookups of at most 10,000 ids (as shipped) vs one statement',
  'parameterised-reads': "a principal's history page while ingest's dedupe checks run: query parameters as literals (as shipped) vs chdb's binding, which runs them one at a time",
  'first-seen-reads': "first-seen's history reads in one statement started before a batch's insert vs one each after it, 1 and 20 privileged actions in 1,000 events",
  'alert-storm': 'a batch raising 50 detections to a webhook: one accept each vs acceptAll (one read and one write per table)',
  queries: 'principal history, summary and a 24 h prefix filter over 10,000,000 stored events',
  containment: 'contain and roll back a principal with 200 PostgreSQL grants, 50 Kafka ACLs, 5 SCIM groups',
  'memory-soak': 'RSS of the ingest process over a 10-minute soak at 10,000 events/s',
};

interface StoredScenario extends ScenarioResult {
  date: string;
  seconds: number;
}

interface Results {
  date: string;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  scenarios: Record<string, StoredScenario>;
}

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const v = (pkg: string) => {
    try {
      return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  const kafkaVersion = (() => {
    const pom = join(here, '..', 'deploy', 'kafka', 'pom.xml');
    const m = existsSync(pom) ? /<kafka\.version>([^<]+)</.exec(readFileSync(pom, 'utf8')) : null;
    return m?.[1] ?? 'see deploy/kafka';
  })();
  return {
    warden: (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version,
    node: process.version,
    kafkajs: v('kafkajs'),
    chdb: v('chdb'),
    '@clickhouse/client': v('@clickhouse/client'),
    'kafka broker': kafkaVersion,
  };
}

function load(): Results | null {
  const file = join(RESULTS, 'latest.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Results;
  } catch {
    return null;
  }
}

const fmt = (f: BenchFigure) => `| ${f.name} | ${f.value.toLocaleString('en-US', { maximumFractionDigits: 3 })} | ${f.unit} | ${f.note ?? ''} |`;

function markdown(results: Results): string {
  const m = results.machine;
  const lines = [
    '# Warden benchmark suite',
    '',
    `Last written ${results.date} · ${String(m.cpus)} cores (${String(m.cpu_model)}) · ${String(m.memory_gib)} GiB · ${Object.entries(results.versions).map(([k, v]) => `${k} ${v}`).join(' · ')}`,
    '',
    'Figures are from one run on a shared machine: compare ratios within a scenario, not absolute numbers across runs.',
    '',
  ];
  for (const name of Object.keys(SCENARIOS)) {
    const s = results.scenarios[name];
    if (!s) continue;
    lines.push(`## ${name}`, '', `${s.title} (run ${s.date}, ${Math.round(s.seconds)} s)`, '', '| figure | value | unit | note |', '|---|---|---|---|', ...s.figures.map(fmt));
    if (s.ratios.length > 0) lines.push('', '| ratio | value | | |', '|---|---|---|---|', ...s.ratios.map(fmt));
    lines.push('', '<details><summary>context</summary>', '', '```json', JSON.stringify(s.context, null, 2), '```', '', '</details>', '');
  }
  return lines.join('\n');
}

function main(): number {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { list: { type: 'boolean' } } });
  if (values.list) {
    for (const [name, what] of Object.entries(SCENARIOS)) console.log(`${name.padEnd(18)} ${what}`);
    return 0;
  }
  const unknown = positionals.filter((p) => !(p in SCENARIOS));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    return 64;
  }
  const chosen = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
  mkdirSync(RESULTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  let failed = 0;
  for (const name of chosen) {
    const out = join(work, `${name}.json`);
    console.log(`\n=== ${name}: ${SCENARIOS[name]}`);
    const started = performance.now();
    // The same young-generation size `npm start` gives Warden: the ingest path allocates per event, and scavenges dominate below it.
    const run = spawnSync(process.execPath, ['--max-semi-space-size=128', '--import', 'tsx', join(here, 'scenarios', `${name}.ts`)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_SCENARIO_OUT: out },
    });
    if (run.status !== 0 || !existsSync(out)) {
      console.error(`${name} failed (exit ${run.status ?? run.signal}); its previous result, if any, is kept`);
      failed++;
      continue;
    }
    const result = JSON.parse(readFileSync(out, 'utf8')) as ScenarioResult;
    const results: Results = load() ?? { date: '', machine: {}, versions: {}, scenarios: {} };
    results.date = new Date().toISOString();
    results.machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), platform: `${process.platform}-${process.arch}` };
    results.versions = versions();
    results.scenarios[name] = { ...result, date: results.date, seconds: (performance.now() - started) / 1000 };
    // Written after each scenario, so a late failure keeps the earlier figures.
    writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(RESULTS, 'latest.md'), markdown(results));
    console.log(['', `| ${name} | value | unit | note |`, '|---|---|---|---|', ...result.figures.map(fmt), ...result.ratios.map(fmt)].join('\n'));
  }
  rmSync(work, { recursive: true, force: true });
  console.log(`\nresults: ${join(RESULTS, 'latest.md')}`);
  return failed > 0 ? 1 : 0;
}

process.exit(main());
