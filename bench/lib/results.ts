import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, loadNow, type Machine } from './machine.js';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Write bench/results/<name>.json: the figures, the machine, the load at start and at the end. */
export function writeResults(name: string, machine: Machine, body: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const out = {
    bench: name,
    generatedAt: new Date().toISOString(),
    machine: { ...machine, loadAvgAtEnd: loadNow() },
    ...body,
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote bench/results/${name}.json`);
  return file;
}

export { describeMachine };

/** Print an aligned table: first column left-aligned, the rest right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export const fmt = (n: number | undefined, digits = 2): string =>
  n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
