/**
 * The embedded node at scale: disk bytes per transaction, restart time (no replay: head pointer +
 * state root), and indexed reads (receipt by hash, eth_getLogs by address/topic) as the chain
 * grows to N contract-call transactions (each writes storage and emits one event).
 *
 *   npx tsx bench/chain-scale.ts [txs=100000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTx } from '@ethereumjs/tx';
import { bytesToHex, hexToBytes } from '@ethereumjs/util';
import { encodeFunctionData, keccak256, pad, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createNode, type MedChainNode } from '../src/chain/node.ts';
import { counterContract } from '../test/chain/fixtures.ts';
import { percentile, report, type Row } from './lib/report.ts';

const N = Number(process.argv[2] ?? 100_000);
const CHUNK = 5_000;
const SENDERS = 100;
const CHAIN_ID = 1337;
const keys: Hex[] = Array.from({ length: SENDERS }, (_, i) => keccak256(toHex(`scale-sender-${i}`)));
const { abi, bytecode } = counterContract();
const dataDir = mkdtempSync(join(tmpdir(), 'medchain-scale-'));
const alloc = Object.fromEntries(keys.map((k) => [privateKeyToAccount(k).address, { balance: 10n ** 24n }]));
const open = () => createNode({ dataDir, chainId: CHAIN_ID, mode: 'dev', genesisAlloc: alloc });
const call = (node: MedChainNode, method: string, params: unknown[] = []) => node.request({ method, params } as never) as Promise<unknown>;
const diskBytes = () => Number(execFileSync('du', ['-sb', dataDir]).toString().split('\t')[0]);

async function receipt(node: MedChainNode, hash: string) {
  for (;;) {
    const r = await call(node, 'eth_getTransactionReceipt', [hash]);
    if (r) return r as { contractAddress: Hex; blockNumber: Hex };
    await new Promise((res) => setTimeout(res, 5));
  }
}

let node = await open();
const common = node.chain.common;
// Signing with the node's Common uses its native secp256k1 (the workload generator is not measured).
const sign = (k: Hex, data: Parameters<typeof createTx>[0]) => bytesToHex(createTx(data, { common }).sign(hexToBytes(k)).serialize());
const deployHash = await call(node, 'eth_sendRawTransaction', [sign(keys[0]!, { type: 2, chainId: BigInt(CHAIN_ID), nonce: 0n, gasLimit: 1_000_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: hexToBytes(bytecode) })]);
const contract = (await receipt(node, deployHash as string)).contractAddress;
const nonces = keys.map((_, i) => (i === 0 ? 1n : 0n));
const rows: Row[] = [];
const sampleHashes: string[] = [];
const started = performance.now();
let sent = 0;
while (sent < N) {
  const raws: string[] = [];
  for (let i = 0; i < CHUNK && sent + i < N; i++) {
    const s = (sent + i) % SENDERS;
    const data = encodeFunctionData({ abi, functionName: 'set', args: [BigInt((sent + i) % 1000), toHex(sent + i, { size: 32 })] });
    raws.push(sign(keys[s]!, { type: 2, chainId: BigInt(CHAIN_ID), nonce: nonces[s]!++, gasLimit: 120_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, to: contract, data: hexToBytes(data) }));
  }
  const t0 = performance.now();
  const hashes: string[] = [];
  for (const raw of raws) hashes.push(await call(node, 'eth_sendRawTransaction', [raw]) as string);
  for (const h of hashes.slice(-SENDERS)) await receipt(node, h);
  const tps = raws.length / ((performance.now() - t0) / 1000);
  sent += raws.length;
  sampleHashes.push(...hashes.filter((_, i) => i % 50 === 0));
  if (sent % 20_000 === 0 || sent === N) {
    const bytes = diskBytes();
    rows.push({ txs: sent, logs: sent, blocks: Number(node.chain.head.header.number), disk_MB: bytes / 2 ** 20, bytes_per_tx: Math.round(bytes / sent), chunk_tx_per_s: Math.round(tps) });
    console.log(rows[rows.length - 1], `heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
  }
}
const loadSeconds = (performance.now() - started) / 1000;
await node.close();

// Restart: open the data dir again and answer the first request.
const r0 = performance.now();
node = await open();
await call(node, 'eth_blockNumber');
const restartMs = performance.now() - r0;
console.log(`restart: ${restartMs.toFixed(0)} ms`);

// Indexed reads at full size.
const receiptTimes: number[] = [];
for (const h of sampleHashes.slice(0, 500)) {
  const t = performance.now();
  await call(node, 'eth_getTransactionReceipt', [h]);
  receiptTimes.push(performance.now() - t);
}
const who = pad(privateKeyToAccount(keys[7]!).address);
const head = Number(node.chain.head.header.number);
const logQueries: [string, unknown][] = [
  ['one sender (topic1), whole chain', { address: contract, fromBlock: '0x0', toBlock: 'latest', topics: [null, who] }],
  ['one value (topic2 = 7), whole chain', { fromBlock: '0x0', toBlock: 'latest', topics: [null, null, pad(toHex(7))] }],
  ['contract address, latest block', { address: contract, fromBlock: toHex(head), toBlock: 'latest' }],
];
const logRows: Row[] = [];
for (const [name, filter] of logQueries) {
  const t = performance.now();
  const logs = await call(node, 'eth_getLogs', [filter]) as unknown[];
  logRows.push({ query: name, results: logs.length, ms: performance.now() - t });
}
await node.close();
rmSync(dataDir, { recursive: true, force: true });

report('chain-scale', `Embedded node at ${N} transactions (${N} logs): disk use, restart, indexed reads`, [
  ...rows.map((r) => ({ ...r, note: '' })),
  { txs: N, logs: N, blocks: head, disk_MB: NaN, bytes_per_tx: NaN, chunk_tx_per_s: Math.round(N / loadSeconds), note: `overall tx/s; restart ${restartMs.toFixed(0)} ms; receipt p50 ${percentile(receiptTimes, 50).toFixed(3)} ms p99 ${percentile(receiptTimes, 99).toFixed(3)} ms` },
]);
report('chain-scale-logs', `eth_getLogs at ${N} logs (address/topic index)`, logRows);
process.exit(0);
