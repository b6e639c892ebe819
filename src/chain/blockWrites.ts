/**
 * The store writes of one sealed block: the block, its hash and receipts, where each transaction
 * is, the address/topic log index and the head pointer. They go into the same LevelDB batch as the
 * block's state (see store.ts), so a block is on disk whole or not at all.
 */
import { bytesToHex } from '@ethereumjs/util';
import type { SealedBlock } from './blockView.ts';
import { encodeReceipts } from './receipts.ts';
import { EMPTY, P, key, u64, type ChainStore, type StoreOp } from './store.ts';

export function blockOps(store: ChainStore, { block, receipts, hashes, rlp }: SealedBlock): StoreOp[] {
  const n = u64(block.header.number);
  const ops: StoreOp[] = [
    { type: 'put', key: key(P.block, n), value: rlp ?? block.serialize() },
    { type: 'put', key: key(P.hash, block.hash()), value: n },
    { type: 'put', key: key(P.receipts, n), value: encodeReceipts(receipts) },
  ];
  hashes.forEach((h, i) => {
    const loc = new Uint8Array(12);
    loc.set(n);
    new DataView(loc.buffer).setUint32(8, i);
    ops.push({ type: 'put', key: key(P.tx, h), value: loc });
  });
  const seen = new Set<string>();
  for (const r of receipts) {
    for (const [address, topics] of r.logs) {
      for (const [prefix, k] of [[P.logAddress, address] as const, ...topics.map((t) => [P.logTopic, t] as const)]) {
        const id = `${prefix}${bytesToHex(k)}`;
        if (seen.has(id)) continue;
        seen.add(id);
        ops.push({ type: 'put', key: key(prefix, k, n), value: EMPTY });
      }
    }
  }
  ops.push(store.headOp(block.header.number));
  return ops;
}
