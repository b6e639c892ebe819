/** Methods that read committed blocks, transactions and receipts (and pooled transactions by hash). */
import type { SealedBlockView } from '../blockView.ts';
import type { Chain } from '../chain.ts';
import { invalidParams } from '../errors.ts';
import { blockTag, resolveBlock } from './blockTag.ts';
import { blockJson, hex, pendingTxJson, q, receiptJson, txJson } from './format.ts';
import { hash32, param, quantity } from './params.ts';
import { rpcMethod, type RpcMethods } from './table.ts';

/** eth_getBlockByNumber / ByHash: both parameters are required, as in the execution-apis spec. */
async function getBlock(chain: Chain, byHash: boolean, ref: unknown, hydrated: unknown) {
  if (hydrated === undefined) throw invalidParams('missing value for required argument 1');
  if (typeof hydrated !== 'boolean') throw invalidParams('hydrated transactions: expected a boolean');
  let view: SealedBlockView | undefined;
  if (byHash) view = await chain.blockByHash(hash32(ref, 'blockHash'));
  else if (ref === 'pending') view = await chain.blockByNumber(chain.head.header.number);
  // An explicit number past the head is null (geth), where other block parameters say "header not found".
  else if (typeof ref === 'string' && ref.startsWith('0x')) view = await chain.blockByNumber(quantity(ref, 'block'));
  else view = (await resolveBlock(chain, blockTag(ref))).view;
  return view ? blockJson(view, hydrated) : null;
}

const uncles = rpcMethod([], () => '0x0');

export const blockMethods: RpcMethods = {
  eth_getBlockByNumber: rpcMethod([param.raw, param.raw], ({ chain }, [ref, hydrated]) => getBlock(chain, false, ref, hydrated)),
  eth_getBlockByHash: rpcMethod([param.raw, param.raw], ({ chain }, [ref, hydrated]) => getBlock(chain, true, ref, hydrated)),
  eth_getBlockTransactionCountByNumber: rpcMethod([blockTag], async ({ chain }, [tag]) => q((await resolveBlock(chain, tag)).view.txCount)),
  eth_getBlockTransactionCountByHash: rpcMethod([param.hash('blockHash')], async ({ chain }, [hash]) => {
    const view = await chain.blockByHash(hash);
    return view ? q(view.txCount) : null;
  }),
  eth_getUncleCountByBlockNumber: uncles,
  eth_getUncleCountByBlockHash: uncles,
  eth_getTransactionByHash: rpcMethod([param.hash('hash')], async ({ chain }, [hash]) => {
    const found = await chain.txByHash(hash);
    if (found) return txJson(found.view, found.index);
    const pending = chain.pool.byHash.get(hex(hash));
    return pending ? pendingTxJson(pending.tx, pending.senderHex) : null;
  }),
  eth_getTransactionByBlockNumberAndIndex: rpcMethod([blockTag, param.quantity('index')], async ({ chain }, [tag, index]) => {
    const { view } = await resolveBlock(chain, tag);
    return Number(index) < view.txCount ? txJson(view, Number(index)) : null;
  }),
  eth_getTransactionByBlockHashAndIndex: rpcMethod([param.hash('blockHash'), param.quantity('index')], async ({ chain }, [hash, index]) => {
    const view = await chain.blockByHash(hash);
    return view && Number(index) < view.txCount ? txJson(view, Number(index)) : null;
  }),
  eth_getTransactionReceipt: rpcMethod([param.hash('hash')], async ({ chain }, [hash]) => {
    const found = await chain.txByHash(hash);
    return found ? receiptJson(found.view, found.index) : null;
  }),
  eth_getBlockReceipts: rpcMethod([blockTag], async ({ chain }, [tag]) => {
    const { view } = await resolveBlock(chain, tag, false);
    return view.receipts.map((_, i) => receiptJson(view, i));
  }),
};
