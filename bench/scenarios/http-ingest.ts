/**
 * HTTP ingest under load (`npm run bench -- http-ingest`): concurrent clients
 * (autocannon) POST batches of 1,000 events to /v1/events with an `ingest`
 * API key, against an in-process Warden on the embedded engine. Every request
 * carries a fresh batch (unique event_ids, built in `setupRequest`), so
 * nothing after the first request is a duplicate.
 *
 * The events/s figure counts only events that were acknowledged (202,
 * `accepted`) within the measured window AND are found in ClickHouse
 * afterwards; the check is per batch, against the engine, not against what
 * was sent. The load generator runs in the same process as Warden, so it
 * shares the CPU with it.
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { ADMIN_AUTH, startWarden } from '../../test/support/warden-server.js';
import { ms, runScenario, type ScenarioResult } from '../scenario.js';
import { benchEvent } from './support/events.js';

const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 30);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
const FORMAT = process.env.BENCH_HTTP_FORMAT === 'ndjson' ? 'ndjson' : 'json';
// One request in flight per connection: ingest clients do not pipeline, and
// the per-request bookkeeping below (which batch a response answers) relies on it.
const PIPELINING = 1;
// autocannon's default (10 s) would cut off a slow batch and count it as an error while Warden still stores it.
const TIMEOUT_S = 120;

/** The slice of autocannon v8's API used here (the package ships no types). */
interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p97_5: number;
  p99: number;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Histogram;
  requests: Histogram & { sent: number };
  throughput: Histogram;
}
interface RequestContext {
  batch?: number;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  timeout: number;
  headers: Record<string, string>;
  requests: {
    method: string;
    path: string;
    setupRequest: (request: AutocannonRequest, context: RequestContext) => AutocannonRequest;
    onResponse: (status: number, body: string, context: RequestContext) => void;
  }[];
}
type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult> & { stop: () => void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** What one load phase sent and what Warden answered, per batch. */
class Phase {
  next = 0;
  builtBatches = 0;
  buildMs = 0;
  bodyBytes = 0;
  readonly acked: number[] = [];
  accepted = 0;
  duplicates = 0;
  rejected = 0;
  /** Acknowledged batches whose `accepted` was not the full batch. */
  partial = 0;
  readonly failures = new Map<number, { count: number; sample: string }>();

  constructor(readonly tag: string) {}

  body(batch: number): string {
    const events = [];
    for (let i = batch * BATCH; i < (batch + 1) * BATCH; i++) events.push(benchEvent(i, this.tag));
    return FORMAT === 'ndjson' ? events.map((e) => JSON.stringify(e)).join('\n') : JSON.stringify(events);
  }

  run(url: string, auth: string, duration: number): Promise<AutocannonResult> {
    return autocannon({
      url,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration,
      timeout: TIMEOUT_S,
      headers: { authorization: auth, 'content-type': FORMAT === 'ndjson' ? 'application/x-ndjson' : 'application/json' },
      requests: [
        {
          method: 'POST',
          path: '/v1/events',
          setupRequest: (request, context) => {
            const started = performance.now();
            const batch = this.next++;
            const body = this.body(batch);
            this.buildMs += performance.now() - started;
            this.builtBatches++;
            this.bodyBytes += Buffer.byteLength(body);
            context.batch = batch;
            return { ...request, body };
          },
          onResponse: (status, body, context) => {
            if (status >= 200 && status < 300) {
              const answer = JSON.parse(body) as { accepted: number; duplicates: number; rejected: unknown[] };
              this.accepted += answer.accepted;
              this.duplicates += answer.duplicates;
              this.rejected += answer.rejected.length;
              if (answer.accepted === BATCH && context.batch !== undefined) this.acked.push(context.batch);
              else this.partial++;
            } else {
              const failure = this.failures.get(status);
              if (failure) failure.count++;
              else this.failures.set(status, { count: 1, sample: body.slice(0, 500) });
            }
          },
        },
      ],
    });
  }
}

interface Counts {
  stored: number;
  duplicates: number;
  rejected: number;
  received: number;
}

async function ingestCounts(url: string): Promise<Counts> {
  const res = await fetch(`${url}/v1/ingest/metrics`, { headers: ADMIN_AUTH });
  if (!res.ok) throw new Error(`reading ingest metrics failed: ${res.status} ${await res.text()}`);
  const m = (await res.json()) as { stored: number; duplicates: number; rejected: Record<string, number>; received: { http: number } };
  return { stored: m.stored, duplicates: m.duplicates, rejected: Object.values(m.rejected).reduce((a, b) => a + b, 0), received: m.received.http };
}

/** Waits until requests cut off at the end of a phase have finished on the server side (counters still for 1.5 s). */
async function settle(url: string): Promise<{ counts: Counts; seconds: number }> {
  const started = performance.now();
  let last = await ingestCounts(url);
  let still = 0;
  while (still < 3 && performance.now() - started < 120_000) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await ingestCounts(url);
    const same = now.stored === last.stored && now.received === last.received && now.duplicates === last.duplicates;
    still = same && now.stored + now.duplicates + now.rejected >= now.received ? still + 1 : 0;
    last = now;
  }
  return { counts: last, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<ScenarioResult> {
  const data = tempDir('warden-bench-http-');
  const warden = await startWarden({
    WARDEN_DATA_DIR: data.path,
    WARDEN_LOG_LEVEL: 'error',
    WARDEN_RATE_LIMIT_PER_MINUTE: '1000000',
    // Warden's write pacing, to compare against the default (startWarden reads no environment of its own).
    ...(process.env.WARDEN_INGEST_MIN_WRITE_INTERVAL_MS ? { WARDEN_INGEST_MIN_WRITE_INTERVAL_MS: process.env.WARDEN_INGEST_MIN_WRITE_INTERVAL_MS } : {}),
  });
  const rss = { baseline: process.memoryUsage().rss, peak: 0, phasePeak: 0 };
  const sampler = setInterval(() => {
    const now = process.memoryUsage().rss;
    rss.peak = Math.max(rss.peak, now);
    rss.phasePeak = Math.max(rss.phasePeak, now);
  }, 100);
  try {
    const created = await fetch(`${warden.url}/v1/keys`, {
      method: 'POST',
      headers: { ...ADMIN_AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'ingest', name: 'bench-http-ingest' }),
    });
    if (created.status !== 201) throw new Error(`creating the ingest key failed: ${created.status} ${await created.text()}`);
    const auth = `Bearer ${((await created.json()) as { key: string }).key}`;
    const base = `h${Date.now().toString(36)}`;

    console.log(`warm-up: ${WARMUP_S} s, ${CONNECTIONS} connections …`);
    const warmup = new Phase(`${base}w`);
    const warmupResult = await warmup.run(warden.url, auth, WARMUP_S);
    await settle(warden.url);

    console.log(`load: ${DURATION_S} s, ${CONNECTIONS} connections × batches of ${BATCH.toLocaleString()} …`);
    const phase = new Phase(`${base}m`);
    const before = await ingestCounts(warden.url);
    const loadBefore = loadavg()[0];
    rss.phasePeak = process.memoryUsage().rss;
    const cpuBefore = process.cpuUsage();
    const result = await phase.run(warden.url, auth, DURATION_S);
    const cpu = process.cpuUsage(cpuBefore);
    const loadAfter = loadavg()[0];
    const runPeak = rss.phasePeak;
    const settled = await settle(warden.url);

    // What the engine holds for this phase: all rows, distinct ids, and the acknowledged batches found there.
    const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
    const table = warden.app.get<TableNames>(TABLE_NAMES).agentActions;
    const prefix = `${phase.tag}-`;
    const rows = await client.query({
      query: `SELECT count() AS rows, uniqExact(event_id) AS ids,
                countIf(has({acked:Array(UInt64)}, intDiv(toUInt64(substring(event_id, length({prefix:String}) + 1)), {batch:UInt64}))) AS acked_rows
              FROM ${table} WHERE tenant = 'default' AND startsWith(event_id, {prefix:String})`,
      query_params: { prefix, acked: phase.acked, batch: BATCH },
      format: 'JSONEachRow',
    });
    const [engine] = (await rows.json<{ rows: string; ids: string; acked_rows: string }>()).map((r) => ({
      rows: Number(r.rows),
      ids: Number(r.ids),
      ackedRows: Number(r.acked_rows),
    }));

    const ackedEvents = phase.acked.length * BATCH;
    const lost = ackedEvents - engine.ackedRows;
    const verified = Math.min(ackedEvents, engine.ackedRows);
    const eventsPerSecond = Math.round(verified / result.duration);
    const requestsPerSecond = Math.round((result.requests.total / result.duration) * 10) / 10;
    const counterDelta = settled.counts.stored - before.stored;
    const eventBytes = Math.round(phase.bodyBytes / (phase.builtBatches * BATCH));
    const failures = Object.fromEntries([...phase.failures].map(([status, f]) => [String(status), f]));
    const anomalies: string[] = [];
    if (lost !== 0) anomalies.push(`${lost} acknowledged events not found in the engine`);
    if (engine.rows !== engine.ids) anomalies.push(`${engine.rows - engine.ids} duplicate rows in the engine`);
    if (counterDelta !== engine.ids) anomalies.push(`ingest metrics say ${counterDelta} stored, the engine holds ${engine.ids}`);
    if (phase.partial > 0 || phase.duplicates > 0 || phase.rejected > 0) anomalies.push(`${phase.partial} batches not fully accepted (${phase.duplicates} duplicates, ${phase.rejected} rejected)`);
    if (result.non2xx > 0 || result.errors > 0) anomalies.push(`${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts)`);
    for (const a of anomalies) console.error(`ANOMALY: ${a}`);

    return {
      title: `HTTP ingest: batches of ${BATCH.toLocaleString()} events (~${eventBytes} bytes each, ${FORMAT === 'ndjson' ? 'NDJSON' : 'JSON array'}) from ${CONNECTIONS} concurrent connections for ${DURATION_S} s (autocannon, in-process Warden, embedded engine)`,
      figures: [
        {
          name: 'events stored',
          value: eventsPerSecond,
          unit: 'events/s',
          note: `${verified.toLocaleString('en-US')} acknowledged in ${result.duration} s, each batch found in ClickHouse afterwards`,
        },
        { name: 'requests', value: requestsPerSecond, unit: 'req/s', note: `${result.requests.total} completed, ${result.requests.sent} sent` },
        { name: 'request latency p50', value: ms(result.latency.p50), unit: 'ms' },
        { name: 'request latency p97.5', value: ms(result.latency.p97_5), unit: 'ms' },
        { name: 'request latency p99', value: ms(result.latency.p99), unit: 'ms', note: `max ${ms(result.latency.max)} ms` },
        { name: 'non-2xx responses', value: result.non2xx, unit: 'responses', note: result.non2xx > 0 ? JSON.stringify(Object.keys(failures)) : undefined },
        { name: 'errors and timeouts', value: result.errors, unit: 'requests', note: `${result.timeouts} timeouts (limit ${TIMEOUT_S} s)` },
        { name: 'peak RSS of the process during the run', value: Math.round(runPeak / 2 ** 20), unit: 'MiB', note: `${Math.round(rss.baseline / 2 ** 20)} MiB after start; Warden and the load generator` },
        {
          name: 'process CPU during the run',
          value: Math.round(((cpu.user + cpu.system) / 1e6 / result.duration) * 100) / 100,
          unit: 'cores',
          note: 'Warden, embedded engine and autocannon together, of 2',
        },
      ],
      ratios: [],
      context: {
        connections: CONNECTIONS,
        pipelining: PIPELINING,
        duration_s: result.duration,
        warmup_s: WARMUP_S,
        batch_events: BATCH,
        body_format: FORMAT,
        average_event_bytes: eventBytes,
        average_request_bytes: Math.round(phase.bodyBytes / phase.builtBatches),
        request_timeout_s: TIMEOUT_S,
        load_generator:
          'autocannon 8 in the same process (and on the same 2 cores) as Warden; each request body (1,000 fresh events, unique event_ids) is built in setupRequest',
        load_generator_body_build_ms: Math.round(phase.buildMs),
        auth: 'API key with role ingest (tenant default), rate limit raised to 1,000,000/min',
        events_per_second_definition:
          'events of batches answered 202 with accepted = batch size within the window, that are present in ClickHouse after the run, divided by the window',
        engine_check: {
          acknowledged_events: ackedEvents,
          acknowledged_found_in_engine: engine.ackedRows,
          rows_for_this_run: engine.rows,
          distinct_event_ids_for_this_run: engine.ids,
          stored_after_window: engine.ids - engine.ackedRows,
          ingest_metrics_stored_delta: counterDelta,
          sent_events: phase.builtBatches * BATCH,
          settle_s: Math.round(settled.seconds * 10) / 10,
        },
        responses: { accepted: phase.accepted, duplicates: phase.duplicates, rejected: phase.rejected, status_codes: result.statusCodeStats },
        failures,
        warmup: { requests: warmupResult.requests.total, non2xx: warmupResult.non2xx, errors: warmupResult.errors, accepted: warmup.accepted },
        peak_rss_mib_overall: Math.round(rss.peak / 2 ** 20),
        anomalies,
        // Above 2, other processes competed for the 2 cores during the run.
        machine_load_1m: { before: loadBefore, after: loadAfter },
        note: 'shared 2-core machine: other work ran at the same time, figures are noisy',
      },
    };
  } finally {
    clearInterval(sampler);
    await warden.close();
    data.cleanup();
  }
}

runScenario('http-ingest', main);
