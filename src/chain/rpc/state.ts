/** Methods that read state at a block (balances, nonces, code, storage) or run calls against it. */
import { Account, hexToBytes, setLengthLeft } from '@ethereumjs/util';
import { invalidParams } from '../errors.ts';
import { blockTag, resolveBlock } from './blockTag.ts';
import { callMessage, estimateGas, ethCall } from './calls.ts';
import { hex, q } from './format.ts';
import { param, type Param } from './params.ts';
import { rpcMethod, type RpcMethods } from './table.ts';

const noStateOverrides: Param<undefined> = (v) => {
  if (v !== undefined && v !== null) throw invalidParams('state overrides are not supported');
  return undefined;
};

export const stateMethods: RpcMethods = {
  eth_getTransactionCount: rpcMethod([param.address('address'), blockTag], async ({ chain }, [who, tag]) => {
    // 'pending' counts the sender's executable pooled transactions, as wallets expect.
    if (tag === 'pending') return q(chain.pool.pendingNonce(who.toString(), await chain.stateNonce(who)));
    const { view } = await resolveBlock(chain, tag);
    return q(await chain.withState(view.header, async (vm) => ((await vm.stateManager.getAccount(who)) ?? new Account()).nonce));
  }),
  eth_getBalance: rpcMethod([param.address('address'), blockTag], async ({ chain }, [who, tag]) => {
    const { view } = await resolveBlock(chain, tag);
    return q(await chain.withState(view.header, async (vm) => ((await vm.stateManager.getAccount(who)) ?? new Account()).balance));
  }),
  eth_getCode: rpcMethod([param.address('address'), blockTag], async ({ chain }, [who, tag]) => {
    const { view } = await resolveBlock(chain, tag);
    return hex(await chain.withState(view.header, (vm) => vm.stateManager.getCode(who)));
  }),
  eth_getStorageAt: rpcMethod([param.address('address'), param.quantity('slot'), blockTag], async ({ chain }, [who, slotNumber, tag]) => {
    const slot = setLengthLeft(hexToBytes(q(slotNumber)), 32);
    const { view } = await resolveBlock(chain, tag);
    const value = await chain.withState(view.header, (vm) => vm.stateManager.getStorage(who, slot));
    return hex(setLengthLeft(value, 32));
  }),
  eth_call: rpcMethod([callMessage, blockTag, noStateOverrides], (ctx, [msg, tag]) => ethCall(ctx, msg, tag)),
  // Estimates default to the pending block (where the transaction will run), as geth's do.
  eth_estimateGas: rpcMethod([callMessage, (v: unknown) => blockTag(v ?? 'pending')], async (ctx, [msg, tag]) => q(await estimateGas(ctx, msg, tag))),
};
