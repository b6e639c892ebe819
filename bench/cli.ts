/**
 * CLI start-up and command latency, as a user waits for it: each command is a new `medchain`
 * process (wall time from spawn to exit) against a running `medchain start`, with a key file at
 * geth's scrypt cost (N = 2^18, as `keys new` writes it). Two ways to run the same code:
 *   bundle  bin/medchain.js — the cached esbuild bundle (what `npx medchain` runs)
 *   tsx     MEDCHAIN_NO_BUNDLE=1 bin/medchain.js — the TypeScript sources through tsx (how it ran before)
 * Targets (issue 15): `medchain --help` under 0.5 s, a read under 2 s.
 * Run: `npx tsx bench/cli.ts` (or `npm run bench -- cli`); BENCH_RUNS=5 for more runs per cell.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { percentile, report, savePlot, type Row } from './lib/report.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'medchain.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dataDir = mkdtempSync(join(tmpdir(), 'medchain-bench-cli-'));
const env = { ...process.env, MEDCHAIN_PASSPHRASE: 'bench passphrase', MEDCHAIN_LOG_LEVEL: 'warn' };

function medchain(args: string[], extraEnv: Record<string, string> = {}): Promise<{ seconds: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((ok, fail) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`medchain ${args.join(' ')}: ${stderr.trim()}`));
      else ok({ seconds: (performance.now() - t0) / 1000, stdout });
    });
  });
}

// The gateway and chain under test (their own start-up is not measured).
const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--rpc-port', '0', '--data-dir', dataDir], { env: { ...env, MEDCHAIN_SCRYPT_N: '1024' }, stdio: ['ignore', 'pipe', 'pipe'] });
const url = await new Promise<string>((ok, fail) => {
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.startsWith('{"event":"started"'));
    if (line) ok(JSON.parse(line).url as string);
  });
  child.once('exit', (code) => fail(new Error(`medchain start exited with ${code}`)));
});

try {
  const at = (...args: string[]) => [...args, '--gateway', url, '--data-dir', dataDir];
  await medchain(at('keys', 'new', 'alice'));
  await medchain(at('patient', 'register', '--key', 'alice'));
  const record = JSON.parse((await medchain(at('record', 'add', join(ROOT, 'examples', 'hba1c.json'), '--key', 'alice', '--json'))).stdout) as { recordId: string };

  const commands: Array<[string, string[]]> = [
    ['--help', ['--help']],
    ['status', at('status')],
    ['grant list', at('grant', 'list', '--key', 'alice')],
    ['record get', at('record', 'get', record.recordId, '--key', 'alice')],
  ];
  const variants: Array<[string, Record<string, string>]> = [['bundle', {}], ['tsx', { MEDCHAIN_NO_BUNDLE: '1' }]];
  const rows: Row[] = [];
  for (const [name, args] of commands) {
    for (const [variant, extraEnv] of variants) {
      await medchain(args, extraEnv); // warm-up: bundle or tsx cache built, files in the page cache
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push((await medchain(args, extraEnv)).seconds);
      rows.push({ command: name, variant, runs: RUNS, 'median s': percentile(times, 50), 'min s': Math.min(...times), 'max s': Math.max(...times) });
    }
  }
  report('cli', 'medchain command latency (new process per command, wall seconds; key file at scrypt N = 2^18)', rows);
  await savePlot('cli', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'medchain command latency (median wall s)',
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'variant', type: 'nominal', title: null },
      y: { field: 'median s', type: 'quantitative', title: 'seconds' },
      color: { field: 'variant', type: 'nominal' },
      column: { field: 'command', type: 'nominal', sort: commands.map(([n]) => n), title: null },
    },
  });
} finally {
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  rmSync(dataDir, { recursive: true, force: true });
}
