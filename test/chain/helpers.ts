/** Shared set-up for the embedded-node tests: a dev node in a temp dir and viem clients on it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, custom, defineChain, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, privateKeyToAddress } from 'viem/accounts';
import { createNode, type MedChainNode, type NodeOptions } from '../../src/chain/node.ts';

export const CHAIN_ID = 1337;
export const medchainDev = defineChain({
  id: CHAIN_ID, name: 'MedChain dev', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1:8545'] } },
});

export function tempDir(prefix = 'medchain-node-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function devNode(options: Partial<NodeOptions> = {}, dir = tempDir()) {
  const node = await createNode({ dataDir: dir.dir, chainId: CHAIN_ID, mode: 'dev', ...options });
  return { node, dir, async close() { await node.close(); dir.remove(); } };
}

export function clients(node: Pick<MedChainNode, 'request'>, key: Hex) {
  const account = privateKeyToAccount(key);
  const transport = custom(node);
  return {
    account,
    pub: createPublicClient({ chain: medchainDev, transport, pollingInterval: 10 }),
    wallet: createWalletClient({ chain: medchainDev, account, transport }),
  };
}

export const tag = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

/** One JSON-RPC call over HTTP, answered as the node sent it (result or error). */
export async function rpc(url: string, method: string, params: unknown[] = []) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

/** Where the signed transfers go. */
export const sink = privateKeyToAddress(generatePrivateKey());
/** A signed zero-fee transfer from `key` at `nonce` (gas covers the calldata unless given). */
export function signed(key: Hex, nonce: number, extra: { gas?: bigint; data?: Hex } = {}) {
  return privateKeyToAccount(key).signTransaction({
    chainId: CHAIN_ID, type: 'eip1559', nonce, gas: extra.gas ?? 21_000n + (extra.data ? 16n * BigInt((extra.data.length - 2) / 2) : 0n),
    maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, to: sink, value: 0n, data: extra.data,
  });
}
