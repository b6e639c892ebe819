/**
 * Pending transactions of the embedded node. Validation against state happens on arrival
 * (`admission.ts`); the pool keeps validated transactions per sender and nonce, as geth's
 * legacy pool does, in two classes:
 *
 * - pending: executable now (contiguous nonces from the sender's state nonce);
 * - queued: waiting behind a nonce gap. Bounded per sender and overall, and dropped after
 *   `queueLifetimeMs` (geth: `AccountQueue` 64, `GlobalQueue` 1024, `Lifetime` 3 h), so a gap
 *   that is never filled cannot hold memory, and never makes the node seal (see `pendingCount`).
 *
 * The sealer takes the pending ones in arrival order, nonce order per sender, with consent
 * transactions (`isPriority`) first.
 */
import type { TypedTransaction } from '@ethereumjs/tx';
import type { Address } from '@ethereumjs/util';

export interface PoolTx {
  tx: TypedTransaction;
  hash: string;
  sender: Address;
  senderHex: string;
  seq: number;
  /** Date.now() at admission: queued transactions expire from here. */
  addedAt: number;
}

export const MAX_POOL_SIZE = 100_000;
export const MAX_NONCE_AHEAD = 1_000n;
/** geth `txpool.accountqueue`: queued (gapped) transactions per sender. */
export const MAX_QUEUED_PER_SENDER = 64;
/** geth `txpool.globalqueue`: queued transactions overall. */
export const MAX_QUEUED = 1_024;
/** geth `txpool.lifetime`: how long a queued transaction waits for its gap to be filled. */
export const QUEUE_LIFETIME_MS = 3 * 3600_000;

interface SenderQueue {
  /** The sender's nonce at the head, as last seen (admission or sealing). */
  base: bigint;
  txs: Map<bigint, PoolTx>;
  /** Length of the contiguous run from `base`: this sender's pending transactions. */
  run: number;
}

export class TxPool {
  private bySender = new Map<string, SenderQueue>();
  readonly byHash = new Map<string, PoolTx>();
  private seq = 0;
  private pending = 0;

  constructor(readonly queueLifetimeMs = QUEUE_LIFETIME_MS) {}

  get size() { return this.byHash.size; }
  /** Executable transactions: the sealer only runs while there are some. */
  get pendingCount() { return this.pending; }
  /** Transactions waiting behind a nonce gap. */
  get queuedCount() { return this.byHash.size - this.pending; }

  get(sender: string, nonce: bigint): PoolTx | undefined { return this.bySender.get(sender)?.txs.get(nonce); }

  /** Queued transactions of one sender. */
  queuedOf(sender: string): number {
    const q = this.bySender.get(sender);
    return q ? q.txs.size - q.run : 0;
  }

  private recount(senderHex: string, q: SenderQueue) {
    this.pending -= q.run;
    let run = 0;
    while (q.txs.has(q.base + BigInt(run))) run++;
    q.run = run;
    this.pending += run;
    if (q.txs.size === 0) this.bySender.delete(senderHex);
  }

  /** Adds (or replaces) a transaction; `stateNonce` is the sender's nonce at the head. */
  add(tx: TypedTransaction, hash: string, sender: Address, stateNonce: bigint): PoolTx {
    const senderHex = sender.toString();
    let q = this.bySender.get(senderHex);
    if (!q) this.bySender.set(senderHex, (q = { base: stateNonce, txs: new Map(), run: 0 }));
    const old = q.txs.get(tx.nonce);
    if (old) this.byHash.delete(old.hash);
    const entry: PoolTx = { tx, hash, sender, senderHex, seq: this.seq++, addedAt: Date.now() };
    q.txs.set(tx.nonce, entry);
    this.byHash.set(hash, entry);
    this.setBase(senderHex, stateNonce);
    return entry;
  }

  remove(entry: PoolTx): void {
    this.byHash.delete(entry.hash);
    const q = this.bySender.get(entry.senderHex);
    if (q?.txs.get(entry.tx.nonce) === entry) {
      q.txs.delete(entry.tx.nonce);
      this.recount(entry.senderHex, q);
    }
  }

  /** The sender's state nonce moved (a block was sealed): drops stale entries, recounts. */
  setBase(senderHex: string, nonce: bigint): void {
    const q = this.bySender.get(senderHex);
    if (!q) return;
    q.base = nonce;
    for (const [n, entry] of q.txs) {
      if (n < nonce) { q.txs.delete(n); this.byHash.delete(entry.hash); }
    }
    this.recount(senderHex, q);
  }

  /** Next nonce of `sender` counting its contiguous pending transactions. */
  pendingNonce(sender: string, stateNonce: bigint): bigint {
    const txs = this.bySender.get(sender)?.txs;
    let n = stateNonce;
    while (txs?.has(n)) n++;
    return n;
  }

  senders(): string[] { return [...this.bySender.keys()]; }

  /** Drops queued transactions older than the lifetime; returns their hashes. */
  expire(now = Date.now()): string[] {
    if (this.queuedCount === 0) return [];
    const dropped: string[] = [];
    for (const [senderHex, q] of [...this.bySender]) {
      if (q.txs.size === q.run) continue;
      for (const [n, entry] of q.txs) {
        if (n >= q.base && n < q.base + BigInt(q.run)) continue; // pending: never expires
        if (now - entry.addedAt >= this.queueLifetimeMs) {
          q.txs.delete(n);
          this.byHash.delete(entry.hash);
          dropped.push(entry.hash);
        }
      }
      this.recount(senderHex, q);
    }
    return dropped;
  }

  /**
   * Executable transactions: consent transactions first (`isPriority`; a sender's earlier
   * nonces come along, they must run before), then arrival order, nonce order kept per sender.
   * `stateNonce` gives each sender's nonce at the head; stale entries are dropped here.
   */
  async executable(stateNonce: (sender: PoolTx['sender']) => Promise<bigint>, isPriority: (entry: PoolTx) => boolean = () => false): Promise<PoolTx[]> {
    const runs: { run: PoolTx[]; urgent: number }[] = [];
    for (const [senderHex, q] of [...this.bySender]) {
      const first = q.txs.values().next().value as PoolTx;
      this.setBase(senderHex, await stateNonce(first.sender));
      const run: PoolTx[] = [];
      let urgent = 0;
      for (let n = q.base; q.txs.has(n); n++) {
        const entry = q.txs.get(n)!;
        run.push(entry);
        if (isPriority(entry)) urgent = run.length; // the prefix up to the last consent tx
      }
      if (run.length) runs.push({ run, urgent });
    }
    if (runs.length === 1 && runs[0]!.urgent === 0) return runs[0]!.run;
    // Arrival order within each class, but each sender's slots are refilled in nonce order.
    const slots = runs.flatMap(({ run, urgent }, r) => run.map((e, i) => ({ seq: e.seq, r, urgent: i < urgent }))).sort((a, b) => (a.urgent === b.urgent ? a.seq - b.seq : a.urgent ? -1 : 1));
    const next = runs.map(() => 0);
    return slots.map(({ r }) => runs[r]!.run[next[r]!++]!);
  }
}
