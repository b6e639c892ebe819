/**
 * Issue 15, item 8: after `npm ci` alone — a fresh copy of the repository without contracts/build,
 * web/dist or the CLI bundle — every command works: the first run compiles the contracts with
 * solc-js (once, said on one line), `medchain start` builds the web UI and serves it, and a later
 * run compiles nothing. Failures are one line without a stack trace, also when the contracts
 * themselves do not compile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { env, type CliResult } from './cliHarness.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** The repository's files as a clone has them (tracked and new, nothing git ignores), node_modules linked as `npm ci` left it. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-fresh-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (file === 'node_modules' || !existsSync(join(ROOT, file))) continue; // deleted in the working tree; node_modules is linked below
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  return dir;
}

function run(dir: string, args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [join(dir, 'bin', 'medchain.js'), ...args], { cwd: dir, env, timeout: 900_000, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

const noStack = (stderr: string) => assert.doesNotMatch(stderr, /\n\s+at |ERR_MODULE_NOT_FOUND/, `no stack trace: ${stderr}`);

test('after npm ci alone: contracts compiled on first use, start builds and serves the UI, failures are one line', { timeout: 1_500_000 }, async () => {
  const dir = freshCopy();
  try {
    assert.equal(existsSync(join(dir, 'contracts', 'build')), false);

    // Any command, first run: the contracts are compiled once, then the command does its own work.
    const first = await run(dir, ['status', '--gateway', 'http://127.0.0.1:9']);
    assert.equal(first.code, 1, first.stderr);
    assert.deepEqual(first.stderr.trim().split('\n').map((l) => l.replace(/ \(.*$/, '')), [
      'medchain: compiling the contracts with solc-js',
      'medchain: cannot reach the gateway',
    ]);
    noStack(first.stderr);
    assert.ok(existsSync(join(dir, 'contracts', 'build', 'abis.ts')));
    const second = await run(dir, ['status', '--gateway', 'http://127.0.0.1:9']);
    assert.doesNotMatch(second.stderr, /compiling/, 'compiled once, cached');

    // `medchain start` on the fresh copy: builds the web UI, deploys, serves the UI and the API.
    const dataDir = join(dir, 'data');
    const start = async (check: (url: string, err: string) => Promise<void>) => {
      const child = spawn(process.execPath, [join(dir, 'bin', 'medchain.js'), 'start', '--port', '0', '--rpc-port', '0', '--data-dir', dataDir], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => { err += d; });
      const url = await new Promise<string>((ok, fail) => {
        child.stdout.on('data', (d) => {
          out += d;
          const line = out.split('\n').find((l) => l.startsWith('{"event":"started"'));
          if (line) ok(JSON.parse(line).url);
        });
        child.once('exit', (code) => fail(new Error(`start exited with ${code}: ${err}`)));
      });
      try { await check(url, err); } finally {
        child.kill('SIGTERM');
        await new Promise((done) => child.once('exit', done));
      }
    };
    await start(async (url, err) => {
      assert.match(err, /building the web UI/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">|<script/);
      assert.equal((await (await fetch(`${url}/healthz`)).json() as { status: string }).status, 'ok');
    });
    // The second start with nothing changed: no rebuild of the UI, and no Vite output at all.
    await start(async (url, err) => {
      assert.doesNotMatch(err, /building the web UI/, 'an unchanged UI is not rebuilt');
      assert.doesNotMatch(err, /vite|rolldown|\[plugin/i, 'no Vite warning at start');
      assert.equal((await fetch(url)).status, 200);
    });

    // A contract that does not compile: one line naming the problem, exit 1.
    appendFileSync(join(dir, 'contracts', 'src', 'Consent.sol'), '\nthis is not solidity\n');
    const broken = await run(dir, ['--help']);
    assert.equal(broken.code, 1);
    const lines = broken.stderr.trim().split('\n');
    assert.equal(lines.length, 2, broken.stderr);
    assert.match(lines[0]!, /^medchain: compiling the contracts/);
    assert.match(lines[1]!, /^medchain: the contracts do not compile: ParserError: .*\(solc: 1 compilation error\(s\)\)$/);
    noStack(broken.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
