/**
 * Crash-consistency harness: runs the node as a child process (src/chain/main.ts), drives
 * contract-call load over HTTP from several accounts, records every receipt the node returned,
 * kills the process with SIGKILL at a random moment, restarts it on the same data dir and checks
 *  - every acknowledged transaction still has its receipt, in the same block, with its logs;
 *  - every acknowledged block is still canonical (same hash at the same height);
 *  - the head's state is complete and agrees with the logs: the contract's `total` equals the sum
 *    of all `Set` event values on chain, and each account's nonce equals its sent-and-sealed count.
 * Used by test/chain/crash.test.ts (a few rounds) and bench/chain-crash.ts (many rounds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { createPublicClient, decodeEventLog, encodeFunctionData, http, type Abi, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DEV_ACCOUNT_KEYS } from '../../src/chain/node.ts';
import { counterContract } from './fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CHAIN_ID = 1337;

export interface Acked { hash: Hex; blockNumber: bigint; blockHash: Hex; logs: number; value: bigint }

export async function startNodeProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/chain/main.ts'), '--data-dir', dataDir, '--mode', 'dev', '--port', '0', '--chain-id', String(CHAIN_ID)], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.event === 'listening') resolve(msg.httpUrl);
      } catch { /* other output */ }
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return { child, url };
}

function killNow(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function rpc(url: string, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { message: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return res.json() as Promise<{ result?: unknown; error?: { message: string } }>;
}

export interface CrashReport { rounds: number; acknowledged: number; head: bigint; checks: number }

export async function crashRounds(dataDir: string, rounds: number, log: (s: string) => void = () => {}): Promise<CrashReport> {
  const { abi, bytecode } = counterContract();
  const keys = DEV_ACCOUNT_KEYS.slice(0, 4);
  const accounts = keys.map((k) => privateKeyToAccount(k));
  const acked = new Map<Hex, Acked>();
  let contract: Hex | undefined;
  let checks = 0;
  let head = 0n;

  for (let round = 0; round <= rounds; round++) {
    const { child, url } = await startNodeProcess(dataDir);
    try {
      const pub = createPublicClient({ transport: http(url, { retryCount: 0 }), pollingInterval: 10 });
      // ---- verify everything acknowledged so far
      for (const a of acked.values()) {
        const r = await pub.getTransactionReceipt({ hash: a.hash });
        if (r.blockHash !== a.blockHash || r.blockNumber !== a.blockNumber || r.logs.length !== a.logs) {
          throw new Error(`round ${round}: acknowledged tx ${a.hash} changed after restart`);
        }
        checks++;
      }
      const latest = await pub.getBlock({ blockTag: 'latest' });
      head = latest.number;
      if (contract) {
        const events = await pub.getLogs({ address: contract, fromBlock: 0n, toBlock: latest.number });
        const sum = events.reduce((s, e) => s + (decodeEventLog({ abi: abi as Abi, ...e }).args as unknown as { value: bigint }).value, 0n);
        const total = await pub.readContract({ address: contract, abi, functionName: 'total', blockNumber: latest.number }) as bigint;
        if (total !== sum) throw new Error(`round ${round}: state total ${total} != sum of logged values ${sum}`);
        for (const a of acked.values()) if (a.blockNumber > latest.number) throw new Error('acknowledged block beyond head');
        checks++;
      }
      if (round === rounds) break;
      // ---- deploy once
      if (!contract) {
        const raw = await accounts[0]!.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', nonce: 0, gas: 1_000_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: bytecode });
        const hash = (await rpc(url, 'eth_sendRawTransaction', [raw])).result as Hex;
        contract = (await pub.waitForTransactionReceipt({ hash })).contractAddress as Hex;
      }
      // ---- load until killed at a random moment
      let stop = false;
      const killAfter = 300 + Math.floor(Math.random() * 900);
      const worker = async (i: number) => {
        const account = accounts[i]!;
        let nonce: number;
        // The kill can come before this first answer (a loaded machine): the worker then has nothing to do.
        try { nonce = Number((await rpc(url, 'eth_getTransactionCount', [account.address, 'pending'])).result); } catch { return; }
        let value = BigInt(round * 1_000_000 + i * 10_000);
        while (!stop) {
          value++;
          const data = encodeFunctionData({ abi, functionName: 'set', args: [value % 1_000_000n, `0x${'00'.repeat(32)}`] });
          const raw = await account.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to: contract!, data, nonce, gas: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
          let hash: Hex;
          try {
            const res = await rpc(url, 'eth_sendRawTransaction', [raw]);
            if (!res.result) throw new Error(res.error?.message);
            hash = res.result as Hex;
          } catch { return; }
          nonce++;
          for (;;) {
            let r: { blockHash: Hex; blockNumber: Hex; logs: unknown[] } | null;
            try { r = (await rpc(url, 'eth_getTransactionReceipt', [hash])).result as typeof r; } catch { return; }
            if (r) { acked.set(hash, { hash, blockHash: r.blockHash, blockNumber: BigInt(r.blockNumber), logs: r.logs.length, value }); break; }
            if (stop) return;
            await new Promise((res) => setTimeout(res, 5));
          }
        }
      };
      const workers = accounts.map((_, i) => worker(i));
      await new Promise((r) => setTimeout(r, killAfter));
      await killNow(child);
      stop = true;
      await Promise.all(workers);
      log(`round ${round + 1}: killed after ${killAfter} ms; ${acked.size} acknowledged so far`);
    } finally {
      await killNow(child);
    }
  }
  return { rounds, acknowledged: acked.size, head, checks };
}
