/**
 * Scenario "memory-soak": does Warden's memory stay flat under sustained
 * Kafka load? A child process produces benign events (support/events.ts) at
 * BENCH_RATE (default 10,000) events/s for BENCH_DURATION_S (default 600) s
 * to a topic that an in-process Warden (embedded chDB, shipped rules)
 * consumes. Every BENCH_SAMPLE_S (5) s this process samples its own
 * process.memoryUsage(): the producer runs elsewhere, so RSS is Warden's
 * (JS heap, chDB's native memory, Kafka buffers) plus this small sampler.
 *
 * Reported: RSS and heap used (peak, at 1 min, at the end of production, and
 * the least-squares slope over the last 8 minutes of production, or over the
 * part after a 20 % warm-up in shorter runs), the slope of RSS's per-minute
 * minimum, the engine allocator's live and resident memory (chDB bundles
 * jemalloc, which keeps freed pages for a while), threads, the achieved produce and
 * ingest rates, and whether Warden kept up: stored vs produced and the
 * consumer group's committed lag when production ended. After that the
 * sampler keeps going while the backlog drains, for at most BENCH_DRAIN_S.
 * While Warden is behind and its stored counter has not moved for two
 * samples, the context records what it was doing (consumer lag, storage and
 * follower failures, owed digests, detection counters, the engine's running
 * statements; every sixth snapshot also the engine's non-zero metrics,
 * merges, unfinished mutations and parts, and with BENCH_STALL_STACKS=<dir>
 * every native thread's stack, from gdb). That is how the 60–220 s stalls of
 * 20-minute runs were traced to one dedupe statement of 50,000 ids (see
 * libs/storage/src/agent-actions/id-lookups.ts). BENCH_WARDEN_LOG_LEVEL
 * (warn) sets Warden's log level: info shows the consumer's group joins
 * beside the samples.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE_CLIENT } from '@warden/storage';
import { createTopic, ensureKafkaBroker, tempDir } from '@warden/testing';
import { ADMIN_AUTH, startWarden } from '../../test/support/warden-server.js';
import type { BenchFigure } from '../scenario.js';
import { runScenario, type ScenarioResult } from '../scenario.js';
import { deleteTopics, groupLag, type GroupLag } from './support/group-lag.js';
import { spawnSteadyProducer } from './support/steady-producer.js';

const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 600);
const SAMPLE_S = Number(process.env.BENCH_SAMPLE_S ?? 5);
const DRAIN_S = Number(process.env.BENCH_DRAIN_S ?? 60);
/** While stored has not moved for two samples or more: at most this many snapshots of Warden's counters and the engine's running statements. */
const MAX_STALL_SNAPSHOTS = 24;
const PARTITIONS = 6;
/** The slope is fitted over the last 8 minutes of production, or after a warm-up of 20 % in a shorter run. */
const SLOPE_WINDOW_S = Math.min(480, DURATION_S - Math.min(120, DURATION_S * 0.2));

const MiB = 2 ** 20;
/** The engine's caches, as system.metrics names them. */
const CH_CACHES = ['MarkCacheBytes', 'IndexMarkCacheBytes', 'PrimaryIndexCacheBytes', 'QueryConditionCacheBytes', 'UncompressedCacheBytes', 'IndexUncompressedCacheBytes'];
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const round1 = (n: number) => Math.round(n * 10) / 10;
const mib = (n: number) => Math.round(n / MiB);
const mibOrNull = (n: number | null) => (n === null ? null : mib(n));

interface Sample {
  /** Seconds since production started (negative: before). */
  t: number;
  phase: 'idle' | 'produce' | 'drain';
  rss: number;
  heap_used: number;
  heap_total: number;
  external: number;
  array_buffers: number;
  /** Event-loop delay of this (Warden's) process since the previous sample. */
  loop_p99_ms: number;
  loop_max_ms: number;
  /** ClickHouse's own tracked memory (system.metrics MemoryTracking), when it answered in time. */
  ch_tracked: number | null;
  /** The engine's caches (marks, index marks, primary index, query conditions, uncompressed blocks), as the engine reports them apart from MemoryTracking. */
  ch_caches: number | null;
  /**
   * The embedded engine's own allocator (chDB bundles jemalloc): memory its
   * allocations hold (`allocated`) and pages it keeps resident (`resident`,
   * freed pages it has not yet returned included). Null on a server.
   */
  ch_allocated: number | null;
  ch_resident: number | null;
  /** Threads of this process (/proc/self/status): the engine's pools grow with parts to clean up and merges. */
  threads: number;
  /** Warden's stored counter, and what the producer had acknowledged. */
  stored: number;
  produced: number;
}

/**
 * gdb's backtrace of every thread of this process, written to `file`. gdb stops the process while it
 * reads it, so its output goes straight to the file: a pipe back to this process would never be read.
 */
function nativeStacks(file: string): Promise<string> {
  const out = openSync(file, 'w');
  return new Promise<string>((resolve) => {
    const gdb = spawn('gdb', ['-p', String(process.pid), '-batch', '-ex', 'set pagination off', '-ex', 'thread apply all bt 30'], { stdio: ['ignore', out, out] });
    gdb.on('error', (error) => resolve(`gdb failed: ${error.message}`));
    gdb.on('exit', (code) => resolve(code === 0 ? file : `gdb exited with ${code}; see ${file}`));
  }).finally(() => closeSync(out));
}

async function withTimeout<T>(p: Promise<T>, timeoutMs: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  try {
    return await Promise.race([p.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Least-squares slope of y over x, with its standard error (how much of it the scatter could explain). */
function slope(points: [number, number][]): { slope: number; stderr: number } {
  const n = points.length;
  if (n < 3) return { slope: Number.NaN, stderr: Number.NaN };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  if (den === 0) return { slope: Number.NaN, stderr: Number.NaN };
  const b = num / den;
  const a = my - b * mx;
  const residuals = points.reduce((s, [x, y]) => s + (y - a - b * x) ** 2, 0);
  return { slope: b, stderr: Math.sqrt(residuals / (n - 2) / den) };
}

async function main(): Promise<ScenarioResult> {
  const { brokers } = await ensureKafkaBroker();
  const stamp = Date.now();
  const topic = `bench-memory-soak-${stamp}`;
  const group = `bench-memory-soak-${stamp}`;
  await createTopic(brokers, topic, PARTITIONS);
  const data = tempDir('warden-bench-');
  const warden = await startWarden({
    WARDEN_DATA_DIR: data.path,
    WARDEN_KAFKA_BROKERS: brokers.join(','),
    WARDEN_KAFKA_TOPIC: topic,
    WARDEN_KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    WARDEN_KAFKA_GROUP: group,
    // BENCH_WARDEN_LOG_LEVEL=info shows the consumer's group joins and storage retries beside the samples.
    WARDEN_LOG_LEVEL: process.env.BENCH_WARDEN_LOG_LEVEL ?? 'warn',
  });
  const client = warden.app.get<ClickHouseClient>(CLICKHOUSE_CLIENT);
  const stored = async (): Promise<number | null> => {
    const res = await withTimeout(fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH }), 4000);
    if (!res?.ok) return null;
    return ((await res.json()) as { stored: number }).stored;
  };
  const chMemory = async (): Promise<{ tracked: number | null; caches: number | null; allocated: number | null; resident: number | null }> => {
    const [rows, allocator] = await Promise.all([
      withTimeout(
        client
          .query({ query: `SELECT metric, value FROM system.metrics WHERE metric IN ('MemoryTracking', ${CH_CACHES.map((c) => `'${c}'`).join(', ')})`, format: 'JSONEachRow' })
          .then((r) => r.json<{ metric: string; value: string }>()),
        2000,
      ),
      // chDB's jemalloc summary line: "Allocated: N, active: N, metadata: N …, resident: N, mapped: N, retained: N" (bytes).
      withTimeout(
        client.query({ query: `SELECT extract(stats, 'Allocated: [^\\n]*') AS line FROM system.jemalloc_stats`, format: 'JSONEachRow' }).then((r) => r.json<{ line: string }>()),
        2000,
      ),
    ]);
    const line = allocator?.[0]?.line ?? '';
    const figure = (name: string) => {
      const m = line.match(new RegExp(`${name}: (\\d+)`));
      return m ? Number(m[1]) : null;
    };
    const engineAllocator = { allocated: figure('Allocated'), resident: figure('resident') };
    if (!rows) return { tracked: null, caches: null, ...engineAllocator };
    const tracked = rows.find((r) => r.metric === 'MemoryTracking');
    const caches = rows.filter((r) => r.metric !== 'MemoryTracking');
    return { tracked: tracked ? Number(tracked.value) : null, caches: caches.length > 0 ? caches.reduce((sum, r) => sum + Number(r.value), 0) : null, ...engineAllocator };
  };
  // While ingest is behind and its stored counter does not move: what Warden and the engine are doing.
  let stallSnapshotsTaken = 0;
  const stallSnapshot = async (t: number) => {
    const [metrics, rules, running] = await Promise.all([
      withTimeout(fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH }).then((r) => r.json() as Promise<Record<string, unknown>>), 4000),
      withTimeout(fetch(`${warden.url}/v1/rules`, { headers: ADMIN_AUTH }).then((r) => r.json() as Promise<{ counters?: unknown }>), 4000),
      withTimeout(
        client
          .query({ query: `SELECT round(elapsed, 1) AS elapsed_s, substring(query, 1, 160) AS query FROM system.processes WHERE query NOT LIKE '%system.processes%'`, format: 'JSONEachRow' })
          .then((r) => r.json<{ elapsed_s: number; query: string }>()),
        2000,
      ),
    ]);
    const detail = stallSnapshotsTaken++ % 6 === 0;
    const engineRows = (query: string) => withTimeout(client.query({ query, format: 'JSONEachRow' }).then((r) => r.json()), 2000);
    const [engineMetrics, merges, mutations, parts] = detail
      ? await Promise.all([
          // RWLock* say whether a statement waits for a table lock; the thread and query counters whether the engine has anything to run.
          engineRows(`SELECT metric, value FROM system.metrics WHERE value != 0 AND metric NOT LIKE '%Bytes%'`),
          engineRows(`SELECT table, round(elapsed, 1) AS elapsed_s, round(progress, 2) AS progress, num_parts, rows_read, merge_type FROM system.merges`),
          engineRows(`SELECT table, mutation_id, command, parts_to_do, latest_fail_reason FROM system.mutations WHERE NOT is_done`),
          engineRows(`SELECT table, partition, count() AS parts, sum(rows) AS rows FROM system.parts WHERE active AND database NOT IN ('system') GROUP BY table, partition`),
        ])
      : [null, null, null, null];
    // Every native thread's stack, when asked for (BENCH_STALL_STACKS names a directory). Taken after the
    // statements above: gdb stops the whole process while it reads it, which would time them out.
    const stacks = detail && process.env.BENCH_STALL_STACKS ? await nativeStacks(`${process.env.BENCH_STALL_STACKS}/stall-${Math.round(t)}s.txt`) : null;
    return {
      t,
      ...(detail ? { engine_metrics: engineMetrics, merges, mutations, parts, stacks } : {}),
      consumer_lag: metrics?.consumer_lag ?? null,
      storage_failures: metrics?.storage_failures ?? null,
      after_store_failures: metrics?.after_store_failures ?? null,
      owed_digests: metrics?.owed_digests ?? null,
      detection: rules?.counters ?? null,
      engine_statements_running: running,
    };
  };
  const threads = (): number => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);

  try {
    for (let i = 0; ; i++) {
      const res = await fetch(`${warden.url}/readyz`).catch(() => null);
      if (res?.ok) break;
      if (i > 600) throw new Error('Warden not ready after 120 s');
      await sleep(200);
    }
    const samples: Sample[] = [];
    const stallSnapshots: Awaited<ReturnType<typeof stallSnapshot>>[] = [];
    /** When the stored counter last moved (sample time, s). */
    let storedMovedAt = 0;
    let phase: Sample['phase'] = 'idle';
    let t0 = performance.now();
    let lastStored = 0;
    let producer: ReturnType<typeof spawnSteadyProducer> | null = null;
    // Memory is read synchronously when the timer fires; Warden's stored counter and ClickHouse's
    // tracked memory are filled in when they answer (a busy Warden answers late, the reading is not delayed).
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const inFlight = new Set<Promise<void>>();
    const sample = (): Promise<Sample> => {
      const m = process.memoryUsage();
      const s: Sample = {
        t: round1((performance.now() - t0) / 1000),
        phase,
        rss: m.rss,
        heap_used: m.heapUsed,
        heap_total: m.heapTotal,
        external: m.external,
        array_buffers: m.arrayBuffers,
        loop_p99_ms: round1(loop.percentile(99) / 1e6),
        loop_max_ms: round1(loop.max / 1e6),
        ch_tracked: null,
        ch_caches: null,
        ch_allocated: null,
        ch_resident: null,
        threads: threads(),
        stored: lastStored,
        produced: producer?.progress()?.acked ?? 0,
      };
      loop.reset();
      samples.push(s);
      const p = Promise.all([stored(), chMemory()]).then(([st, ch]) => {
        if (st !== null && st > lastStored) storedMovedAt = s.t;
        if (st !== null) s.stored = lastStored = Math.max(lastStored, st);
        const flatFor = s.t - storedMovedAt;
        if (phase !== 'idle' && st !== null && flatFor >= 2 * SAMPLE_S && s.produced > st && stallSnapshots.length < MAX_STALL_SNAPSHOTS) {
          void stallSnapshot(s.t).then((snapshot) => stallSnapshots.push(snapshot));
        }
        s.ch_tracked = ch.tracked;
        s.ch_caches = ch.caches;
        s.ch_allocated = ch.allocated;
        s.ch_resident = ch.resident;
        if (samples.length % 12 === 1) console.log(`  ${Math.round(s.t)} s (${s.phase}): rss ${mib(s.rss)} MiB, heap ${mib(s.heap_used)} MiB, stored ${s.stored.toLocaleString()} / produced ${s.produced.toLocaleString()}`);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      return p.then(() => s);
    };
    // Peaks between samples: RSS and heap read twice a second (cheap), per phase.
    const peaks = { produce: { rss: 0, heap_used: 0 }, all: { rss: 0, heap_used: 0 } };
    const peakTimer = setInterval(() => {
      const m = process.memoryUsage();
      for (const k of phase === 'produce' ? (['produce', 'all'] as const) : (['all'] as const)) {
        peaks[k].rss = Math.max(peaks[k].rss, m.rss);
        peaks[k].heap_used = Math.max(peaks[k].heap_used, m.heapUsed);
      }
    }, 500);
    await sample();

    console.log(`producing ${RATE.toLocaleString()} events/s for ${DURATION_S} s to ${topic}; sampling memory every ${SAMPLE_S} s …`);
    producer = spawnSteadyProducer({ brokers, topic, rate: RATE, durationS: DURATION_S, tag: `ms${stamp.toString(36)}` });
    await producer.started;
    t0 = performance.now();
    phase = 'produce';
    void sample();
    const sampler = setInterval(() => void sample(), SAMPLE_S * 1000);
    const producerStats = await producer.done;
    const endT = (performance.now() - t0) / 1000;
    // The end-of-production sample: what every "at end" figure reads.
    const endSample = await sample();
    const [lagAtEnd, wardenLagAtEnd] = await Promise.all([
      groupLag(brokers, group, topic),
      fetch(`${warden.url}/v1/ingest/metrics`, { headers: ADMIN_AUTH })
        .then((r) => r.json() as Promise<{ consumer_lag: Record<string, number> }>)
        .then((m) => Object.values(m.consumer_lag).reduce((a, b) => a + b, 0))
        .catch(() => Number.NaN),
    ]);
    console.log(`production ended after ${round1(endT)} s: produced ${producerStats.acked.toLocaleString()}, stored ${endSample.stored.toLocaleString()}, lag ${lagAtEnd.total.toLocaleString()}; draining for at most ${DRAIN_S} s …`);

    // Drain: keep sampling until the group is at the end of the topic, or DRAIN_S.
    phase = 'drain';
    const drainStart = performance.now();
    let lagAfter: GroupLag = lagAtEnd;
    let drainedAfterS: number | null = lagAtEnd.total === 0 ? 0 : null;
    while (drainedAfterS === null && performance.now() - drainStart < DRAIN_S * 1000) {
      await sleep(1000);
      lagAfter = await groupLag(brokers, group, topic);
      if (lagAfter.total === 0) drainedAfterS = (performance.now() - drainStart) / 1000;
    }
    clearInterval(sampler);
    clearInterval(peakTimer);
    const finalSample = await sample();
    await Promise.all([...inFlight]);
    loop.disable();

    const produce = samples.filter((s) => s.phase === 'produce');
    const peak = (key: 'rss' | 'heap_used', list: Sample[], p: { rss: number; heap_used: number }) => list.reduce((m, s) => Math.max(m, s[key]), p[key]);
    const at = (t: number) => produce.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), produce[0]);
    const windowFrom = endSample.t - SLOPE_WINDOW_S;
    const windowed = produce.filter((s) => s.t >= windowFrom);
    const fit = (key: 'rss' | 'heap_used' | 'ch_tracked' | 'ch_caches' | 'ch_allocated' | 'ch_resident') => {
      const f = slope(windowed.filter((s) => s[key] !== null).map((s) => [s.t / 60, (s[key] as number) / MiB]));
      return { slope: round1(f.slope), stderr: round1(f.stderr) };
    };
    const rssFit = fit('rss');
    const heapFit = fit('heap_used');
    const chFit = fit('ch_tracked');
    const cacheFit = fit('ch_caches');
    const allocatedFit = fit('ch_allocated');
    const residentFit = fit('ch_resident');
    // The floor: RSS swings by hundreds of MiB between samples (merges, big statements, freed pages the
    // engine's allocator keeps for a few seconds), so a rising floor says more about retention than the mean.
    const minutes = new Map<number, number>();
    for (const x of windowed) {
      const m = Math.floor((x.t - windowFrom) / 60);
      if (m < Math.floor(SLOPE_WINDOW_S / 60)) minutes.set(m, Math.min(minutes.get(m) ?? Infinity, x.rss));
    }
    const floorPoints = [...minutes].sort(([a], [b]) => a - b);
    const floorRaw = slope(floorPoints.map(([m, v]) => [m + 0.5, v / MiB]));
    const floorFit = { slope: round1(floorRaw.slope), stderr: round1(floorRaw.stderr) };
    const baseline = samples[0];
    const at60 = at(60);
    const firstInWindow = windowed[0] ?? endSample;
    const ingestRate = endSample.stored / endT;
    const windowIngestRate = (endSample.stored - firstInWindow.stored) / Math.max(1e-9, endSample.t - firstInWindow.t);
    const keptUp = lagAtEnd.total <= RATE * 2;
    // Stalls: stretches where Warden was behind (produced > stored) and its stored counter did not move.
    let stall = { seconds: 0, from: 0, to: 0 };
    for (let i = 0, start = -1; i < samples.length; i++) {
      const flat = i > 0 && samples[i].stored === samples[i - 1].stored && samples[i].produced > samples[i].stored && samples[i].phase !== 'idle';
      if (flat && start < 0) start = i - 1;
      if (start >= 0 && (!flat || i === samples.length - 1)) {
        const end = flat ? i : i - 1;
        if (samples[end].t - samples[start].t > stall.seconds) stall = { seconds: round1(samples[end].t - samples[start].t), from: samples[start].t, to: samples[end].t };
        start = -1;
      }
    }

    const figures: BenchFigure[] = [
      { name: 'peak RSS during production', value: mib(peak('rss', produce, peaks.produce)), unit: 'MiB', note: `before production ${mib(baseline.rss)} MiB; peak incl. drain ${mib(peak('rss', samples, peaks.all))} MiB` },
      { name: `RSS at ${Math.round(at60.t)} s`, value: mib(at60.rss), unit: 'MiB' },
      { name: 'RSS at end of production', value: mib(endSample.rss), unit: 'MiB', note: `t = ${round1(endT)} s` },
      { name: `RSS slope, last ${Math.round(SLOPE_WINDOW_S / 6) / 10} min of production`, value: rssFit.slope, unit: 'MiB/min', note: `± ${rssFit.stderr} (standard error); least squares over ${windowed.length} samples from t = ${windowed[0]?.t ?? 'n/a'} s` },
      {
        name: 'RSS floor slope (per-minute minimum, same window)',
        value: floorFit.slope,
        unit: 'MiB/min',
        note: `± ${floorFit.stderr}; minimum RSS per minute from ${mib(floorPoints[0]?.[1] ?? Number.NaN)} to ${mib(floorPoints.at(-1)?.[1] ?? Number.NaN)} MiB over ${floorPoints.length} minutes`,
      },
      { name: 'peak heap used during production', value: mib(peak('heap_used', produce, peaks.produce)), unit: 'MiB', note: `before production ${mib(baseline.heap_used)} MiB` },
      { name: `heap used at ${Math.round(at60.t)} s`, value: mib(at60.heap_used), unit: 'MiB' },
      { name: 'heap used at end of production', value: mib(endSample.heap_used), unit: 'MiB' },
      { name: `heap used slope, last ${Math.round(SLOPE_WINDOW_S / 6) / 10} min of production`, value: heapFit.slope, unit: 'MiB/min', note: `± ${heapFit.stderr} (standard error)` },
      { name: 'ClickHouse tracked memory slope (same window)', value: chFit.slope, unit: 'MiB/min', note: `± ${chFit.stderr}; at end ${endSample.ch_tracked === null ? 'n/a' : `${mib(endSample.ch_tracked)} MiB`} (system.metrics MemoryTracking)` },
      { name: 'ClickHouse cache memory slope (same window)', value: cacheFit.slope, unit: 'MiB/min', note: `± ${cacheFit.stderr}; at end ${endSample.ch_caches === null ? 'n/a' : `${mib(endSample.ch_caches)} MiB`} (${CH_CACHES.join(' + ')}; bounded by the engine's cache sizes)` },
      {
        name: "engine allocator: memory held by live allocations, slope (same window)",
        value: allocatedFit.slope,
        unit: 'MiB/min',
        note: `± ${allocatedFit.stderr}; at end ${mibOrNull(endSample.ch_allocated) ?? 'n/a'} MiB (chDB's jemalloc, system.jemalloc_stats "Allocated")`,
      },
      {
        name: "engine allocator: resident pages, slope (same window)",
        value: residentFit.slope,
        unit: 'MiB/min',
        note: `± ${residentFit.stderr}; at end ${mibOrNull(endSample.ch_resident) ?? 'n/a'} MiB, of which freed pages kept: ${endSample.ch_resident === null || endSample.ch_allocated === null ? 'n/a' : `${mib(endSample.ch_resident - endSample.ch_allocated)} MiB`}`,
      },
      { name: 'threads of the Warden process at end of production', value: endSample.threads, unit: 'threads', note: `before production ${baseline.threads}; max ${samples.reduce((m, x) => Math.max(m, x.threads), 0)}` },
      {
        name: 'event-loop delay of the Warden process, worst 5-s p99 during production',
        value: produce.reduce((m, x) => Math.max(m, x.loop_p99_ms), 0),
        unit: 'ms',
        note: `median of the 5-s p99s ${[...produce.map((x) => x.loop_p99_ms)].sort((a, b) => a - b)[Math.floor(produce.length / 2)] ?? 'n/a'} ms; max ${produce.reduce((m, x) => Math.max(m, x.loop_max_ms), 0)} ms`,
      },
      { name: 'achieved produce rate', value: producerStats.achieved_rate, unit: 'events/s', note: `target ${RATE.toLocaleString()}; per second min ${producerStats.per_second.min.toLocaleString()}, ${producerStats.per_second.seconds_below_95pct} s below 95 %` },
      { name: 'Warden ingest rate during production', value: Math.round(ingestRate), unit: 'events/s', note: `${Math.round(windowIngestRate).toLocaleString()}/s over the slope window` },
      { name: 'stored / produced at end of production', value: Math.round((endSample.stored / producerStats.acked) * 1000) / 1000, unit: '', note: `${endSample.stored.toLocaleString()} / ${producerStats.acked.toLocaleString()}: ${keptUp ? 'kept up' : `DID NOT KEEP UP with ${RATE.toLocaleString()}/s (≈ ${round1(lagAtEnd.total / RATE)} s of traffic unstored)`}` },
      { name: 'consumer lag at end of production', value: lagAtEnd.total, unit: 'messages', note: `≈ ${round1(lagAtEnd.total / RATE)} s of traffic (committed offsets); Warden's own consumer_lag then: ${wardenLagAtEnd}` },
      {
        name: 'consumer lag after draining',
        value: lagAfter.total,
        unit: 'messages',
        note: drainedAfterS === null ? `not drained within ${DRAIN_S} s (stored ${finalSample.stored.toLocaleString()})` : `drained ${round1(drainedAfterS)} s after production ended`,
      },
    ];
    figures.push({
      name: 'longest ingest stall (behind, stored counter flat)',
      value: stall.seconds,
      unit: 's',
      note: stall.seconds > 0 ? `from t = ${stall.from} s to ${stall.to} s (sampled every ${SAMPLE_S} s)` : 'none seen',
    });
    const ratios: BenchFigure[] = [
      { name: 'Warden ingest rate / produce rate', value: Math.round((ingestRate / producerStats.achieved_rate) * 1000) / 1000, unit: '' },
      { name: 'RSS end / RSS at 1 min', value: Math.round((endSample.rss / at60.rss) * 1000) / 1000, unit: '' },
    ];
    return {
      title: `Memory soak: ${RATE.toLocaleString()} events/s over Kafka for ${DURATION_S} s into an in-process Warden (${PARTITIONS} partitions, producer in a child process)`,
      figures,
      ratios,
      context: {
        rate: RATE,
        duration_s: DURATION_S,
        sample_every_s: SAMPLE_S,
        slope_window_s: SLOPE_WINDOW_S,
        drain_limit_s: DRAIN_S,
        partitions: PARTITIONS,
        rss_is: 'process.memoryUsage().rss of the process running Warden (chDB embedded); the producer is a child process',
        kept_up: keptUp,
        longest_stall: stall,
        stall_snapshots: stallSnapshots,
        producer: producerStats,
        lag_at_end: lagAtEnd,
        lag_after_drain: lagAfter,
        // Compact series: one row per sample.
        samples: {
          columns: ['t_s', 'phase (i idle, p produce, d drain)', 'rss_mib', 'heap_used_mib', 'heap_total_mib', 'external_mib', 'array_buffers_mib', 'ch_tracked_mib', 'ch_caches_mib', 'ch_allocated_mib', 'ch_resident_mib', 'threads', 'loop_delay_p99_ms', 'loop_delay_max_ms', 'stored', 'produced'],
          rows: samples.map((s) => [s.t, s.phase[0], mib(s.rss), mib(s.heap_used), mib(s.heap_total), mib(s.external), mib(s.array_buffers), mibOrNull(s.ch_tracked), mibOrNull(s.ch_caches), mibOrNull(s.ch_allocated), mibOrNull(s.ch_resident), s.threads, s.loop_p99_ms, s.loop_max_ms, s.stored, s.produced]),
        },
      },
    };
  } finally {
    await warden.close();
    data.cleanup();
    await deleteTopics(brokers, [topic, `${topic}.dlq`]);
  }
}

runScenario('memory-soak', main);
