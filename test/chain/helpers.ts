/** Shared set-up for the embedded-node tests: a dev node in a temp dir and viem clients on it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, custom, defineChain, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
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
