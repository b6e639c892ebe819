/** The genesis block of a new chain and the store writes that create the chain (state, config, permissioning). */
import { createBlock, type Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import {
  KECCAK256_RLP, bytesToHex, createAccount, createAddressFromString, hexToBytes, setLengthLeft, type Address,
} from '@ethereumjs/util';
import { blockOps } from './blockWrites.ts';
import { cliqueExtraData } from './clique.ts';
import { permissioningOps, type Permissioning } from './permissioning.ts';
import type { ChainStore, StoreOp } from './store.ts';
import type { Hex } from './types.ts';
import { newStateManager } from './vms.ts';

export interface GenesisAccount { balance?: bigint | Hex; nonce?: bigint | Hex; code?: Hex; storage?: Record<Hex, Hex> }

export interface GenesisSpec {
  chainId: number;
  signer: Address;
  gasLimit: bigint;
  /** Unix seconds. */
  timestamp: number;
  alloc: Record<string, GenesisAccount>;
  permissioning: Permissioning;
}

/** Writes the genesis state into the trie and returns the genesis block with the writes that commit it. */
export async function createGenesis(store: ChainStore, common: Common, spec: GenesisSpec): Promise<{ genesis: Block; ops: StoreOp[] }> {
  const sm = newStateManager(store, common, undefined, false);
  await sm.checkpoint();
  for (const [address, account] of Object.entries(spec.alloc)) {
    const addr = createAddressFromString(address);
    await sm.putAccount(addr, createAccount({ balance: BigInt(account.balance ?? 0), nonce: BigInt(account.nonce ?? 0) }));
    if (account.code) await sm.putCode(addr, hexToBytes(account.code));
    for (const [slot, value] of Object.entries(account.storage ?? {})) {
      await sm.putStorage(addr, setLengthLeft(hexToBytes(slot as Hex), 32), hexToBytes(value as Hex));
    }
  }
  await sm.commit();
  const stateRoot = await sm.getStateRoot();
  const genesis = createBlock({
    header: {
      number: 0n, stateRoot, gasLimit: spec.gasLimit, difficulty: 1n,
      timestamp: BigInt(spec.timestamp),
      // EIP-225: the genesis extraData lists the initial signers between vanity and seal.
      extraData: cliqueExtraData(0n, spec.signer),
      baseFeePerGas: 0n, excessBlobGas: 0n, blobGasUsed: 0n, parentBeaconBlockRoot: new Uint8Array(32),
      withdrawalsRoot: KECCAK256_RLP,
    },
    withdrawals: [],
  }, { common });
  const ops: StoreOp[] = [
    ...blockOps(store, { block: genesis, receipts: [], hashes: [] }),
    store.configOp({ chainId: spec.chainId, signer: spec.signer.toString(), genesisHash: bytesToHex(genesis.hash()), createdAt: new Date().toISOString() }),
    ...permissioningOps(spec.permissioning, spec.signer),
  ];
  return { genesis, ops };
}
