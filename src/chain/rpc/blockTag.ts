/** Block parameters (tags, numbers, EIP-1898 objects) and the committed block they name. */
import type { Chain } from '../chain.ts';
import type { SealedBlockView } from '../blockView.ts';
import { RpcError } from '../errors.ts';
import type { Bytes } from '../types.ts';
import { hash32, quantity } from './params.ts';

/** 'safe' and 'finalized' are 'latest': one authority seals final blocks. */
export type BlockTag = 'latest' | 'pending' | 'earliest' | { hash: Bytes } | { number: bigint };

export function blockTag(tag: unknown): BlockTag {
  if (tag === undefined || tag === null || tag === 'latest' || tag === 'safe' || tag === 'finalized') return 'latest';
  if (tag === 'pending') return 'pending';
  if (tag === 'earliest') return 'earliest';
  if (typeof tag === 'object' && 'blockHash' in tag) return { hash: hash32((tag as { blockHash: unknown }).blockHash, 'blockHash') };
  const number = typeof tag === 'object' && 'blockNumber' in tag
    ? quantity((tag as { blockNumber: unknown }).blockNumber, 'blockNumber')
    : quantity(tag, 'block');
  return { number };
}

/** The block a tag names; `pending` says the caller asked for the pending block (runs on top of the head). */
export type BlockRef = { view: SealedBlockView; pending: boolean };

export async function resolveBlock(chain: Chain, tag: BlockTag, allowPending = true): Promise<BlockRef> {
  if (tag === 'latest') return { view: (await chain.blockByNumber(chain.head.header.number))!, pending: false };
  if (tag === 'pending') return { view: (await chain.blockByNumber(chain.head.header.number))!, pending: allowPending };
  if (tag === 'earliest') return { view: (await chain.blockByNumber(0n))!, pending: false };
  const view = 'hash' in tag ? await chain.blockByHash(tag.hash) : await chain.blockByNumber(tag.number);
  if (!view) throw new RpcError(-32001, 'header not found');
  return { view, pending: false };
}
