/**
 * Foundry's anvil (npm `@foundry-rs/anvil-linux-amd64`), a third EVM engine written independently
 * of ethereumjs and EDR (Rust, revm), started as a child process on a free loopback port and
 * spoken to over real HTTP JSON-RPC. Used by the scenario suite and by the consortium genesis test
 * (`--init genesis.json`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { http, type EIP1193RequestFn } from 'viem';

const require = createRequire(import.meta.url);
export const ANVIL_BIN = join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');

export interface AnvilInstance {
  url: string;
  provider: { request: EIP1193RequestFn };
  close(): Promise<void>;
}

/** Starts anvil with `args` (plus `--port 0`), waits for its "Listening on" line. */
export async function startAnvil(args: string[]): Promise<AnvilInstance> {
  const child: ChildProcess = spawn(ANVIL_BIN, [...args, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`anvil did not start in 30 s: ${output.slice(-500)}`)); }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on (\S+:\d+)/.exec(output);
      if (match) { clearTimeout(timer); resolve(`http://${match[1]}`); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`anvil exited with ${code}: ${output.slice(-500)}`)); });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const { request } = http(url, { retryCount: 0 })({});
  return {
    url,
    provider: { request },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
