/**
 * Chain throughput and call latency: MedChain's embedded node vs EDR vs anvil (Foundry's node,
 * npm @foundry-rs/anvil-linux-amd64, started by this bench and killed at the end) in the same run.
 *
 * Workload: pre-signed EIP-1559 transactions calling a contract that writes storage and emits an
 * event (`Counter.set`), from many senders; submitted in-process (EIP-1193 `request`) and over
 * HTTP (16 requests in flight). Throughput counts from the first submission until every receipt
 * is available (embedded: sealed AND synced to disk; EDR and anvil: in memory, one block per tx).
 * anvil is a separate process, so it has no in-process row. Then `eth_call` latency (p50/p99) of
 * a storage read, in process and over HTTP (the same node:http client for all three).
 *
 *   npx tsx bench/chain.ts [txs=10000]   (the load average is printed in the title: the cores are shared)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFunctionData, keccak256, toHex, type EIP1193RequestFn, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createEdrProvider } from '../src/chain/edrProvider.ts';
import { createNode } from '../src/chain/node.ts';
import { counterContract } from '../test/chain/fixtures.ts';
import { percentile, report, savePlot, type Row } from './lib/report.ts';

const N = Number(process.argv[2] ?? 10000);
const SENDERS = 50;
const CHAIN_ID = 1337;
const keys: Hex[] = Array.from({ length: SENDERS }, (_, i) => keccak256(toHex(`bench-sender-${i}`)));
const { abi, bytecode } = counterContract();

type Provider = { request: EIP1193RequestFn };
const call = (p: Provider, method: string, params: unknown[] = []) => p.request({ method, params } as never) as Promise<unknown>;

async function deploy(p: Provider): Promise<Hex> {
  const raw = await privateKeyToAccount(keys[0]!).signTransaction({ chainId: CHAIN_ID, type: 'eip1559', nonce: 0, gas: 1_000_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: bytecode });
  const hash = await call(p, 'eth_sendRawTransaction', [raw]) as Hex;
  for (;;) {
    const r = await call(p, 'eth_getTransactionReceipt', [hash]) as { contractAddress: Hex } | null;
    if (r) return r.contractAddress;
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** N signed transactions, nonces from `startNonce[sender]`, round-robin over senders. */
async function presign(to: Hex, n: number, startNonce: number[]): Promise<Hex[]> {
  const accounts = keys.map((k) => privateKeyToAccount(k));
  const out: Hex[] = [];
  const nonces = [...startNonce];
  for (let i = 0; i < n; i++) {
    const s = i % SENDERS;
    const data = encodeFunctionData({ abi, functionName: 'set', args: [BigInt(i % 1000), toHex(i, { size: 32 })] });
    out.push(await accounts[s]!.signTransaction({ chainId: CHAIN_ID, type: 'eip1559', to, data, nonce: nonces[s]!++, gas: 120_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }));
  }
  return out;
}

async function waitAll(p: Provider, hashes: Hex[]) {
  // The last transaction of each sender is sealed last among that sender's; wait for all.
  for (let i = hashes.length - 1; i >= 0; i--) {
    for (;;) {
      if (await call(p, 'eth_getTransactionReceipt', [hashes[i]])) break;
      await new Promise((res) => setTimeout(res, 2));
    }
    if (i < hashes.length - SENDERS) break;
  }
  for (const h of hashes) if (!(await call(p, 'eth_getTransactionReceipt', [h]))) throw new Error(`missing receipt ${h}`);
}

async function submitInProcess(p: Provider, raws: Hex[]): Promise<number> {
  const t0 = performance.now();
  const hashes: Hex[] = [];
  for (const raw of raws) hashes.push(await call(p, 'eth_sendRawTransaction', [raw]) as Hex);
  await waitAll(p, hashes);
  return raws.length / ((performance.now() - t0) / 1000);
}

// node:http with a keep-alive agent: undici's fetch costs more CPU per request than the node
// answering it, and client and server share the same two cores here.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
function rpcHttp(url: string, method: string, params: unknown[]): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = JSON.parse(Buffer.concat(chunks).toString()) as { result?: unknown; error?: { message: string } };
        if (answer.error) reject(new Error(answer.error.message)); else resolve(answer.result);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function submitHttp(url: string, p: Provider, raws: Hex[]): Promise<number> {
  const t0 = performance.now();
  const hashes: Hex[] = new Array(raws.length);
  let next = 0;
  // Per-sender order must hold (a nonce gap just waits in the pool), so in-flight order is fine.
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < raws.length) {
      const i = next++;
      hashes[i] = await rpcHttp(url, 'eth_sendRawTransaction', [raws[i]]) as Hex;
    }
  }));
  await waitAll(p, hashes);
  return raws.length / ((performance.now() - t0) / 1000);
}

async function callLatency(p: Provider, to: Hex, n = 2000) {
  const data = encodeFunctionData({ abi, functionName: 'valueOf', args: [privateKeyToAccount(keys[1]!).address] });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(p, 'eth_call', [{ to, data }, 'latest']);
    times.push(performance.now() - t);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** `inProcess: false`: the engine is another process (anvil); `p` already talks HTTP. */
async function runEngine(name: string, p: Provider, url: string, inProcessAvailable = true) {
  const contract = await deploy(p);
  const start = keys.map((_, i) => (i === 0 ? 1 : 0));
  const half = Math.floor(N / 2);
  const raws = await presign(contract, N, start);
  const inProcess = inProcessAvailable ? await submitInProcess(p, raws.slice(0, half)) : NaN;
  // Without an in-process path the first half goes over HTTP too (the nonces must be used), untimed.
  if (!inProcessAvailable) await submitHttp(url, p, raws.slice(0, half));
  const overHttp = await submitHttp(url, p, raws.slice(half));
  const latency = inProcessAvailable ? await callLatency(p, contract) : { p50: NaN, p99: NaN };
  const httpLatency = await callLatency(httpProvider(url), contract, 1000);
  console.log(`${name}: in-process ${inProcess.toFixed(0)} tx/s, http ${overHttp.toFixed(0)} tx/s, eth_call p50 ${latency.p50.toFixed(3)} ms p99 ${latency.p99.toFixed(3)} ms, over HTTP p50 ${httpLatency.p50.toFixed(3)} ms p99 ${httpLatency.p99.toFixed(3)} ms`);
  return { inProcess, overHttp, ...latency, httpP50: httpLatency.p50, httpP99: httpLatency.p99 };
}

function httpProvider(url: string): Provider {
  return { request: (async ({ method, params }: { method: string; params?: unknown[] }) => rpcHttp(url, method, params ?? [])) as EIP1193RequestFn };
}

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** anvil from node_modules on a free port, zero base fee (the workload's transactions pay no gas price), our senders funded. */
async function startAnvil() {
  const bin = join(import.meta.dirname, '..', 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil');
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--host', '127.0.0.1', '--chain-id', String(CHAIN_ID), '--base-fee', '0', '--gas-price', '0', '--accounts', '0', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const p = httpProvider(url);
  for (let i = 0; ; i++) {
    try { await call(p, 'eth_chainId'); break; } catch (e) {
      if (i > 200 || child.exitCode !== null) throw new Error(`anvil did not start: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  for (const k of keys) await call(p, 'anvil_setBalance', [privateKeyToAccount(k).address, toHex(10n ** 24n)]);
  const exited = new Promise((r) => child.once('exit', r));
  return { url, p, version: String(await call(p, 'web3_clientVersion')), kill: async () => { child.kill('SIGKILL'); await exited; } };
}

const dataDir = mkdtempSync(join(tmpdir(), 'medchain-bench-'));
const alloc = Object.fromEntries(keys.map((k) => [privateKeyToAccount(k).address, { balance: 10n ** 24n }]));
const node = await createNode({ dataDir, chainId: CHAIN_ID, mode: 'dev', genesisAlloc: alloc });
const server = await node.listen({ port: 0 });
const embedded = await runEngine('embedded', node, server.httpUrl);
const blocks = Number(node.chain.head.header.number);
await server.close();
await node.close();
rmSync(dataDir, { recursive: true, force: true });

// EDR over HTTP: EDR is in-process only, so it is served by the same kind of Node HTTP wrapper.
const edr = await createEdrProvider({ chainId: CHAIN_ID, accounts: keys });
const { createServer } = await import('node:http');
const edrHttp = createServer({ keepAliveTimeout: 30_000 }, async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const msg = JSON.parse(Buffer.concat(chunks).toString());
  try {
    const result = await edr.request(msg);
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
  } catch (e) {
    res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: (e as Error).message } }));
  }
});
await new Promise<void>((r) => edrHttp.listen(0, '127.0.0.1', () => r()));
const edrUrl = `http://127.0.0.1:${(edrHttp.address() as { port: number }).port}`;
const edrResult = await runEngine('edr', edr, edrUrl);
edrHttp.close();

const anvil = await startAnvil();
let anvilResult: Awaited<ReturnType<typeof runEngine>>;
try {
  anvilResult = await runEngine('anvil', anvil.p, anvil.url, false);
} finally {
  await anvil.kill();
}

const fmt = (v: number) => (Number.isNaN(v) ? 'n/a (separate process)' : v);
const rows: Row[] = ([
  ['tx/s in-process (sealed + persisted)', 'inProcess'],
  ['tx/s over HTTP (sealed + persisted)', 'overHttp'],
  ['eth_call p50 ms (in process)', 'p50'],
  ['eth_call p99 ms (in process)', 'p99'],
  ['eth_call p50 ms (over HTTP)', 'httpP50'],
  ['eth_call p99 ms (over HTTP)', 'httpP99'],
] as const).map(([metric, k]) => ({
  metric, embedded: embedded[k], edr: edrResult[k], anvil: fmt(anvilResult[k]), 'embedded / edr': embedded[k] / edrResult[k], 'embedded / anvil': Number.isNaN(anvilResult[k]) ? '-' : embedded[k] / anvilResult[k],
}));
report('chain', `Embedded node vs EDR vs anvil (${anvil.version}): ${N} contract-call transactions (storage write + event), ${SENDERS} senders; embedded sealed ${blocks} blocks, each fsync'd; EDR and anvil in memory, automine; load ${loadavg()[0]!.toFixed(2)}`, rows);
await savePlot('chain', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Transactions per second (higher is better)',
  data: { values: rows.slice(0, 2).flatMap((r) => ['embedded', 'edr', 'anvil'].filter((e) => typeof r[e] === 'number').map((e) => ({ metric: r.metric, engine: e, value: r[e] }))) },
  mark: 'bar',
  encoding: { x: { field: 'engine', type: 'nominal' }, y: { field: 'value', type: 'quantitative', title: 'tx/s' }, column: { field: 'metric', type: 'nominal' }, color: { field: 'engine', type: 'nominal' } },
});
process.exit(0);
