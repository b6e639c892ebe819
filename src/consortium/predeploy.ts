/**
 * The MedChain contracts as genesis accounts: deployed with the project's own deploy code
 * (`deployMedChain`) on a scratch embedded node with the consortium's chain id, wired as a
 * consortium needs (every hospital's admin, operators as access-log anchorers, the hospitals'
 * validators as Incentives' initial set, the consortium thresholds), then each contract account's
 * code, nonce and storage is dumped into a Besu/geth `alloc`.
 *
 * Why a replay: a state trie stores storage under keccak256(slot), and a genesis `alloc` needs the
 * slots themselves. ethereumjs' `dumpStorage` only returns the hashed keys, so every sealed
 * transaction is run again on a copy of its parent state with an EVM step hook that records the
 * slot of each SSTORE; the values are then read at the head. The dump is checked by loading it
 * into a second node and comparing every account's storage root: a missed slot fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newAccountKey } from '../keys/keyRing.ts';
import { runTx } from '@ethereumjs/vm';
import { createAddressFromString } from '@ethereumjs/util';
import {
  bytesToHex, createPublicClient, createWalletClient, custom, defineChain, encodeFunctionData, getAddress, pad, toHex,
  type Address, type Hex, type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createNode, type MedChainNode } from '../chain/node.ts';
import { deployMedChain, IdentityAbi, medChainContracts, type MedChainAddresses } from '../sdk/contracts.ts';

/** One genesis account, as Besu and geth read it (hex strings; storage slot → 32-byte value). */
export interface AllocAccount {
  balance: Hex;
  nonce: Hex;
  code: Hex;
  storage: Record<Hex, Hex>;
}

export interface PredeployOptions {
  chainId: number;
  /** Each hospital's governance admin. */
  admins: Address[];
  /** Each hospital's gateway operator: registered as an access-log anchorer. */
  operators: Address[];
  /** The QBFT validators Incentives.getValidators() returns from genesis. */
  validators: Address[];
  accreditationThreshold: number;
  adminThreshold: number;
  /**
   * Approves governance actions as one of `admins` (at init all admin keys are at hand); used to
   * remove the throwaway deployer from the admins once the thresholds are above one.
   */
  adminKeys: Hex[];
}

export interface Predeployment {
  addresses: MedChainAddresses;
  alloc: Record<Address, AllocAccount>;
}

/** The deployment ended in a state that is not what the consortium asked for. */
export class PredeployError extends Error {
  constructor(message: string) { super(message); this.name = 'PredeployError'; }
}

export async function predeployMedChain(options: PredeployOptions): Promise<Predeployment> {
  if (options.adminKeys.length < options.adminThreshold) throw new PredeployError(`need ${options.adminThreshold} admin keys to finish governance, got ${options.adminKeys.length}`);
  const dir = mkdtempSync(join(tmpdir(), 'medchain-predeploy-'));
  // A throwaway deployer: its key is never stored, so nobody can later send from it; it leaves
  // the admins before the dump.
  const deployerKey = newAccountKey();
  const node = await createNode({ dataDir: join(dir, 'scratch'), chainId: options.chainId, mode: 'dev', devAccounts: [deployerKey] });
  try {
    const chain = defineChain({ id: options.chainId, name: 'predeploy', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } });
    const transport = custom({ request: node.request });
    const client = createPublicClient({ chain, transport }) as PublicClient;
    const walletOf = (key: Hex) => createWalletClient({ account: privateKeyToAccount(key), chain, transport });
    const deployer = walletOf(deployerKey);
    const addresses = await deployMedChain(deployer, client, {
      admins: options.admins, genesisValidators: options.validators,
      accreditationThreshold: BigInt(options.accreditationThreshold), adminThreshold: BigInt(options.adminThreshold),
    });
    const confirm = async (hash: Hex, what: string) => {
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
      if (receipt.status !== 'success') throw new PredeployError(`${what} reverted (transaction ${hash})`);
    };
    for (const operator of options.operators) {
      await confirm(await medChainContracts(deployer, addresses).accessLogAnchor.write.setAnchorer([operator, true]), `registering operator ${operator} as anchorer`);
    }
    const removeDeployer = encodeFunctionData({ abi: IdentityAbi, functionName: 'removeAdmin', args: [deployer.account.address] });
    const approvers = [deployerKey, ...options.adminKeys.slice(0, options.adminThreshold - 1)];
    for (const key of approvers) {
      await confirm(await medChainContracts(walletOf(key), addresses).identity.write.approve([addresses.identity, removeDeployer]), 'removing the deployer from the admins');
    }
    const read = medChainContracts(client, addresses);
    if (await read.identity.read.isAdmin([deployer.account.address])) throw new PredeployError('the deployer is still an admin');

    const alloc = await dumpContracts(node, client, Object.values(addresses));
    await checkDump(node, alloc, options.chainId, join(dir, 'check'));
    return { addresses, alloc };
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replays every block on its parent state and records, per contract, each slot an SSTORE wrote. */
async function writtenSlots(node: MedChainNode): Promise<Map<string, Set<bigint>>> {
  const slots = new Map<string, Set<bigint>>();
  const head = node.chain.head.header.number;
  for (let n = 1n; n <= head; n++) {
    const parent = (await node.chain.blockByNumber(n - 1n))!;
    const block = (await node.chain.blockByNumber(n))!.block();
    await node.chain.withState(parent.header, async (vm) => {
      const copy = await vm.shallowCopy(); // the call VM's own state stays at the parent
      copy.evm.events!.on('step', (step) => {
        if (step.opcode.name !== 'SSTORE') return;
        const address = step.address.toString();
        const set = slots.get(address) ?? new Set<bigint>();
        set.add(step.stack[step.stack.length - 1]!);
        slots.set(address, set);
      });
      let gasUsed = 0n;
      for (const tx of block.transactions) {
        const result = await runTx(copy, { tx, block, blockGasUsed: gasUsed, skipHardForkValidation: true });
        gasUsed += result.totalGasSpent;
      }
    });
  }
  return slots;
}

async function dumpContracts(node: MedChainNode, client: PublicClient, contracts: Address[]): Promise<Record<Address, AllocAccount>> {
  const slots = await writtenSlots(node);
  const wanted = new Set(contracts.map((a) => a.toLowerCase()));
  for (const written of slots.keys()) {
    if (!wanted.has(written.toLowerCase())) throw new PredeployError(`the deployment wrote storage of ${written}, which is not a MedChain contract`);
  }
  const alloc: Record<Address, AllocAccount> = {};
  for (const address of contracts) {
    const storage: Record<Hex, Hex> = {};
    const keys = [...(slots.get(address.toLowerCase()) ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const slot of keys) {
      const value = await client.getStorageAt({ address, slot: pad(toHex(slot)) });
      if (value && BigInt(value) !== 0n) storage[pad(toHex(slot))] = pad(value);
    }
    const code = await client.getCode({ address });
    if (!code || code === '0x') throw new PredeployError(`${address} has no code after deployment`);
    alloc[getAddress(address)] = {
      balance: toHex(await client.getBalance({ address })),
      nonce: toHex(await client.getTransactionCount({ address })),
      code,
      storage,
    };
  }
  return alloc;
}

/** Loads the alloc into a fresh node and compares each account's storage root and code hash with the source. */
async function checkDump(source: MedChainNode, alloc: Record<Address, AllocAccount>, chainId: number, dataDir: string): Promise<void> {
  const genesisAlloc = Object.fromEntries(Object.entries(alloc).map(([a, acc]) => [a.toLowerCase(), acc]));
  const copy = await createNode({ dataDir, chainId, mode: 'dev', devAccounts: [], genesisAlloc });
  try {
    for (const address of Object.keys(alloc)) {
      const at = createAddressFromString(address.toLowerCase());
      const want = await source.chain.withState(source.chain.head.header, async (vm) => vm.stateManager.getAccount(at));
      const got = await copy.chain.withState(copy.chain.head.header, async (vm) => vm.stateManager.getAccount(at));
      if (!want || !got || bytesToHex(want.storageRoot) !== bytesToHex(got.storageRoot) || bytesToHex(want.codeHash) !== bytesToHex(got.codeHash) || want.nonce !== got.nonce) {
        throw new PredeployError(`the genesis dump of ${address} does not reproduce its state (storage root or code differs)`);
      }
    }
  } finally {
    await copy.close();
  }
}
