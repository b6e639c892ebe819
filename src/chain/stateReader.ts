/**
 * State (accounts, code, storage) at a committed block, for eth_getBalance, eth_getCode,
 * eth_getStorageAt and eth_getTransactionCount. One VM, moved to each asked-for state root in
 * turn; eth_call and eth_estimateGas run elsewhere, in worker threads (callPool.ts).
 */
import type { BlockHeader } from '@ethereumjs/block';
import { equalsBytes } from '@ethereumjs/util';
import type { VM } from '@ethereumjs/vm';
import { Lock } from './lock.ts';
import type { Bytes } from './types.ts';

export class StateReader {
  private readonly lock = new Lock();
  private root: Bytes | undefined;

  constructor(private readonly vm: VM, root: Bytes) {
    this.root = root;
  }

  async withState<T>(header: BlockHeader, fn: (vm: VM) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      if (!this.root || !equalsBytes(this.root, header.stateRoot)) {
        await this.vm.stateManager.setStateRoot(header.stateRoot);
        this.root = header.stateRoot;
      }
      return fn(this.vm);
    });
  }

  /** Resolves once the read under way (if any) is done. */
  async close() { await this.lock.run(async () => {}); }
}
