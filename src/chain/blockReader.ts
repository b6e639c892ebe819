/**
 * Committed blocks, receipts and transactions by number or hash, through a cache of the most
 * recent blocks (the ones clients ask for most: the head, the last few receipts).
 */
import { createBlockHeaderFromBytesArray } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import { SealedBlockView } from './blockView.ts';
import { decodeReceipts } from './receipts.ts';
import type { ChainStore } from './store.ts';
import type { Bytes } from './types.ts';

const MAX_CACHED_BLOCKS = 256;
const MAX_CACHED_TXS = 20_000;

export class BlockReader {
  private cache = new Map<bigint, SealedBlockView>();
  private cachedTxs = 0;

  constructor(private readonly store: ChainStore, private readonly common: Common) {}

  /** Remembers a block (one just sealed goes in at once: it is the one asked for next). */
  remember(view: SealedBlockView): SealedBlockView {
    this.cache.set(view.header.number, view);
    this.cachedTxs += view.hashes.length;
    // Bounded by transactions, not blocks: big blocks hold thousands of decoded transactions.
    while (this.cache.size > 1 && (this.cache.size > MAX_CACHED_BLOCKS || this.cachedTxs > MAX_CACHED_TXS)) {
      const [oldest, evicted] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      this.cachedTxs -= evicted.hashes.length;
    }
    return view;
  }

  async byNumber(number: bigint): Promise<SealedBlockView | undefined> {
    const hit = this.cache.get(number);
    if (hit) return hit;
    const rlp = await this.store.blockRlp(number);
    if (!rlp) return undefined;
    // Header and receipts only; transactions are decoded one by one when asked for (a block
    // can hold thousands, and logs/receipt queries need none or one of them).
    const [headerFields, txs] = RLP.decode(rlp) as unknown as [Bytes[], (Bytes | Bytes[])[]];
    const header = createBlockHeaderFromBytesArray(headerFields as never, { common: this.common });
    const receiptsRlp = await this.store.receiptsRlp(number);
    const receipts = receiptsRlp ? decodeReceipts(receiptsRlp) : [];
    return this.remember(new SealedBlockView(header, receipts, { rlp, rawTxs: txs, common: this.common }));
  }

  async byHash(hash: Bytes): Promise<SealedBlockView | undefined> {
    const n = await this.store.numberOfHash(hash);
    return n === undefined ? undefined : this.byNumber(n);
  }

  async txByHash(hash: Bytes): Promise<{ view: SealedBlockView; index: number } | undefined> {
    const loc = await this.store.txLocation(hash);
    if (!loc) return undefined;
    const view = await this.byNumber(loc.number);
    return view ? { view, index: loc.index } : undefined;
  }
}
