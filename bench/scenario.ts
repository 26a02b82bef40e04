/**
 * The contract between `npm run bench` (bench/run.ts) and one scenario
 * (bench/scenarios/<name>.ts). A scenario runs in its own process, because
 * the embedded engine binds one data directory per process, and hands its
 * result back through the file named by BENCH_SCENARIO_OUT.
 */
import { writeFileSync } from 'node:fs';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export interface ScenarioResult {
  /** One line saying what was measured, with the workload's size. */
  title: string;
  /** Measured figures: rates, latencies, sizes. */
  figures: BenchFigure[];
  /** Ratios to ceilings measured in the same run. */
  ratios: BenchFigure[];
  /** Workload parameters and anything a reader needs to reproduce it. */
  context: Record<string, unknown>;
}

/** Runs a scenario's main, prints its result, and writes it where the suite runner expects it. */
export function runScenario(name: string, main: () => Promise<ScenarioResult>): void {
  main()
    .then((result) => {
      const out = process.env.BENCH_SCENARIO_OUT;
      if (out) writeFileSync(out, JSON.stringify({ name, ...result }));
      else console.log(JSON.stringify({ name, ...result }, null, 2));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}

/** Nearest-rank quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Milliseconds to one decimal. */
export function ms(n: number): number {
  return Math.round(n * 10) / 10;
}
