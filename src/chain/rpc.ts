/**
 * Ethereum JSON-RPC methods of the embedded node (the subset viem, wallets and explorers use),
 * answered the way geth/Besu answer them: quantities as minimal hex, blocks/transactions/receipts
 * in the standard shapes, errors with the standard codes. Each group of methods is a table in
 * `rpc/` (name -> parameter schema and handler, rpc/table.ts); this file joins them and dispatches.
 */
import { ErrorCode, RpcError } from './errors.ts';
import { blockMethods } from './rpc/blocks.ts';
import type { RpcContext } from './rpc/context.ts';
import { devTimeMethods } from './rpc/devTime.ts';
import { filterMethods } from './rpc/filters.ts';
import { nodeInfoMethods } from './rpc/nodeInfo.ts';
import { paramList } from './rpc/params.ts';
import { permissionMethods } from './rpc/permissions.ts';
import { sendMethods } from './rpc/send.ts';
import { stateMethods } from './rpc/state.ts';
import type { RpcMethod } from './rpc/table.ts';

export type { RpcContext } from './rpc/context.ts';

/** Every method the node serves (a Map: a method name is never looked up on a prototype). */
export const METHODS: ReadonlyMap<string, RpcMethod> = new Map(Object.entries({
  ...nodeInfoMethods, ...blockMethods, ...stateMethods, ...sendMethods, ...filterMethods, ...devTimeMethods, ...permissionMethods,
}));

export async function handle(ctx: RpcContext, method: string, rawParams: unknown): Promise<unknown> {
  const p = paramList(rawParams);
  const def = METHODS.get(method);
  if (!def) throw new RpcError(ErrorCode.methodNotFound, `the method ${method} does not exist/is not available`);
  if (def.admin && !ctx.admin) throw new RpcError(ErrorCode.methodNotFound, `the method ${method} is not available on this endpoint`);
  if (def.devOnly && ctx.mode !== 'dev') throw new RpcError(ErrorCode.methodNotFound, def.devOnly(method));
  const args = def.params.map((parse, i) => parse(p[i]));
  return def.run(ctx, args, method);
}
