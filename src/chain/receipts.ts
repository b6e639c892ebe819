/** Receipts as the node stores them: what a JSON-RPC receipt needs that the block does not hold. */
import type { Log } from '@ethereumjs/evm';
import { RLP } from '@ethereumjs/rlp';
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util';
import { EMPTY } from './store.ts';
import type { Bytes } from './types.ts';

export interface StoredReceipt {
  status: 0 | 1;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  contractAddress?: Bytes;
  logs: Log[];
  from: Bytes;
  /** Stored with the receipt so that receipts and logs are served without decoding the block. */
  txHash: Bytes;
}

export function encodeReceipts(receipts: StoredReceipt[]): Bytes {
  return RLP.encode(receipts.map((r) => [
    r.status === 1 ? Uint8Array.of(1) : EMPTY,
    bigIntToUnpaddedBytes(r.cumulativeGasUsed),
    bigIntToUnpaddedBytes(r.gasUsed),
    r.contractAddress ?? EMPTY,
    r.logs,
    r.from,
    r.txHash,
  ]));
}

export function decodeReceipts(bytes: Bytes): StoredReceipt[] {
  const list = RLP.decode(bytes) as unknown as [Bytes, Bytes, Bytes, Bytes, Log[], Bytes, Bytes][];
  return list.map(([status, cumulative, gasUsed, contract, logs, from, txHash]) => ({
    status: status.length ? 1 : 0,
    cumulativeGasUsed: bytesToBigInt(cumulative),
    gasUsed: bytesToBigInt(gasUsed),
    contractAddress: contract.length ? contract : undefined,
    logs,
    from,
    txHash,
  }));
}
