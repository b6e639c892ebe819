/**
 * How a JSON-RPC method is declared: its parameter schema (one parser per position, params.ts),
 * who may call it, and the handler, which gets the parsed values. The method groups in this
 * directory each export a table of these; `rpc.ts` joins them and dispatches.
 */
import type { RpcContext } from './context.ts';
import type { Param } from './params.ts';

type Parsed<P extends readonly Param<unknown>[]> = { -readonly [K in keyof P]: P[K] extends Param<infer T> ? T : never };

export interface RpcMethod {
  params: readonly Param<unknown>[];
  run(ctx: RpcContext, args: unknown[], method: string): unknown;
  /** Served in dev mode only; elsewhere answered "method not found" with this message. */
  devOnly?: (method: string) => string;
  /** Served only on endpoints with admin rights (perm_*). */
  admin?: boolean;
}

export type RpcMethods = Record<string, RpcMethod>;

/** A method whose handler receives its parameters parsed by `params`, in order. */
export function rpcMethod<const P extends readonly Param<unknown>[]>(
  params: P,
  run: (ctx: RpcContext, args: Parsed<P>, method: string) => unknown,
  access: Pick<RpcMethod, 'devOnly' | 'admin'> = {},
): RpcMethod {
  return { params, run: run as RpcMethod['run'], ...access };
}

/** geth's answer to dev-only methods on a production node. */
export const devModeOnly = (method: string) => `the method ${method} does not exist/is not available (dev mode only)`;
