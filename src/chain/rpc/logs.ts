/**
 * Log queries (eth_getLogs and the log filters and subscriptions): the filter object, matching,
 * and the range scan that uses the store's address/topic index to visit only candidate blocks.
 */
import type { Log } from '@ethereumjs/evm';
import type { Chain } from '../chain.ts';
import type { SealedBlockView } from '../blockView.ts';
import { RpcError, invalidParams } from '../errors.ts';
import { P } from '../store.ts';
import type { Bytes } from '../types.ts';
import { hex, logJson, q } from './format.ts';
import { address, hash32, quantity } from './params.ts';

export interface LogFilter { from: bigint; to: bigint; addresses: Bytes[] | undefined; topics: (Bytes[] | null)[] }

export const MAX_LOGS = 10_000;
/** An open-ended toBlock ('latest' in a polling filter). */
export const MAX_BLOCK = 2n ** 63n;

export function parseLogFilter(v: unknown, headNumber: bigint): LogFilter & { blockHash?: Bytes } {
  if (typeof v !== 'object' || v === null) throw invalidParams('filter object expected');
  const o = v as Record<string, unknown>;
  const tagNumber = (t: unknown, dflt: bigint) => {
    if (t === undefined || t === null || t === 'latest' || t === 'pending' || t === 'safe' || t === 'finalized') return dflt;
    if (t === 'earliest') return 0n;
    return quantity(t, 'block');
  };
  const addresses = o.address === undefined || o.address === null ? undefined
    : (Array.isArray(o.address) ? o.address : [o.address]).map((a) => address(a, 'address').bytes);
  if (o.topics !== undefined && o.topics !== null && !Array.isArray(o.topics)) throw invalidParams('topics must be an array');
  const topics = ((o.topics as unknown[] | undefined) ?? []).map((t) =>
    t === null ? null : (Array.isArray(t) ? t : [t]).map((x) => hash32(x, 'topic')));
  if (topics.length > 4) throw invalidParams('at most 4 topic positions');
  if (o.blockHash !== undefined) {
    if (o.fromBlock !== undefined || o.toBlock !== undefined) throw invalidParams('blockHash excludes fromBlock/toBlock');
    return { from: 0n, to: 0n, addresses, topics, blockHash: hash32(o.blockHash, 'blockHash') };
  }
  const from = tagNumber(o.fromBlock, headNumber);
  const to = tagNumber(o.toBlock, headNumber);
  // geth: an explicit range that ends before it starts is an error, not an empty answer.
  if (from > to && o.toBlock !== undefined && o.toBlock !== null && typeof o.toBlock === 'string' && o.toBlock.startsWith('0x')) {
    throw invalidParams('invalid block range params');
  }
  return { from, to: to > headNumber ? headNumber : to, addresses, topics };
}

const eq = (a: Bytes, b: Bytes) => a.length === b.length && a.every((x, i) => x === b[i]);

export function matchLog(filter: LogFilter, [addr, topics]: Log): boolean {
  if (filter.addresses && !filter.addresses.some((a) => eq(a, addr))) return false;
  for (let i = 0; i < filter.topics.length; i++) {
    const want = filter.topics[i];
    if (!want || want.length === 0) continue;
    const got = topics[i];
    if (!got || !want.some((w) => eq(w, got))) return false;
  }
  return true;
}

export function logsOfBlock(view: SealedBlockView, filter: LogFilter) {
  const out: ReturnType<typeof logJson>[] = [];
  let logIndex = 0;
  view.receipts.forEach((r, txIndex) => {
    for (const log of r.logs) {
      if (matchLog(filter, log)) out.push(logJson(view, txIndex, logIndex, log));
      logIndex++;
    }
  });
  return out;
}

/** A parsed filter back in its JSON-RPC shape (for re-use by the filter methods). */
export function filterObject(f: LogFilter) {
  return {
    fromBlock: q(f.from), toBlock: q(f.to),
    ...(f.addresses ? { address: f.addresses.map(hex) } : {}),
    topics: f.topics.map((t) => (t ? t.map(hex) : null)),
  };
}

/** Candidate blocks from the address/topic index: the intersection over filter positions. */
async function candidateBlocks(chain: Chain, f: LogFilter): Promise<bigint[] | undefined> {
  const sets: Set<bigint>[] = [];
  const union = async (prefix: number, keys: Bytes[]) => {
    const s = new Set<bigint>();
    for (const k of keys) for (const n of await chain.store.blocksWithLogKey(prefix, k, f.from, f.to)) s.add(n);
    return s;
  };
  if (f.addresses) sets.push(await union(P.logAddress, f.addresses));
  for (const t of f.topics) if (t && t.length) sets.push(await union(P.logTopic, t));
  if (sets.length === 0) return undefined;
  sets.sort((a, b) => a.size - b.size);
  return [...sets[0]!].filter((n) => sets.every((s) => s.has(n))).sort((a, b) => (a < b ? -1 : 1));
}

export async function getLogs(chain: Chain, raw: unknown) {
  const f = parseLogFilter(raw, chain.head.header.number);
  if (f.blockHash) {
    const view = await chain.blockByHash(f.blockHash);
    if (!view) throw new RpcError(-32001, 'unknown block');
    return logsOfBlock(view, f);
  }
  if (f.from > f.to) return [];
  const blocks = (await candidateBlocks(chain, f)) ?? null;
  const out: ReturnType<typeof logJson>[] = [];
  const visit = async (n: bigint) => {
    const view = await chain.blockByNumber(n);
    if (view) out.push(...logsOfBlock(view, f));
    if (out.length > MAX_LOGS) throw new RpcError(-32005, `query returns more than ${MAX_LOGS} results`);
  };
  if (blocks) for (const n of blocks) await visit(n);
  else for (let n = f.from; n <= f.to; n++) await visit(n);
  return out;
}
