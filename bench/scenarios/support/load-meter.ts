import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoadReading {
  seconds: number;
  /** CPU of this process (Warden in-process: JavaScript, the embedded engine's threads, GC), in cores. */
  process_cores: number;
  /** CPU of the whole machine (producer, broker, receiver and anything else included), in cores busy, and cores there are. */
  machine_busy_cores: number;
  machine_cores: number;
  /** How late this process's event loop ran timers: every await on the hot path pays it. */
  loop_delay_ms: { p50: number; p99: number; max: number };
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
  return {
    stop: () => {
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
      };
    },
  };
}
