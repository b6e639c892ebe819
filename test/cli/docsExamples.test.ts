/**
 * Issue 15: the examples in the README's "Command line" section and in docs/cli.md run as written.
 * Every line of their ```sh blocks is run by bash, in order, stopping at the first failing line,
 * against a real `medchain start` whose data directory is `./data` of the working directory — as a
 * reader who started MedChain there would. `medchain` and `npx medchain` both run bin/medchain.js.
 * Only the wait for the access-log anchor (the docs say entries are anchored within a minute) is
 * added, before `audit prove`. ```text blocks (synopses such as `medchain start [options]`) are not run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, env, startMedchain, stop } from './cliHarness.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The ```sh blocks of a Markdown text, optionally only those under one `## heading`. */
export function shellBlocks(markdown: string, section?: string): string[] {
  let text = markdown;
  if (section) {
    const start = text.indexOf(`\n## ${section}\n`);
    assert.ok(start >= 0, `no section ${section}`);
    const end = text.indexOf('\n## ', start + 4);
    text = text.slice(start, end < 0 ? undefined : end);
  }
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** A directory as a reader's: ./data is the running instance's, ./examples the repository's. */
function workdir(dataDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-docs-'));
  symlinkSync(dataDir, join(dir, 'data'));
  symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
  return dir;
}

function shims(): string {
  const bin = mkdtempSync(join(tmpdir(), 'medchain-bin-'));
  writeFileSync(join(bin, 'medchain'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  // `npx medchain …` as after `npm ci` in the repository; never the registry.
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = medchain ] || { echo "npx $1: not in this test" >&2; exit 127; }\nshift\nexec medchain "$@"\n`);
  chmodSync(join(bin, 'medchain'), 0o755);
  chmodSync(join(bin, 'npx'), 0o755);
  return bin;
}

function runScript(cwd: string, script: string, extraEnv: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  // Each line is echoed to stderr before it runs (set -x would print expanded variables too).
  const lines = script.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const body = lines.map((l) => {
    const wait = /^medchain audit prove /.test(l) ? `for i in $(seq 1 30); do ${l.replace(/#.*$/, '')} >/dev/null 2>&1 && break; sleep 5; done\n` : '';
    return `${wait}echo '$ ${l.replaceAll("'", "'\\''")}' >&2\n${l}`;
  }).join('\n');
  return new Promise((done) => {
    execFile('bash', ['-e', '-o', 'pipefail', '-c', body], { cwd, env: { ...env, ...extraEnv }, timeout: 900_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

test('the README and docs/cli.md examples run as written against medchain start', { timeout: 1_800_000 }, async () => {
  const readme = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'Command line');
  const docs = shellBlocks(readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8'));
  assert.ok(readme.length >= 1 && docs.length >= 10, 'the examples were found');

  const readmeData = mkdtempSync(join(tmpdir(), 'medchain-docs-data-'));
  const docsData = mkdtempSync(join(tmpdir(), 'medchain-docs-data-'));
  const running = await startMedchain(['--port', '0', '--rpc-port', '0', '--data-dir', readmeData]);
  const bin = shims();
  const dirs = [workdir(readmeData), workdir(docsData)];
  try {
    // The docs' reader uses the same running instance with a data directory of their own: only the admin key is shared.
    mkdirSync(join(docsData, 'keys'), { recursive: true });
    copyFileSync(join(readmeData, 'keys', 'admin.json'), join(docsData, 'keys', 'admin.json'));
    const extraEnv = { PATH: `${bin}:${process.env.PATH}`, MEDCHAIN_GATEWAY: running.url };
    for (const [dir, script, name] of [[dirs[0]!, readme.join('\n'), 'README'], [dirs[1]!, docs.join('\n'), 'docs/cli.md']] as const) {
      const r = await runScript(dir, script, extraEnv);
      const ran = r.stderr.split('\n').filter((l) => l.startsWith('$ '));
      assert.equal(r.code, 0, `${name}: the example \`${ran.at(-1)?.slice(2)}\` failed:\n${r.stderr.split('\n').slice(-6).join('\n')}`);
      assert.equal(ran.length, script.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length, `${name}: every line ran`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  } finally {
    await stop(running.child);
    for (const d of [...dirs, bin, readmeData, docsData]) rmSync(d, { recursive: true, force: true });
  }
});
