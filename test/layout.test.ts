/**
 * The tree's shape, checked: no import cycle; no file under src/ over 400 lines without a stated
 * reason at its top; the web UI and the CLI's client commands (all but `start`) reach no gateway
 * module, so they are clients of the SDK only. Imports are followed transitively, type-only included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = resolve(import.meta.dirname, '..');
const sources = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  if (name === 'node_modules' || name === 'dist') return [];
  return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
});
const importsOf = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?['"](\.[^'"]+\.tsx?)['"]/gm)].map((m) => resolve(dirname(file), m[1]!));
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [resolve(root, entry)];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...importsOf(f));
  }
  return seen;
}

test('no import cycle in src/ and web/src', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts/import-cycles.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test('no file under src/ is over 400 lines without saying why at its top', () => {
  const long = sources(join(root, 'src')).filter((f) => readFileSync(f, 'utf8').split('\n').length > 400)
    .filter((f) => !/Over 400 lines because/.test(readFileSync(f, 'utf8').split('\n').slice(0, 15).join('\n')));
  assert.deepEqual(long.map((f) => relative(root, f)), []);
});

test('the web UI and the CLI client commands import no gateway module, directly or not', () => {
  const commands = readdirSync(join(root, 'src/cli/commands')).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts') && n !== 'start.ts');
  for (const entry of ['web/src/main.tsx', ...commands.map((n) => `src/cli/commands/${n}`)]) {
    const gateway = [...reachable(entry)].map((f) => relative(root, f)).filter((f) => f.startsWith('src/gateway/'));
    assert.deepEqual(gateway, [], `${entry} reaches the gateway`);
  }
});
