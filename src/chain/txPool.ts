/**
 * Pending transactions of the embedded node. Validation against state happens in the node
 * (`node.ts`) on arrival; the pool keeps validated transactions per sender and nonce, hands the
 * sealer the executable ones (contiguous nonces from the account's state nonce) in arrival order,
 * and forgets them once they are sealed or became invalid.
 */
import type { TypedTransaction } from '@ethereumjs/tx';
import type { Address } from '@ethereumjs/util';

export interface PoolTx {
  tx: TypedTransaction;
  hash: string;
  sender: Address;
  senderHex: string;
  seq: number;
}

export const MAX_POOL_SIZE = 100_000;
export const MAX_NONCE_AHEAD = 1_000n;

export class TxPool {
  private bySender = new Map<string, Map<bigint, PoolTx>>();
  readonly byHash = new Map<string, PoolTx>();
  private seq = 0;

  get size() { return this.byHash.size; }

  get(sender: string, nonce: bigint): PoolTx | undefined { return this.bySender.get(sender)?.get(nonce); }

  add(tx: TypedTransaction, hash: string, sender: Address): PoolTx {
    const senderHex = sender.toString();
    let queue = this.bySender.get(senderHex);
    if (!queue) this.bySender.set(senderHex, (queue = new Map()));
    const old = queue.get(tx.nonce);
    if (old) this.byHash.delete(old.hash);
    const entry: PoolTx = { tx, hash, sender, senderHex, seq: this.seq++ };
    queue.set(tx.nonce, entry);
    this.byHash.set(hash, entry);
    return entry;
  }

  remove(entry: PoolTx): void {
    this.byHash.delete(entry.hash);
    const queue = this.bySender.get(entry.senderHex);
    if (queue?.get(entry.tx.nonce) === entry) {
      queue.delete(entry.tx.nonce);
      if (queue.size === 0) this.bySender.delete(entry.senderHex);
    }
  }

  /** Next nonce of `sender` counting its contiguous pending transactions. */
  pendingNonce(sender: string, stateNonce: bigint): bigint {
    const queue = this.bySender.get(sender);
    let n = stateNonce;
    while (queue?.has(n)) n++;
    return n;
  }

  senders(): string[] { return [...this.bySender.keys()]; }

  /**
   * Executable transactions in arrival order, nonce order kept per sender. `stateNonce` gives
   * each sender's nonce at the head; stale entries (nonce below it) are dropped here.
   */
  async executable(stateNonce: (sender: PoolTx['sender']) => Promise<bigint>): Promise<PoolTx[]> {
    const runs: PoolTx[][] = [];
    for (const [senderHex, queue] of this.bySender) {
      const first = queue.values().next().value as PoolTx;
      const nonce = await stateNonce(first.sender);
      for (const [n, entry] of queue) if (n < nonce) this.remove(entry);
      const run: PoolTx[] = [];
      for (let n = nonce; this.bySender.get(senderHex)?.has(n); n++) run.push(queue.get(n)!);
      if (run.length) runs.push(run);
    }
    if (runs.length === 1) return runs[0]!;
    // Arrival order overall, but each sender's slots are refilled in nonce order.
    const slots = runs.flatMap((run, r) => run.map((e) => ({ seq: e.seq, r }))).sort((a, b) => a.seq - b.seq);
    const next = runs.map(() => 0);
    return slots.map(({ r }) => runs[r]![next[r]!++]!);
  }
}
