/**
 * Shared output for benchmarks: a plain-text table on stdout, the raw rows as JSON and a plot as
 * SVG under bench/results/. Plots are rendered with Vega-Lite (no canvas needed for SVG in Node).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

export type Row = Record<string, string | number>;

/** The machine a benchmark ran on, printed with every table. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** Prints the table and writes `<name>.json` (rows plus machine) and `<name>.md` under bench/results. */
export function report(name: string, title: string, rows: Row[]): void {
  const table = formatTable(rows);
  console.log(`\n${title}\nmachine: ${machine()}\n\n${table}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), JSON.stringify({ title, machine: machine(), date: new Date().toISOString(), rows }, null, 2));
  writeFileSync(join(RESULTS_DIR, `${name}.md`), `# ${title}\n\nmachine: ${machine()}\n\n\`\`\`\n${table}\n\`\`\`\n`);
}

/** Renders a Vega-Lite spec (data inlined) to bench/results/<name>.svg. */
export async function savePlot(name: string, spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.svg`);
  writeFileSync(file, svg);
  return file;
}

/** Percentile of a list of numbers (nearest-rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
