/**
 * Methods that submit transactions (through admission, admission.ts) and, in dev mode only, sign
 * with the node's unlocked dev accounts, as Hardhat and anvil do.
 */
import { createTx, type TypedTxData } from '@ethereumjs/tx';
import { hexToBytes, type Address } from '@ethereumjs/util';
import { privateKeyToAccount } from 'viem/accounts';
import { ErrorCode, RpcError, invalidParams } from '../errors.ts';
import type { Hex } from '../types.ts';
import { callMessage, estimateGas } from './calls.ts';
import type { RpcContext } from './context.ts';
import { optQuantity, param } from './params.ts';
import { rpcMethod, type RpcMethods } from './table.ts';

function devKey(ctx: RpcContext, who: Address): Hex {
  const key = ctx.devKeys.get(who.toString());
  if (!key) throw new RpcError(ErrorCode.server, 'unknown account');
  return key;
}

async function sendTransaction(ctx: RpcContext, v: unknown): Promise<Hex> {
  const msg = callMessage(v);
  const o = v as Record<string, unknown>;
  if (!msg.from) throw invalidParams('from is required');
  const key = devKey(ctx, msg.from);
  const { chain } = ctx;
  const nonce = optQuantity(o.nonce, 'nonce') ?? chain.pool.pendingNonce(msg.from.toString(), await chain.stateNonce(msg.from));
  const gasLimit = msg.gas ?? await estimateGas(ctx, msg, 'pending');
  const gasPrice = optQuantity(o.gasPrice, 'gasPrice');
  const txData: TypedTxData = gasPrice !== undefined
    ? { type: 0, nonce, gasLimit, gasPrice, to: msg.to, value: msg.value, data: msg.data }
    : { type: 2, nonce, gasLimit, to: msg.to, value: msg.value, data: msg.data, chainId: BigInt(chain.options.chainId),
        maxFeePerGas: optQuantity(o.maxFeePerGas, 'maxFeePerGas') ?? 0n, maxPriorityFeePerGas: optQuantity(o.maxPriorityFeePerGas, 'maxPriorityFeePerGas') ?? 0n };
  const tx = createTx(txData, { common: chain.common }).sign(hexToBytes(key));
  return chain.submit(tx);
}

const signing = { devOnly: () => 'signing methods are only available in dev mode' };

export const sendMethods: RpcMethods = {
  eth_sendRawTransaction: rpcMethod([param.data('transaction')], ({ chain }, [raw]) => chain.submitRaw(raw)),
  eth_sendTransaction: rpcMethod([param.raw], (ctx, [tx]) => sendTransaction(ctx, tx), {
    devOnly: () => 'eth_sendTransaction is only available in dev mode; sign locally and use eth_sendRawTransaction',
  }),
  eth_sign: rpcMethod([param.address('address'), param.data('message')], (ctx, [who, message]) =>
    privateKeyToAccount(devKey(ctx, who)).signMessage({ message: { raw: message } }), signing),
  personal_sign: rpcMethod([param.data('message'), param.address('address')], (ctx, [message, who]) =>
    privateKeyToAccount(devKey(ctx, who)).signMessage({ message: { raw: message } }), signing),
  eth_signTypedData_v4: rpcMethod([param.address('address'), param.raw], async (ctx, [who, typedData]) => {
    const key = devKey(ctx, who);
    try {
      const typed = typeof typedData === 'string' ? JSON.parse(typedData) : typedData;
      return await privateKeyToAccount(key).signTypedData(typed);
    } catch (e) {
      throw invalidParams(`typed data: ${(e as Error).message.split('\n')[0]}`);
    }
  }, signing),
};
