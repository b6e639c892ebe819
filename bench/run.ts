/**
 * Runs the benchmarks: every bench/*.ts script (each prints its table and writes bench/results/),
 * one after the other so they do not compete for the 2 cores. `npm run bench -- gas crypto` runs
 * only the scripts whose name contains one of the arguments.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = import.meta.dirname;
const filters = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((name) => name.endsWith('.ts') && name !== 'run.ts' && !name.endsWith('.test.ts'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n=== bench/${script}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, script)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
