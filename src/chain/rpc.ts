/**
 * Ethereum JSON-RPC methods of the embedded node (the subset viem, wallets and explorers use),
 * answered the way geth/Besu answer them: quantities as minimal hex, blocks/transactions/receipts
 * in the standard shapes, errors with the standard codes.
 */
import type { BlockHeader } from '@ethereumjs/block';
import { createTx, type TypedTransaction, type TypedTxData } from '@ethereumjs/tx';
import { Account, Address, bytesToHex, createAddressFromString, hexToBytes, setLengthLeft } from '@ethereumjs/util';
import { Bloom } from '@ethereumjs/vm';
import type { Log } from '@ethereumjs/evm';
import { decodeAbiParameters, isAddress, isHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { Chain, CallMessage, Hex, SealedBlockView } from './chain.ts';
import { RLP } from '@ethereumjs/rlp';
import type { CallJob, CallOutcome } from './callJob.ts';
import { CallQueueFullError, CallTimeoutError, CallWorkerError, type CallLane } from './callPool.ts';
import { ErrorCode, RpcError, invalidParams, serverError } from './errors.ts';
import { P } from './store.ts';

type Bytes = Uint8Array;
export const CLIENT_VERSION = 'MedChain/embedded-node/v0.1.0/ethereumjs-10.1.3';

export const q = (n: bigint | number): Hex => `0x${n.toString(16)}`;
const hex = (b: Bytes): Hex => bytesToHex(b) as Hex;

// ------------------------------------------------------------------ param parsing

function quantity(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw invalidParams(`${name}: expected a hex quantity`);
  return BigInt(v);
}
/** A JSON number (integer) or a hex quantity, as test tools send both for times and counts. */
function intOrQuantity(v: unknown, name: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw invalidParams(`${name}: expected a non-negative integer`);
    return BigInt(v);
  }
  return quantity(v, name);
}
function optQuantity(v: unknown, name: string): bigint | undefined {
  return v === undefined || v === null ? undefined : quantity(v, name);
}
function address(v: unknown, name: string): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw invalidParams(`${name}: expected an address`);
  return createAddressFromString(v);
}
function data(v: unknown, name: string): Bytes {
  if (typeof v !== 'string' || !isHex(v) || v.length % 2 !== 0) throw invalidParams(`${name}: expected hex data`);
  return hexToBytes(v);
}
function hash32(v: unknown, name: string): Bytes {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw invalidParams(`${name}: expected a 32-byte hash`);
  return hexToBytes(v as Hex);
}
function params(p: unknown): unknown[] {
  if (p === undefined || p === null) return [];
  if (!Array.isArray(p)) throw invalidParams('params must be an array');
  return p;
}

export interface RpcContext {
  chain: Chain;
  mode: 'dev' | 'production';
  devKeys: Map<string, Hex>;
  /** perm_* admin methods are only served in-process unless the server is told otherwise. */
  admin: boolean;
  /** Which call-worker lane this endpoint's eth_call/eth_estimateGas use (default trusted). */
  lane?: CallLane;
  /** Installed polling filters (eth_newFilter / eth_newBlockFilter), shared by all transports. */
  filters?: Map<string, PollFilter>;
}

export interface PollFilter { kind: 'logs' | 'blocks'; filter?: LogFilter; next: bigint; touched: number }
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

// ------------------------------------------------------------------ formatting

function txFields(tx: TypedTransaction) {
  const t = tx as unknown as Record<string, unknown>;
  const json = tx.toJSON() as Record<string, unknown>;
  const out: Record<string, unknown> = {
    type: q(tx.type), nonce: q(tx.nonce), to: tx.to ? tx.to.toString() : null, value: q(tx.value), gas: q(tx.gasLimit),
    input: hex(tx.data), hash: hex(tx.hash()), v: q(tx.v ?? 0n), r: q(tx.r ?? 0n), s: q(tx.s ?? 0n),
  };
  if ('chainId' in json && json.chainId !== undefined) out.chainId = json.chainId;
  if (t.maxFeePerGas !== undefined) {
    out.maxFeePerGas = q(t.maxFeePerGas as bigint);
    out.maxPriorityFeePerGas = q(t.maxPriorityFeePerGas as bigint);
  }
  if (json.accessList !== undefined) out.accessList = json.accessList;
  if (tx.type !== 0) out.yParity = q(tx.v ?? 0n);
  return out;
}

/** Effective gas price with a zero base fee. */
function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  const t = tx as unknown as { maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint; gasPrice?: bigint };
  if (t.maxFeePerGas !== undefined) {
    const tip = t.maxPriorityFeePerGas! < t.maxFeePerGas - baseFee ? t.maxPriorityFeePerGas! : t.maxFeePerGas - baseFee;
    return baseFee + tip;
  }
  return t.gasPrice ?? 0n;
}

export function txJson(view: SealedBlockView, index: number) {
  const tx = view.tx(index);
  return {
    ...txFields(tx),
    blockHash: hex(view.hash), blockNumber: q(view.header.number), blockTimestamp: q(view.header.timestamp), transactionIndex: q(index),
    from: hex(view.receipts[index]!.from), gasPrice: q(effectiveGasPrice(tx, view.header.baseFeePerGas ?? 0n)),
  };
}

function pendingTxJson(tx: TypedTransaction, from: string) {
  const t = tx as unknown as { maxFeePerGas?: bigint; gasPrice?: bigint };
  return { ...txFields(tx), blockHash: null, blockNumber: null, blockTimestamp: null, transactionIndex: null, from, gasPrice: q(t.maxFeePerGas ?? t.gasPrice ?? 0n) };
}

function logIndexBase(view: SealedBlockView, index: number) {
  let n = 0;
  for (let i = 0; i < index; i++) n += view.receipts[i]!.logs.length;
  return n;
}

function logJson(view: SealedBlockView, txIndex: number, logIndex: number, [addr, topics, payload]: Log) {
  return {
    address: hex(addr), topics: topics.map(hex), data: hex(payload),
    blockNumber: q(view.header.number), blockHash: hex(view.hash), blockTimestamp: q(view.header.timestamp),
    transactionHash: view.hashes[txIndex], transactionIndex: q(txIndex), logIndex: q(logIndex), removed: false,
  };
}

export function receiptJson(view: SealedBlockView, index: number) {
  const r = view.receipts[index]!;
  const tx = view.tx(index);
  const bloom = new Bloom();
  for (const [addr, topics] of r.logs) { bloom.add(addr); for (const t of topics) bloom.add(t); }
  const base = logIndexBase(view, index);
  return {
    transactionHash: view.hashes[index], transactionIndex: q(index), blockHash: hex(view.hash), blockNumber: q(view.header.number),
    from: hex(r.from), to: tx.to ? tx.to.toString() : null,
    cumulativeGasUsed: q(r.cumulativeGasUsed), gasUsed: q(r.gasUsed),
    effectiveGasPrice: q(effectiveGasPrice(tx, view.header.baseFeePerGas ?? 0n)),
    contractAddress: r.contractAddress ? hex(r.contractAddress) : null,
    logs: r.logs.map((log, i) => logJson(view, index, base + i, log)),
    logsBloom: hex(bloom.bitvector), type: q(tx.type), status: q(r.status),
  };
}

export function headerJson(h: BlockHeader, hash: Bytes) {
  return {
    number: q(h.number), hash: hex(hash), parentHash: hex(h.parentHash), mixHash: hex(h.mixHash), nonce: hex(h.nonce),
    sha3Uncles: hex(h.uncleHash), logsBloom: hex(h.logsBloom), transactionsRoot: hex(h.transactionsTrie),
    stateRoot: hex(h.stateRoot), receiptsRoot: hex(h.receiptTrie), miner: h.coinbase.toString(),
    difficulty: q(h.difficulty), extraData: hex(h.extraData), gasLimit: q(h.gasLimit),
    gasUsed: q(h.gasUsed), timestamp: q(h.timestamp), baseFeePerGas: q(h.baseFeePerGas ?? 0n),
    withdrawalsRoot: h.withdrawalsRoot ? hex(h.withdrawalsRoot) : undefined,
    blobGasUsed: q(h.blobGasUsed ?? 0n), excessBlobGas: q(h.excessBlobGas ?? 0n),
    parentBeaconBlockRoot: h.parentBeaconBlockRoot ? hex(h.parentBeaconBlockRoot) : undefined,
  };
}

export function blockJson(view: SealedBlockView, full: boolean) {
  const block = view.block();
  return {
    ...headerJson(view.header, view.hash),
    // Clique has no fork choice by difficulty among one signer; reported as the chain length.
    totalDifficulty: q(view.header.number * 2n + 1n),
    size: q(block.serialize().length), uncles: [], withdrawals: [],
    transactions: full ? block.transactions.map((_, i) => txJson(view, i)) : view.hashes,
  };
}

// ------------------------------------------------------------------ helpers

type BlockRef = { view: SealedBlockView; pending: boolean };

async function resolveBlock(chain: Chain, tag: unknown, allowPending = true): Promise<BlockRef> {
  if (tag === undefined || tag === null || tag === 'latest' || tag === 'safe' || tag === 'finalized') {
    return { view: (await chain.blockByNumber(chain.head.header.number))!, pending: false };
  }
  if (tag === 'pending') return { view: (await chain.blockByNumber(chain.head.header.number))!, pending: allowPending };
  if (tag === 'earliest') return { view: (await chain.blockByNumber(0n))!, pending: false };
  if (typeof tag === 'object' && tag !== null && 'blockHash' in tag) {
    const view = await chain.blockByHash(hash32((tag as { blockHash: unknown }).blockHash, 'blockHash'));
    if (!view) throw new RpcError(-32001, 'header not found');
    return { view, pending: false };
  }
  const number = typeof tag === 'object' && tag !== null && 'blockNumber' in tag
    ? quantity((tag as { blockNumber: unknown }).blockNumber, 'blockNumber')
    : quantity(tag, 'block');
  const view = await chain.blockByNumber(number);
  if (!view) throw new RpcError(-32001, 'header not found');
  return { view, pending: false };
}

function callMessage(v: unknown): CallMessage {
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

/** Sends an eth_call / eth_estimateGas to the call workers (never run on this event loop). */
async function runInWorker(ctx: RpcContext, kind: CallJob['kind'], msg: CallMessage, tag: unknown, gas: bigint): Promise<CallOutcome> {
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

async function ethCall(ctx: RpcContext, msg: CallMessage, tag: unknown): Promise<Hex> {
  const outcome = await runInWorker(ctx, 'call', msg, tag, callGas(ctx.chain, msg));
  if (outcome.kind === 'timeout') throw serverError(new CallTimeoutError(ctx.chain.calls.timeoutMs).message);
  if (outcome.kind !== 'call') throw new RpcError(ErrorCode.internal, 'internal error: unexpected call outcome');
  if (outcome.exception === 'revert') throw revertError(hexToBytes(outcome.returnValue));
  if (outcome.exception) throw serverError(outcome.exception);
  return outcome.returnValue;
}

async function estimateGas(ctx: RpcContext, msg: CallMessage, tag: unknown): Promise<bigint> {
  // A transaction can use at most the per-transaction cap, so the search stops there.
  const max = ctx.chain.maxTxGas < callGas(ctx.chain, {}) ? ctx.chain.maxTxGas : callGas(ctx.chain, {});
  const cap = msg.gas !== undefined && msg.gas < max ? msg.gas : max;
  const outcome = await runInWorker(ctx, 'estimate', msg, tag ?? 'pending', cap);
  if (outcome.kind === 'estimate') return BigInt(outcome.gas);
  if (outcome.kind === 'timeout') throw serverError(new CallTimeoutError(ctx.chain.calls.timeoutMs).message);
  if (outcome.kind !== 'estimate-failed') throw new RpcError(ErrorCode.internal, 'internal error: unexpected call outcome');
  if (outcome.exception === 'revert') throw revertError(hexToBytes(outcome.returnValue));
  if (outcome.exception === 'intrinsic gas too low') throw serverError('intrinsic gas too low');
  throw serverError(`gas required exceeds allowance (${BigInt(outcome.cap)}) or always failing transaction: ${outcome.exception}`);
}

// ------------------------------------------------------------------ logs

export interface LogFilter { from: bigint; to: bigint; addresses: Bytes[] | undefined; topics: (Bytes[] | null)[] }

export function parseLogFilter(chain: Chain, v: unknown, headNumber: bigint): LogFilter & { blockHash?: Bytes } {
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
  void chain;
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

export const MAX_LOGS = 10_000;
const MAX_BLOCK = 2n ** 63n;

/** A parsed filter back in its JSON-RPC shape (for re-use by the filter methods). */
function filterObject(f: LogFilter) {
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
  const f = parseLogFilter(chain, raw, chain.head.header.number);
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

// ------------------------------------------------------------------ methods

async function sendTransaction(ctx: RpcContext, v: unknown): Promise<Hex> {
  if (ctx.mode !== 'dev') throw new RpcError(ErrorCode.methodNotFound, 'eth_sendTransaction is only available in dev mode; sign locally and use eth_sendRawTransaction');
  const msg = callMessage(v);
  const o = v as Record<string, unknown>;
  if (!msg.from) throw invalidParams('from is required');
  const key = ctx.devKeys.get(msg.from.toString());
  if (!key) throw new RpcError(ErrorCode.server, 'unknown account');
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

function devKey(ctx: RpcContext, who: unknown): Hex {
  if (ctx.mode !== 'dev') throw new RpcError(ErrorCode.methodNotFound, 'signing methods are only available in dev mode');
  const key = ctx.devKeys.get(address(who, 'address').toString());
  if (!key) throw new RpcError(ErrorCode.server, 'unknown account');
  return key;
}

function devOnly(ctx: RpcContext, method: string) {
  if (ctx.mode !== 'dev') throw new RpcError(ErrorCode.methodNotFound, `the method ${method} does not exist/is not available (dev mode only)`);
}

export async function handle(ctx: RpcContext, method: string, rawParams: unknown): Promise<unknown> {
  const { chain } = ctx;
  const p = params(rawParams);
  switch (method) {
    case 'web3_clientVersion': return CLIENT_VERSION;
    case 'web3_sha3': { const { keccak256 } = await import('viem'); return keccak256(data(p[0], 'data')); }
    case 'net_version': return String(chain.options.chainId);
    case 'net_listening': return true;
    case 'net_peerCount': return '0x0';
    case 'eth_chainId': return q(chain.options.chainId);
    case 'eth_blockNumber': return q(chain.head.header.number);
    case 'eth_syncing': return false;
    case 'eth_mining': return true;
    case 'eth_hashrate': return '0x0';
    case 'eth_coinbase': return chain.signer.toString();
    case 'eth_accounts': return ctx.mode === 'dev' ? [...ctx.devKeys.keys()] : [];
    case 'eth_gasPrice': return '0x0';
    case 'eth_maxPriorityFeePerGas': return '0x0';
    case 'eth_blobBaseFee': return '0x0';
    case 'eth_feeHistory': {
      const count = Number(quantity(p[0], 'blockCount'));
      if (count < 1 || count > 1024) throw invalidParams('blockCount must be 1..1024');
      const newest = (await resolveBlock(chain, p[1], false)).view.header.number;
      const percentiles = Array.isArray(p[2]) ? p[2] : undefined;
      const oldest = newest + 1n >= BigInt(count) ? newest + 1n - BigInt(count) : 0n;
      const ratios: number[] = [];
      for (let n = oldest; n <= newest; n++) {
        const h = (await chain.blockByNumber(n))!.header;
        ratios.push(Number(h.gasUsed) / Number(h.gasLimit));
      }
      return {
        oldestBlock: q(oldest), baseFeePerGas: [...ratios, 0].map(() => '0x0'), gasUsedRatio: ratios,
        baseFeePerBlobGas: [...ratios, 0].map(() => '0x0'), blobGasUsedRatio: ratios.map(() => 0),
        ...(percentiles ? { reward: ratios.map(() => percentiles.map(() => '0x0')) } : {}),
      };
    }
    case 'eth_getBlockByNumber': case 'eth_getBlockByHash': {
      // Both parameters are required (execution-apis); geth answers -32602 with this text.
      if (p.length < 2) throw invalidParams('missing value for required argument 1');
      if (typeof p[1] !== 'boolean') throw invalidParams('hydrated transactions: expected a boolean');
      let view: SealedBlockView | undefined;
      if (method === 'eth_getBlockByHash') view = await chain.blockByHash(hash32(p[0], 'blockHash'));
      else if (p[0] === 'pending') view = await chain.blockByNumber(chain.head.header.number);
      else if (typeof p[0] === 'string' && p[0].startsWith('0x')) view = await chain.blockByNumber(quantity(p[0], 'block'));
      else view = (await resolveBlock(chain, p[0])).view;
      return view ? blockJson(view, p[1] === true) : null;
    }
    case 'eth_getBlockTransactionCountByNumber': case 'eth_getBlockTransactionCountByHash': {
      const view = method.endsWith('Hash') ? await chain.blockByHash(hash32(p[0], 'blockHash')) : (await resolveBlock(chain, p[0])).view;
      return view ? q(view.txCount) : null;
    }
    case 'eth_getUncleCountByBlockNumber': case 'eth_getUncleCountByBlockHash': return '0x0';
    case 'eth_getTransactionByHash': {
      const h = hash32(p[0], 'hash');
      const found = await chain.txByHash(h);
      if (found) return txJson(found.view, found.index);
      const pending = chain.pool.byHash.get(hex(h));
      return pending ? pendingTxJson(pending.tx, pending.senderHex) : null;
    }
    case 'eth_getTransactionByBlockNumberAndIndex': case 'eth_getTransactionByBlockHashAndIndex': {
      const view = method.includes('Hash') ? await chain.blockByHash(hash32(p[0], 'blockHash')) : (await resolveBlock(chain, p[0])).view;
      const i = Number(quantity(p[1], 'index'));
      return view && i < view.txCount ? txJson(view, i) : null;
    }
    case 'eth_getTransactionReceipt': {
      const found = await chain.txByHash(hash32(p[0], 'hash'));
      return found ? receiptJson(found.view, found.index) : null;
    }
    case 'eth_getBlockReceipts': {
      const { view } = await resolveBlock(chain, p[0], false);
      return view.receipts.map((_, i) => receiptJson(view, i));
    }
    case 'eth_getTransactionCount': {
      const who = address(p[0], 'address');
      if (p[1] === 'pending') return q(chain.pool.pendingNonce(who.toString(), await chain.stateNonce(who)));
      const { view } = await resolveBlock(chain, p[1]);
      return q(await chain.withState(view.header, async (vm) => ((await vm.stateManager.getAccount(who)) ?? new Account()).nonce));
    }
    case 'eth_getBalance': {
      const who = address(p[0], 'address');
      const { view } = await resolveBlock(chain, p[1]);
      return q(await chain.withState(view.header, async (vm) => ((await vm.stateManager.getAccount(who)) ?? new Account()).balance));
    }
    case 'eth_getCode': {
      const who = address(p[0], 'address');
      const { view } = await resolveBlock(chain, p[1]);
      return hex(await chain.withState(view.header, (vm) => vm.stateManager.getCode(who)));
    }
    case 'eth_getStorageAt': {
      const who = address(p[0], 'address');
      const slot = setLengthLeft(hexToBytes(q(quantity(p[1], 'slot'))), 32);
      const { view } = await resolveBlock(chain, p[2]);
      const value = await chain.withState(view.header, (vm) => vm.stateManager.getStorage(who, slot));
      return hex(setLengthLeft(value, 32));
    }
    case 'eth_call': {
      const msg = callMessage(p[0]);
      if (p[2] !== undefined && p[2] !== null) throw invalidParams('state overrides are not supported');
      return ethCall(ctx, msg, p[1]);
    }
    case 'eth_estimateGas': return q(await estimateGas(ctx, callMessage(p[0]), p[1]));
    case 'eth_sendRawTransaction': return chain.submitRaw(data(p[0], 'transaction'));
    case 'eth_sendTransaction': return sendTransaction(ctx, p[0]);
    case 'eth_sign': return privateKeyToAccount(devKey(ctx, p[0])).signMessage({ message: { raw: data(p[1], 'message') } });
    case 'personal_sign': return privateKeyToAccount(devKey(ctx, p[1])).signMessage({ message: { raw: data(p[0], 'message') } });
    case 'eth_signTypedData_v4': {
      const key = devKey(ctx, p[0]);
      try {
        const typed = typeof p[1] === 'string' ? JSON.parse(p[1]) : p[1];
        return await privateKeyToAccount(key).signTypedData(typed);
      } catch (e) {
        throw invalidParams(`typed data: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    case 'eth_getLogs': return getLogs(chain, p[0]);
    case 'eth_newFilter': case 'eth_newBlockFilter': {
      const head = chain.head.header.number;
      let entry: PollFilter = { kind: 'blocks', next: head + 1n, touched: Date.now() };
      if (method === 'eth_newFilter') {
        // 'latest' as toBlock keeps the filter open-ended; as fromBlock it means "from now on".
        const open = parseLogFilter(chain, p[0], MAX_BLOCK);
        const now = parseLogFilter(chain, p[0], head);
        entry = { kind: 'logs', filter: { ...open, from: now.from }, next: now.from > head ? now.from : head + 1n, touched: Date.now() };
      }
      const id = q(BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`));
      filters(ctx).set(id, entry);
      return id;
    }
    case 'eth_getFilterChanges': {
      const f = filterOf(ctx, p[0]);
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
    }
    case 'eth_getFilterLogs': {
      const f = filterOf(ctx, p[0]);
      if (f.kind !== 'logs') throw serverError('filter is not a log filter');
      const head = chain.head.header.number;
      const to = f.filter!.to < head ? f.filter!.to : head;
      return f.filter!.from > to ? [] : getLogs(chain, filterObject({ ...f.filter!, to }));
    }
    case 'eth_uninstallFilter': return typeof p[0] === 'string' && filters(ctx).delete(p[0].toLowerCase());
    case 'clique_getSigners': return [chain.signer.toString()];
    case 'txpool_status': return { pending: q(chain.pool.pendingCount), queued: q(chain.pool.queuedCount) };

    // --- dev-mode time control (hardhat / anvil names as aliases)
    case 'evm_increaseTime': {
      devOnly(ctx, method);
      const seconds = Number(intOrQuantity(p[0], 'seconds'));
      chain.timeOffset += seconds;
      return q(chain.timeOffset);
    }
    case 'evm_setNextBlockTimestamp': case 'anvil_setNextBlockTimestamp': {
      devOnly(ctx, method);
      const ts = intOrQuantity(p[0], 'timestamp');
      if (ts <= chain.head.header.timestamp) throw invalidParams(`timestamp ${ts} is not after the latest block's ${chain.head.header.timestamp}`);
      chain.nextTimestamp = ts;
      // Later blocks continue from here, as in Hardhat.
      chain.timeOffset = Number(ts) - Math.floor(Date.now() / 1000);
      return null;
    }
    case 'evm_mine': case 'anvil_mine': case 'hardhat_mine': {
      devOnly(ctx, method);
      let count = 1n;
      if (method !== 'evm_mine' && p[0] !== undefined) count = quantity(p[0], 'blocks');
      if (method === 'evm_mine' && p[0] !== undefined && p[0] !== null) {
        const ts = intOrQuantity(p[0], 'timestamp');
        if (ts <= chain.head.header.timestamp) throw invalidParams('timestamp must be after the latest block');
        chain.nextTimestamp = ts;
        chain.timeOffset = Number(ts) - Math.floor(Date.now() / 1000);
      }
      if (count > 10_000n) throw invalidParams('at most 10000 blocks at once');
      for (let i = 0n; i < count; i++) await chain.mine();
      return method === 'evm_mine' ? '0' : null;
    }

    // --- account permissioning (Besu's perm_* names)
    case 'perm_getAccountsAllowlist':
      if (!ctx.admin) throw new RpcError(ErrorCode.methodNotFound, `the method ${method} is not available on this endpoint`);
      return chain.permissioning === 'open' ? null : chain.allowlist();
    case 'perm_addAccountsToAllowlist': case 'perm_removeAccountsFromAllowlist': {
      if (!ctx.admin) throw new RpcError(ErrorCode.methodNotFound, `the method ${method} is not available on this endpoint`);
      if (!Array.isArray(p[0])) throw invalidParams('expected an array of addresses');
      const list = p[0].map((a) => address(a, 'address').toString());
      await chain.setAllowed(list, method === 'perm_addAccountsToAllowlist');
      return 'Success';
    }
    default:
      throw new RpcError(ErrorCode.methodNotFound, `the method ${method} does not exist/is not available`);
  }
}

export { pendingTxJson };
