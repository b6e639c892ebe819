/**
 * The EVM engines the scenario suite runs on. Each `start()` gives a fresh chain with funded
 * accounts and time control, so a scenario written once proves MedChain is engine-independent:
 * MedChain's embedded node (ethereumjs), EDR (Hardhat's Rust EVM) and anvil (Foundry, revm).
 */
import type { EIP1193RequestFn, Hex } from 'viem';
import { keccak256, toHex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEdrProvider } from '../../src/chain/edrProvider.ts';
import { createNode } from '../../src/chain/node.ts';
import { startAnvil, withUnlockedAccounts } from './anvil.ts';

export interface EngineInstance {
  provider: { request: EIP1193RequestFn };
  /** Funded accounts (private keys, 0x-hex); the provider also holds them unlocked. */
  accounts: Hex[];
  /** The next mined block gets exactly this timestamp (unix seconds). */
  setNextTimestamp(ts: number | bigint): Promise<void>;
  /** Mines one block now (with any pending transactions). */
  mine(): Promise<void>;
  close(): Promise<void>;
}

export interface Engine { name: string; start(): Promise<EngineInstance> }

export const CHAIN_ID = 31337;

/** Deterministic test keys (never use for real funds). */
export const testAccounts: Hex[] = Array.from({ length: 10 }, (_, i) => keccak256(toHex(`medchain-test-account-${i}`)));

function timeControl(provider: { request: EIP1193RequestFn }) {
  const request = provider.request as (args: { method: string; params?: unknown[] }) => Promise<unknown>;
  return {
    async setNextTimestamp(ts: number | bigint) { await request({ method: 'evm_setNextBlockTimestamp', params: [toHex(BigInt(ts))] }); },
    async mine() { await request({ method: 'evm_mine', params: [] }); },
  };
}

export const edrEngine: Engine = {
  name: 'edr',
  async start() {
    const provider = await createEdrProvider({ chainId: CHAIN_ID, accounts: testAccounts });
    return { provider, accounts: [...testAccounts], ...timeControl(provider), async close() {} };
  },
};

/** MedChain's own node in dev mode (instant sealing, time control), on a temp data dir. */
export const embeddedEngine: Engine = {
  name: 'embedded',
  async start() {
    const dataDir = mkdtempSync(join(tmpdir(), 'medchain-scenario-'));
    const node = await createNode({ dataDir, chainId: CHAIN_ID, mode: 'dev', devAccounts: testAccounts });
    const provider = { request: node.request };
    return {
      provider, accounts: [...testAccounts], ...timeControl(provider),
      async close() { await node.close(); rmSync(dataDir, { recursive: true, force: true }); },
    };
  },
};

/**
 * Foundry's anvil as a child process over HTTP, on the same hardfork as the others (Cancun), with
 * the test accounts funded by anvil_setBalance (its own dev accounts are off) and unlocked by a
 * signing wrapper (./anvil.ts). The journey sets the block producer itself (hardhat_setCoinbase,
 * which anvil also serves).
 */
export const anvilEngine: Engine = {
  name: 'anvil',
  async start() {
    const anvil = await startAnvil(['--chain-id', String(CHAIN_ID), '--hardfork', 'cancun', '--accounts', '0']);
    const request = anvil.provider.request as (args: { method: string; params?: unknown[] }) => Promise<unknown>;
    for (const key of testAccounts) await request({ method: 'anvil_setBalance', params: [privateKeyToAddress(key), toHex(10n ** 24n)] });
    const provider = withUnlockedAccounts(anvil.provider, testAccounts);
    return { provider, accounts: [...testAccounts], ...timeControl(provider), close: anvil.close };
  },
};

export const engines: Engine[] = [embeddedEngine, edrEngine, anvilEngine];
