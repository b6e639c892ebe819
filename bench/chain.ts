/**
 * Chain throughput and call latency: MedChain's embedded node vs EDR in the same run.
 *
 * Workload: pre-signed EIP-1559 transactions calling a contract that writes storage and emits an
 * event (`Counter.set`), from many senders; submitted in-process (EIP-1193 `request`) and over
 * HTTP (16 requests in flight). Throughput counts from the first submission until every receipt
 * is available (embedded: sealed AND synced to disk; EDR: in memory, one block per tx).
 * Then `eth_call` latency (p50/p99) of a storage read.
 *
 *   npx tsx bench/chain.ts [txs=10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
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

async function runEngine(name: string, p: Provider, url: string | undefined) {
  const contract = await deploy(p);
  const start = keys.map((_, i) => (i === 0 ? 1 : 0));
  const half = Math.floor(N / 2);
  const raws = await presign(contract, N, start);
  const inProcess = await submitInProcess(p, raws.slice(0, half));
  const overHttp = url ? await submitHttp(url, p, raws.slice(half)) : NaN;
  const latency = await callLatency(p, contract);
  console.log(`${name}: in-process ${inProcess.toFixed(0)} tx/s, http ${overHttp.toFixed(0)} tx/s, eth_call p50 ${latency.p50.toFixed(3)} ms p99 ${latency.p99.toFixed(3)} ms`);
  return { inProcess, overHttp, ...latency };
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

const rows: Row[] = [
  { metric: 'tx/s in-process (sealed + persisted)', embedded: embedded.inProcess, edr: edrResult.inProcess, ratio: embedded.inProcess / edrResult.inProcess },
  { metric: 'tx/s over HTTP (sealed + persisted)', embedded: embedded.overHttp, edr: edrResult.overHttp, ratio: embedded.overHttp / edrResult.overHttp },
  { metric: 'eth_call p50 ms', embedded: embedded.p50, edr: edrResult.p50, ratio: embedded.p50 / edrResult.p50 },
  { metric: 'eth_call p99 ms', embedded: embedded.p99, edr: edrResult.p99, ratio: embedded.p99 / edrResult.p99 },
];
report('chain', `Embedded node vs EDR: ${N} contract-call transactions (storage write + event), ${SENDERS} senders; embedded sealed ${blocks} blocks, each fsync'd; EDR in memory, automine`, rows);
await savePlot('chain', {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: 'Transactions per second (higher is better)',
  data: { values: rows.slice(0, 2).flatMap((r) => [{ metric: r.metric, engine: 'embedded', value: r.embedded }, { metric: r.metric, engine: 'edr', value: r.edr }]) },
  mark: 'bar',
  encoding: { x: { field: 'engine', type: 'nominal' }, y: { field: 'value', type: 'quantitative', title: 'tx/s' }, column: { field: 'metric', type: 'nominal' }, color: { field: 'engine', type: 'nominal' } },
});
process.exit(0);
