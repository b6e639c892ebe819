/**
 * The engine's VMs and state managers, all over the one state trie in the store: the sealing VM
 * (writes) and the VM that reads state at a block (eth_getBalance and friends).
 */
import type { Common } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { Caches } from '@ethereumjs/statemanager';
import type { Address } from '@ethereumjs/util';
import { createVM, type VM } from '@ethereumjs/vm';
import { CachedMerkleStateManager } from './stateManager.ts';
import type { ChainStore } from './store.ts';
import type { Bytes } from './types.ts';

export function newStateManager(store: ChainStore, common: Common, root: Bytes | undefined, caches: boolean) {
  const trie = new MerklePatriciaTrie({
    db: store.trieDb(), useKeyHashing: true, valueEncoding: 'view', cacheSize: 50_000, common,
    ...(root ? { root } : {}),
  });
  return new CachedMerkleStateManager({ trie, common, ...(caches ? { caches: new Caches() } : {}) });
}

export interface VmSetup {
  store: ChainStore;
  common: Common;
  signer: Address;
  /** BLOCKHASH: the hash of a committed block. */
  blockHash(number: bigint): Promise<Bytes>;
}

export async function newVm({ store, common, signer, blockHash }: VmSetup, root: Bytes, caches: boolean): Promise<VM> {
  const blockchain = {
    async getBlock(n: number) { const hash = await blockHash(BigInt(n)); return { hash: () => hash }; },
    async putBlock() {},
    shallowCopy() { return blockchain; },
  };
  return createVM({
    common,
    stateManager: newStateManager(store, common, root, caches),
    blockchain,
    // COINBASE in a Clique chain is the block's signer, as in geth.
    evmOpts: { cliqueSigner: () => signer },
  });
}
