// Runs every *.test.ts under contracts/, src/ and test/ with Node's own test runner (through tsx).
// Node 20's --test takes no globs, so the files are collected here. Pass paths or substrings to
// run a subset: `node scripts/run-tests.mjs crypto`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['contracts', 'src', 'test', 'bench'];
const skip = new Set(['node_modules', 'build', 'dist', '.tmp']);

function collect(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), path));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots.flatMap((root) => collect(root, [])).sort()
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Request logs of gateways started by tests would drown the report: warnings and errors only.
const env = { MEDCHAIN_LOG_LEVEL: 'warn', ...process.env };
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
