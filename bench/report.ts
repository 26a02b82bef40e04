import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** Writes `<name>.json` and `<name>.md` under bench/results, with the machine and versions, and prints the table. */
export function writeReport(name: string, title: string, figures: BenchFigure[], ratios: BenchFigure[], context: Record<string, unknown>): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version };
  const report = { title, date: new Date().toISOString(), machine, context, figures, ratios };
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const row = (f: BenchFigure) => `| ${f.name} | ${f.value.toLocaleString('en-US', { maximumFractionDigits: 3 })} | ${f.unit} | ${f.note ?? ''} |`;
  const md = [
    `# ${title}`,
    '',
    `${report.date} · ${machine.cpus} cores (${machine.cpu_model}) · ${machine.memory_gib} GiB · Node ${machine.node}`,
    '',
    '| figure | value | unit | note |',
    '|---|---|---|---|',
    ...figures.map(row),
    '',
    '| ratio | value | | |',
    '|---|---|---|---|',
    ...ratios.map(row),
    '',
    '```json',
    JSON.stringify(context, null, 2),
    '```',
    '',
  ].join('\n');
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
  console.log(md);
}
