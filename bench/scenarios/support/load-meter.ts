import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchFigure } from '../../scenario.js';

export interface LoadReading {
  seconds: number;
  /** CPU of this process (Warden in-process: JavaScript, the embedded engine's threads, GC), in cores. */
  process_cores: number;
  /** CPU of the whole machine (producer, broker, receiver and anything else included), in cores busy, and cores there are. */
  machine_busy_cores: number;
  machine_cores: number;
  /** How late this process's event loop ran timers: every await on the hot path pays it. */
  loop_delay_ms: { p50: number; p99: number; max: number };
  /**
   * This process's CPU by thread name, in cores, busiest first: the main
   * thread (JavaScript), libuv's pool, V8's GC helpers and the embedded
   * engine's pools each have their own. Threads that ended during the
   * reading are missing from it.
   */
  threads_cores: Record<string, number>;
  /**
   * V8's garbage-collection pauses of this process (the main thread stops for
   * each): young-generation scavenges and full mark-compacts apart.
   */
  gc: { minor: GcPauses; major: GcPauses; paused_share: number };
}

export interface GcPauses {
  count: number;
  total_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function gcPauses(durations: number[]): GcPauses {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]));
  return { count: sorted.length, total_ms: Math.round(sorted.reduce((a, b) => a + b, 0)), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) };
}

const TICKS_PER_SECOND = 100;
const MAIN = 'main (JavaScript)';

/** CPU ticks (user + system) of each live thread of this process, by thread id, with its name. */
function threadTicks(): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended while we listed them
    }
    // "tid (comm) state …": comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "state".
    out.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return out;
}

/** Threads of one pool share a name up to a number ("ThreadPool12", "node:worker 3"): grouped as one. */
function poolName(name: string, tid: string): string {
  if (tid === String(process.pid)) return MAIN;
  return name.replace(/[\s_:#-]*\d+$/, '') || name;
}

function threadCores(before: Map<string, { name: string; ticks: number }>, seconds: number): Record<string, number> {
  const byPool = new Map<string, number>();
  for (const [tid, now] of threadTicks()) {
    const used = now.ticks - (before.get(tid)?.ticks ?? 0);
    if (used <= 0) continue;
    const pool = poolName(now.name, tid);
    byPool.set(pool, (byPool.get(pool) ?? 0) + used);
  }
  return Object.fromEntries(
    [...byPool]
      .sort((a, b) => b[1] - a[1])
      .map(([pool, ticks]) => [pool, round2(ticks / TICKS_PER_SECOND / seconds)])
      .filter(([, cores]) => (cores as number) >= 0.01),
  );
}

/** Busy and total jiffies of all CPUs, from the first line of /proc/stat (user nice system idle iowait irq softirq steal). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + fields[4];
  return { busy: total - idle, total };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Starts measuring how loaded this process and the machine are; `stop()` reads it once. */
export function startLoadMeter(): { stop: () => LoadReading } {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const machine = machineJiffies();
  const threads = threadTicks();
  const minor: number[] = [];
  const major: number[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minor.push(entry.duration);
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) major.push(entry.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      gc.disconnect();
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const m = machineJiffies();
      const cores = cpus().length;
      loop.disable();
      return {
        seconds: round1(seconds),
        process_cores: round2((used.user + used.system) / 1e6 / seconds),
        machine_busy_cores: round2(((m.busy - machine.busy) / Math.max(1, m.total - machine.total)) * cores),
        machine_cores: cores,
        loop_delay_ms: { p50: round1(loop.percentile(50) / 1e6), p99: round1(loop.percentile(99) / 1e6), max: round1(loop.max / 1e6) },
        threads_cores: threadCores(threads, seconds),
        gc: { minor: gcPauses(minor), major: gcPauses(major), paused_share: round2([...minor, ...major].reduce((a, b) => a + b, 0) / 1000 / seconds) },
      };
    },
  };
}

/** One figure for a reading's CPU by thread: the main thread's cores as its value, every other pool in the note. */
export function threadsFigure(reading: LoadReading, name: string): BenchFigure {
  return {
    name,
    value: reading.threads_cores[MAIN] ?? 0,
    unit: 'cores',
    note: `main thread; ${Object.entries(reading.threads_cores)
      .filter(([pool]) => pool !== MAIN)
      .map(([pool, cores]) => `${pool} ${cores}`)
      .join(', ')} ("node": the triage worker, V8's GC and compiler helpers, libuv's pool running the engine's statements; "ThreadPool": the engine's parsing and query pool; "MergeMutate": its merges)`,
  };
}

/** One figure for a reading's GC pauses: the scavenges' p99 as its value, the rest in the note. */
export function gcFigure(reading: LoadReading, name: string): BenchFigure {
  const { minor, major, paused_share } = reading.gc;
  return {
    name,
    value: minor.p99_ms,
    unit: 'ms',
    note: `scavenges: ${minor.count}, p50 ${minor.p50_ms} ms, max ${minor.max_ms} ms; mark-compacts: ${major.count}, p50 ${major.p50_ms} ms, max ${major.max_ms} ms; the main thread stood still ${Math.round(paused_share * 100)} % of the time`,
  };
}
