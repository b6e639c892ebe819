/**
 * Runs the `medchain` command as a user does, in child processes: `cli(args)` for one command
 * through bin/medchain.js, as `npx medchain` runs it (exit code, stdout, stderr), `startMedchain(args)` for a running `medchain start` (resolves on
 * its `started` line). Keystores use a cheap scrypt (MEDCHAIN_SCRYPT_N) to keep the suite fast.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { MedChainAddresses } from '../../src/sdk/contracts.ts';

export const MAIN = resolve(import.meta.dirname, '../../src/cli/main.ts');
/** The installed command (`npx medchain`): compiles the contracts if needed and runs the cached bundle. */
export const BIN = resolve(import.meta.dirname, '../../bin/medchain.js');
export const PASSPHRASE = 'test passphrase 1';
export const env = { ...process.env, MEDCHAIN_PASSPHRASE: PASSPHRASE, MEDCHAIN_SCRYPT_N: '1024', MEDCHAIN_LOG_LEVEL: 'warn' };

export interface CliResult { code: number; stdout: string; stderr: string }

export function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((ok) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, maxBuffer: 64 * 2 ** 20, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      ok({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; returns its --json output parsed (or stdout when not JSON). */
export async function ok<T = Record<string, unknown>>(args: string[], extraEnv: Record<string, string> = {}): Promise<T> {
  const r = await cli(args, extraEnv);
  if (r.code !== 0) throw new Error(`medchain ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
  try { return JSON.parse(r.stdout) as T; } catch { return r.stdout as T; }
}

export interface Started { child: ChildProcess; url: string; rpcUrl: string; addresses: MedChainAddresses; stderr: () => string; demo?: unknown }

export function startMedchain(args: string[], extraEnv: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start', ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((resolveStarted, fail) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"event":"started"'));
      if (line) {
        const s = JSON.parse(line);
        resolveStarted({ child, url: s.url, rpcUrl: s.rpcUrl, addresses: s.addresses, demo: s.demo, stderr: () => err });
      }
    });
    child.once('exit', (code) => fail(new Error(`medchain start exited with ${code}: ${err}`)));
  });
}

export const exited = (child: ChildProcess) => new Promise<number | null>((done) => {
  if (child.exitCode !== null) done(child.exitCode);
  else child.once('exit', (code) => done(code));
});

export async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return exited(child);
}
