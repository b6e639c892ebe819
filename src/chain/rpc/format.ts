/**
 * Blocks, transactions, receipts and logs in the JSON-RPC shapes geth and Besu answer with:
 * quantities as minimal hex, data as 0x-hex, pending transactions with null block fields.
 */
import type { BlockHeader } from '@ethereumjs/block';
import type { Log } from '@ethereumjs/evm';
import type { TypedTransaction } from '@ethereumjs/tx';
import { bytesToHex } from '@ethereumjs/util';
import { Bloom } from '@ethereumjs/vm';
import type { SealedBlockView } from '../blockView.ts';
import type { Bytes, Hex } from '../types.ts';

export const q = (n: bigint | number): Hex => `0x${n.toString(16)}`;
export const hex = (b: Bytes): Hex => bytesToHex(b) as Hex;

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

export function pendingTxJson(tx: TypedTransaction, from: string) {
  const t = tx as unknown as { maxFeePerGas?: bigint; gasPrice?: bigint };
  return { ...txFields(tx), blockHash: null, blockNumber: null, blockTimestamp: null, transactionIndex: null, from, gasPrice: q(t.maxFeePerGas ?? t.gasPrice ?? 0n) };
}

function logIndexBase(view: SealedBlockView, index: number) {
  let n = 0;
  for (let i = 0; i < index; i++) n += view.receipts[i]!.logs.length;
  return n;
}

export function logJson(view: SealedBlockView, txIndex: number, logIndex: number, [addr, topics, payload]: Log) {
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
