/**
 * eth_getLogs and the polling filters (eth_newFilter, eth_newBlockFilter, eth_getFilterChanges,
 * ...). Filters live in the context, shared by the transports, and expire when not polled for
 * FILTER_TTL_MS (geth: 5 minutes).
 */
import { serverError } from '../errors.ts';
import type { PollFilter, RpcContext } from './context.ts';
import { hex, q } from './format.ts';
import { MAX_BLOCK, filterObject, getLogs, parseLogFilter } from './logs.ts';
import { param } from './params.ts';
import { rpcMethod, type RpcMethods } from './table.ts';

export const FILTER_TTL_MS = 5 * 60_000;

function filters(ctx: RpcContext): Map<string, PollFilter> {
  ctx.filters ??= new Map();
  const now = Date.now();
  for (const [id, f] of ctx.filters) if (now - f.touched > FILTER_TTL_MS) ctx.filters.delete(id);
  return ctx.filters;
}

function filterOf(ctx: RpcContext, id: unknown): PollFilter {
  const f = typeof id === 'string' ? filters(ctx).get(id.toLowerCase()) : undefined;
  if (!f) throw serverError('filter not found');
  f.touched = Date.now();
  return f;
}

function install(ctx: RpcContext, entry: PollFilter): string {
  const id = q(BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`));
  filters(ctx).set(id, entry);
  return id;
}

export const filterMethods: RpcMethods = {
  eth_getLogs: rpcMethod([param.raw], ({ chain }, [filter]) => getLogs(chain, filter)),
  eth_newFilter: rpcMethod([param.raw], (ctx, [filter]) => {
    const head = ctx.chain.head.header.number;
    // 'latest' as toBlock keeps the filter open-ended; as fromBlock it means "from now on".
    const open = parseLogFilter(filter, MAX_BLOCK);
    const now = parseLogFilter(filter, head);
    return install(ctx, { kind: 'logs', filter: { ...open, from: now.from }, next: now.from > head ? now.from : head + 1n, touched: Date.now() });
  }),
  eth_newBlockFilter: rpcMethod([], (ctx) => install(ctx, { kind: 'blocks', next: ctx.chain.head.header.number + 1n, touched: Date.now() })),
  eth_getFilterChanges: rpcMethod([param.raw], async (ctx, [id]) => {
    const { chain } = ctx;
    const f = filterOf(ctx, id);
    const head = chain.head.header.number;
    const from = f.next;
    f.next = head + 1n;
    if (f.kind === 'blocks') {
      const out: string[] = [];
      for (let n = from; n <= head; n++) out.push(hex((await chain.blockByNumber(n))!.hash));
      return out;
    }
    const to = f.filter!.to < head ? f.filter!.to : head;
    return from > to ? [] : getLogs(chain, filterObject({ ...f.filter!, from, to }));
  }),
  eth_getFilterLogs: rpcMethod([param.raw], (ctx, [id]) => {
    const f = filterOf(ctx, id);
    if (f.kind !== 'logs') throw serverError('filter is not a log filter');
    const head = ctx.chain.head.header.number;
    const to = f.filter!.to < head ? f.filter!.to : head;
    return f.filter!.from > to ? [] : getLogs(ctx.chain, filterObject({ ...f.filter!, to }));
  }),
  eth_uninstallFilter: rpcMethod([param.raw], (ctx, [id]) => typeof id === 'string' && filters(ctx).delete(id.toLowerCase())),
};
