/** A committed block as the read path sees it: header and receipts at once, transactions decoded lazily. */
import { createBlockFromBytesArray, createBlockFromRLP, type Block, type BlockHeader } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { RLP } from '@ethereumjs/rlp';
import { createTxFromBlockBodyData, type TypedTransaction } from '@ethereumjs/tx';
import { bytesToHex, type PrefixedHexString } from '@ethereumjs/util';
import type { StoredReceipt } from './receipts.ts';
import type { Bytes } from './types.ts';

/** What sealing produced: the block, its receipts and transaction hashes, its serialized form. */
export interface SealedBlock { block: Block; receipts: StoredReceipt[]; hashes: Bytes[]; rlp?: Bytes }

/** A committed block with its receipts; the full block and its transactions are decoded lazily. */
export class SealedBlockView {
  readonly hash: Bytes;
  readonly hashes: PrefixedHexString[];
  private full: Block | undefined;
  private context: Block | undefined;
  private txs = new Map<number, TypedTransaction>();

  constructor(
    readonly header: BlockHeader,
    readonly receipts: StoredReceipt[],
    private readonly source: { block?: Block; rlp?: Bytes; rawTxs?: (Bytes | Bytes[])[]; common: Common },
  ) {
    this.hash = header.hash();
    this.hashes = receipts.map((r) => bytesToHex(r.txHash));
    this.full = source.block;
  }

  /**
   * A view of a block just sealed. The cache keeps it in serialized form, not the decoded
   * transactions: each ethereumjs transaction carries its own Common copy (tens of KB).
   */
  static fromSealed(sealed: SealedBlock, common: Common): SealedBlockView {
    if (!sealed.rlp) return new SealedBlockView(sealed.block.header, sealed.receipts, { block: sealed.block, common });
    const [, rawTxs] = RLP.decode(sealed.rlp) as unknown as [Bytes[], (Bytes | Bytes[])[]];
    return new SealedBlockView(sealed.block.header, sealed.receipts, { rlp: sealed.rlp, rawTxs, common });
  }

  get txCount(): number { return this.hashes.length; }

  /** The whole block (decodes every transaction once). */
  block(): Block {
    this.full ??= createBlockFromRLP(this.source.rlp!, { common: this.source.common });
    return this.full;
  }

  /** A block with this header and no transactions: the context for calls at this block. */
  contextBlock(): Block {
    if (this.full) return this.full;
    this.context ??= createBlockFromBytesArray([this.header.raw(), [], [], []] as never, { common: this.source.common });
    return this.context;
  }

  tx(index: number): TypedTransaction {
    if (this.full) return this.full.transactions[index]!;
    let tx = this.txs.get(index);
    if (!tx) {
      tx = createTxFromBlockBodyData(this.source.rawTxs![index]!, { common: this.source.common });
      this.txs.set(index, tx);
    }
    return tx;
  }
}
