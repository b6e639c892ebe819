/**
 * eth_call and eth_estimateGas: the call object, the gas it may use (geth's --rpc.gascap), and the
 * job sent to the call workers (callPool.ts) — never run on this event loop — with their outcome
 * turned into geth's answers (revert data with code 3, "gas required exceeds allowance", ...).
 */
import { RLP } from '@ethereumjs/rlp';
import { hexToBytes, type Address } from '@ethereumjs/util';
import { decodeAbiParameters } from 'viem';
import type { Chain } from '../chain.ts';
import type { CallJob, CallOutcome } from '../callJob.ts';
import { CallQueueFullError, CallTimeoutError, CallWorkerError } from '../callPool.ts';
import { ErrorCode, RpcError, invalidParams, serverError } from '../errors.ts';
import type { Bytes, Hex } from '../types.ts';
import { resolveBlock, type BlockTag } from './blockTag.ts';
import type { RpcContext } from './context.ts';
import { hex, q } from './format.ts';
import { address, data, optQuantity } from './params.ts';

export interface CallMessage { from?: Address; to?: Address; data?: Bytes; value?: bigint; gas?: bigint }

export function callMessage(v: unknown): CallMessage {
  if (typeof v !== 'object' || v === null) throw invalidParams('transaction object expected');
  const o = v as Record<string, unknown>;
  const input = o.input ?? o.data;
  return {
    from: o.from !== undefined && o.from !== null ? address(o.from, 'from') : undefined,
    to: o.to !== undefined && o.to !== null ? address(o.to, 'to') : undefined,
    data: input !== undefined && input !== null ? data(input, 'input') : undefined,
    value: optQuantity(o.value, 'value'),
    gas: optQuantity(o.gas, 'gas'),
  };
}

function revertError(returnValue: Bytes): RpcError {
  const d = hex(returnValue);
  let message = 'execution reverted';
  if (d.startsWith('0x08c379a0')) {
    try {
      message += `: ${decodeAbiParameters([{ type: 'string' }], `0x${d.slice(10)}`)[0]}`;
    } catch { /* not a well-formed Error(string) */ }
  }
  return new RpcError(ErrorCode.executionReverted, message, d);
}

/** Sends an eth_call / eth_estimateGas to the call workers. */
async function runInWorker(ctx: RpcContext, kind: CallJob['kind'], msg: CallMessage, tag: BlockTag, gas: bigint): Promise<CallOutcome> {
  const { chain } = ctx;
  const { view, pending } = await resolveBlock(chain, tag);
  const context = pending ? chain.pendingBlock().header : view.header;
  const job: CallJob = {
    kind, stateRoot: hex(view.header.stateRoot), header: hex(RLP.encode(context.raw())), gas: q(gas),
    from: msg.from ? (msg.from.toString() as Hex) : undefined, to: msg.to ? (msg.to.toString() as Hex) : undefined,
    data: msg.data ? hex(msg.data) : undefined, value: msg.value !== undefined ? q(msg.value) : undefined,
  };
  try {
    return await chain.calls.run(job, ctx.lane ?? 'trusted');
  } catch (e) {
    if (e instanceof CallQueueFullError) throw new RpcError(ErrorCode.limitExceeded, e.message);
    if (e instanceof CallTimeoutError || e instanceof CallWorkerError) throw serverError(e.message);
    throw e;
  }
}

/** The gas an eth_call gets: what it asks for, at most the RPC gas cap (geth --rpc.gascap). */
function callGas(chain: Chain, msg: CallMessage): bigint {
  const cap = chain.rpcGasCap < chain.blockGasLimit ? chain.rpcGasCap : chain.blockGasLimit;
  return msg.gas !== undefined && msg.gas < cap ? msg.gas : cap;
}

export async function ethCall(ctx: RpcContext, msg: CallMessage, tag: BlockTag): Promise<Hex> {
  const outcome = await runInWorker(ctx, 'call', msg, tag, callGas(ctx.chain, msg));
  if (outcome.kind === 'timeout') throw serverError(new CallTimeoutError(ctx.chain.calls.timeoutMs).message);
  if (outcome.kind !== 'call') throw new RpcError(ErrorCode.internal, 'internal error: unexpected call outcome');
  if (outcome.exception === 'revert') throw revertError(hexToBytes(outcome.returnValue));
  if (outcome.exception) throw serverError(outcome.exception);
  return outcome.returnValue;
}

export async function estimateGas(ctx: RpcContext, msg: CallMessage, tag: BlockTag): Promise<bigint> {
  // A transaction can use at most the per-transaction cap, so the search stops there.
  const max = ctx.chain.maxTxGas < callGas(ctx.chain, {}) ? ctx.chain.maxTxGas : callGas(ctx.chain, {});
  const cap = msg.gas !== undefined && msg.gas < max ? msg.gas : max;
  const outcome = await runInWorker(ctx, 'estimate', msg, tag, cap);
  if (outcome.kind === 'estimate') return BigInt(outcome.gas);
  if (outcome.kind === 'timeout') throw serverError(new CallTimeoutError(ctx.chain.calls.timeoutMs).message);
  if (outcome.kind !== 'estimate-failed') throw new RpcError(ErrorCode.internal, 'internal error: unexpected call outcome');
  if (outcome.exception === 'revert') throw revertError(hexToBytes(outcome.returnValue));
  if (outcome.exception === 'intrinsic gas too low') throw serverError('intrinsic gas too low');
  throw serverError(`gas required exceeds allowance (${BigInt(outcome.cap)}) or always failing transaction: ${outcome.exception}`);
}
