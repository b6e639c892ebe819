/**
 * Proof-of-authority sealing: when executable transactions wait, the one authority builds the
 * next block (Clique header format, EIP-225), commits it durably with its state in one batch
 * (store.ts) and makes it the head. Consent transactions (`priorityTargets`) go first; a block
 * takes no more transactions once its execution time budget is spent.
 */
import { createBlock, type Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import type { TypedTransaction } from '@ethereumjs/tx';
import { Account, Address } from '@ethereumjs/util';
import { buildBlock, encodeReceipt, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import { blockOps } from './blockWrites.ts';
import type { SealedBlock } from './blockView.ts';
import { cliqueExtraData } from './clique.ts';
import { serverError } from './errors.ts';
import { Lock } from './lock.ts';
import { orderedTrieRoot } from './orderedTrie.ts';
import type { StoredReceipt } from './receipts.ts';
import type { ChainStore } from './store.ts';
import type { PoolTx, TxPool } from './txPool.ts';
import type { Bytes } from './types.ts';
import { ChainClock } from './chainClock.ts';

const ZERO_ADDRESS = new Address(new Uint8Array(20));

export interface SealerSetup {
  store: ChainStore;
  common: Common;
  pool: TxPool;
  signer: Address;
  authorityKey: Bytes;
  mode: 'dev' | 'production';
  blockGasLimit: bigint;
  blockTimeBudgetMs: number;
  /** A VM over the state trie at `root` (see vms.ts). */
  newVm(root: Bytes): Promise<VM>;
  /** A block was committed and is the head. */
  sealed(sealed: SealedBlock): void;
  /** A pooled transaction became invalid and was dropped. */
  dropped(hash: string, reason: string): void;
  /** Sealing failed (it is retried with a growing pause). */
  failed(error: Error): void;
}

/** BlockBuilder fields that are private in the typings (see sealBlock). */
interface BuilderInternals {
  headerData: Record<string, unknown>;
  checkpointed: boolean;
  gasUsed: bigint;
  transactions: TypedTransaction[];
  transactionResults: RunTxResult[];
  transactionsTrie: () => Promise<Uint8Array>;
  receiptTrie: () => Promise<Uint8Array>;
}

export class Sealer {
  private readonly lock = new Lock();
  private timer: NodeJS.Timeout | undefined;
  private sealing = false;
  private lastSealAt = Date.now();
  private failures = 0;
  private closed = false;
  private priorityTargets = new Set<string>();
  /** Block timestamps (dev-mode time control moves it). */
  readonly clock = new ChainClock();

  private constructor(private readonly setup: SealerSetup, public head: Block, private vm: VM, public blockPeriodMs: number) {}

  /** `blockPeriodMs`: minimum time between two blocks while transactions wait. */
  static async start(setup: SealerSetup, head: Block, blockPeriodMs: number): Promise<Sealer> {
    return new Sealer(setup, head, await setup.newVm(head.header.stateRoot), blockPeriodMs);
  }

  /** Transactions to these contracts go first into every block (see ChainOptions). */
  setPriorityTargets(addresses: string[]) {
    this.priorityTargets = new Set(addresses.map((a) => a.toLowerCase()));
  }
  isPriority(entry: PoolTx): boolean {
    return entry.tx.to !== undefined && this.priorityTargets.has(entry.tx.to.toString());
  }

  /** An account at the head, as the next block will start from. */
  async account(address: Address): Promise<Account> {
    return (await this.vm.stateManager.getAccount(address)) ?? new Account();
  }

  /** Seals a block soon if transactions wait. */
  schedule() {
    const { pool, mode } = this.setup;
    const { blockPeriodMs } = this;
    // Only executable transactions make a block: a nonce gap alone never does (no empty blocks).
    if (this.closed || this.sealing || this.timer || pool.pendingCount === 0) return;
    // After a failed seal (e.g. disk full) retry with a growing pause instead of spinning.
    let delay = this.lastSealAt + blockPeriodMs + Math.min(this.failures * 500, 10_000) - Date.now();
    if (mode === 'production') {
      // Clique timestamps are whole seconds and strictly increasing: wait for the next second.
      delay = Math.max(delay, Number(this.head.header.timestamp + 1n) * 1000 - Date.now());
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sealing = true;
      this.lock.run(() => this.sealBlock()).then(() => { this.failures = 0; }, (e) => {
        this.failures++;
        this.lastSealAt = Date.now();
        this.setup.failed(e);
      }).finally(() => {
        this.sealing = false;
        this.schedule();
      });
    }, Math.max(0, delay));
  }

  /** Seals one block now with the executable pending transactions (dev: `evm_mine`). */
  mine(timestamp?: bigint): Promise<SealedBlock> {
    return this.lock.run(() => this.sealBlock(timestamp));
  }

  nextBlockTimestamp(): bigint {
    return this.clock.nextBlockTimestamp(this.head.header.timestamp);
  }

  /** A header for calls that run "in the pending block". */
  pendingBlock(): Block {
    const number = this.head.header.number + 1n;
    return createBlock({
      header: {
        parentHash: this.head.hash(), number, timestamp: this.nextBlockTimestamp(), gasLimit: this.setup.blockGasLimit,
        difficulty: 2n, extraData: cliqueExtraData(number, this.setup.signer), baseFeePerGas: 0n, excessBlobGas: 0n,
        parentBeaconBlockRoot: new Uint8Array(32), stateRoot: this.head.header.stateRoot,
      },
    }, { common: this.setup.common });
  }

  private async sealBlock(timestamp?: bigint): Promise<SealedBlock> {
    if (this.closed) throw serverError('node is shutting down');
    const { store, common, pool, blockGasLimit } = this.setup;
    const parent = this.head;
    const number = parent.header.number + 1n;
    const ts = timestamp ?? this.nextBlockTimestamp();
    const vm = this.vm;
    const candidates = await pool.executable(async (a) => (await this.account(a)).nonce, (e) => this.isPriority(e));
    const builder = await buildBlock(vm, {
      parentBlock: parent,
      headerData: {
        number, timestamp: ts, gasLimit: blockGasLimit,
        difficulty: 2n, // EIP-225: in-turn signer (a single authority is always in turn)
        coinbase: ZERO_ADDRESS.bytes, nonce: new Uint8Array(8), extraData: cliqueExtraData(number, this.setup.signer),
        baseFeePerGas: 0n, // private network: zero base fee (see docs/chain.md)
        parentBeaconBlockRoot: new Uint8Array(32),
      },
      withdrawals: [],
      blockOpts: { cliqueSigner: this.setup.authorityKey, putBlockIntoBlockchain: false, common },
    });
    const included: PoolTx[] = [];
    const skipSender = new Set<string>();
    // The stock BlockBuilder.addTransaction rebuilds a Block holding ALL transactions so far
    // before each run (O(n^2) re-decoding of transactions: 60% of sealing time at 100+ tx per
    // block). We run each transaction with runTx against one context block instead and record the
    // results in the builder, whose build() then computes the tries, bloom, state root and seal.
    const b = builder as unknown as BuilderInternals;
    const context = createBlock({ header: { ...b.headerData, gasUsed: 0n } }, { common });
    try {
      if (!b.checkpointed) {
        await vm.evm.journal.checkpoint();
        b.checkpointed = true;
      }
      const started = Date.now();
      for (const entry of candidates) {
        // Bounded block time: the rest waits for the next block (consent transactions came first).
        if (included.length > 0 && Date.now() - started > this.setup.blockTimeBudgetMs) break;
        if (skipSender.has(entry.senderHex)) continue;
        if (entry.tx.gasLimit > blockGasLimit - b.gasUsed) { skipSender.add(entry.senderHex); continue; }
        try {
          const result = await runTx(vm, { tx: entry.tx, block: context, blockGasUsed: b.gasUsed });
          b.transactions.push(entry.tx);
          b.transactionResults.push(result);
          b.gasUsed += result.blockGasSpent;
          included.push(entry);
        } catch (e) {
          // Became invalid since admission (e.g. balance spent by an earlier tx): drop it.
          pool.remove(entry);
          skipSender.add(entry.senderHex);
          this.setup.dropped(entry.hash, (e as Error).message);
        }
      }
      // Same roots as the builder's own MPT-based ones, built in one pass (see orderedTrie.ts).
      b.transactionsTrie = async () => orderedTrieRoot(b.transactions.map((t) => t.serialize()));
      b.receiptTrie = async () => orderedTrieRoot(b.transactionResults.map((r, i) => encodeReceipt(r.receipt, b.transactions[i]!.type)));
      const { block } = await builder.build();
      const results = b.transactionResults;
      const receipts = results.map((r, i): StoredReceipt => ({
        status: (r.receipt as { status?: 0 | 1 }).status ?? 1,
        cumulativeGasUsed: r.receipt.cumulativeBlockGasUsed,
        gasUsed: r.totalGasSpent,
        contractAddress: r.createdAddress?.bytes,
        logs: r.receipt.logs,
        from: included[i]!.sender.bytes,
        txHash: included[i]!.tx.hash(),
      }));
      const sealed: SealedBlock = { block, receipts, hashes: included.map((e) => e.tx.hash()), rlp: block.serialize() };
      await store.commit(blockOps(store, sealed));
      this.head = block;
      this.lastSealAt = Date.now();
      if (timestamp === undefined) this.clock.consumed();
      const nextNonce = new Map<string, bigint>();
      for (const entry of included) { pool.remove(entry); nextNonce.set(entry.senderHex, entry.tx.nonce + 1n); }
      for (const [sender, nonce] of nextNonce) pool.setBase(sender, nonce);
      this.setup.sealed(sealed);
      return sealed;
    } catch (e) {
      // Nothing was committed: reset the sealing state to the head.
      store.discardPending();
      this.vm = await this.setup.newVm(this.head.header.stateRoot);
      throw e;
    }
  }

  /** Stops sealing; resolves once a block being sealed is committed (or abandoned). */
  async close() {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.lock.run(async () => {});
  }
}
