/**
 * On-disk layout of the embedded node (one LevelDB via classic-level).
 *
 * Every sealed block is committed in ONE LevelDB batch written with `sync: true`: the new state
 * trie nodes, the block, its receipts, the tx-hash and log indexes and the head pointer. A
 * receipt is only ever served from this store, so nothing the node acknowledged can be lost by a
 * crash, and after a crash the head, state root, receipts and logs are those of one committed
 * block. Restart reads the head pointer and reopens the state trie at the head's state root; no
 * history is replayed.
 *
 * Key prefixes (one byte):
 *   01 trie node / contract code (key = the trie's own hex key)   06 address(20) block(8) -> ''  log index
 *   02 block number(8) -> block RLP                               07 topic(32) block(8) -> ''    log index
 *   03 block hash(32) -> block number(8)                          08 'head' -> block number(8)
 *   04 block number(8) -> receipts RLP                            09 'config' -> JSON
 *   05 tx hash(32) -> block number(8) ++ tx index(4)              0a address(20) -> '' account allowlist
 */
import { ClassicLevel } from 'classic-level';
import type { BatchDBOp, DB, EncodingOpts } from '@ethereumjs/util';
import { bytesToHex, hexToBytes, unprefixedHexToBytes } from '@ethereumjs/util';

type Bytes = Uint8Array;
export type StoreOp = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };

export const P = { trie: 1, block: 2, hash: 3, receipts: 4, tx: 5, logAddress: 6, logTopic: 7, head: 8, config: 9, allow: 10 } as const;

export function key(prefix: number, ...parts: Bytes[]): Bytes {
  let length = 1;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  out[0] = prefix;
  let offset = 1;
  for (const p of parts) { out.set(p, offset); offset += p.length; }
  return out;
}

export function u64(n: bigint | number): Bytes {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}
export function readU64(bytes: Bytes, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
}

const EMPTY = new Uint8Array(0);
const EMPTY_TRIE_ROOT = '56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
const HEAD_KEY = key(P.head, new TextEncoder().encode('head'));
const CONFIG_KEY = key(P.config, new TextEncoder().encode('config'));

export interface StoredConfig { chainId: number; signer: string; genesisHash: string; createdAt: string }

export class ChainStore {
  /** Trie writes since the last commit (hex key -> node); flushed with the next block. */
  private overlay = new Map<string, Bytes>();
  /** Writes being flushed right now (still readable until LevelDB has them). */
  private flushing: Map<string, Bytes> | undefined;
  /**
   * Read cache of trie nodes. Nodes are content-addressed (key = hash of value) and never
   * change, so caching them is always safe; it spares LevelDB reads on every eth_call.
   */
  private nodeCache = new Map<string, Bytes>();
  static readonly NODE_CACHE_SIZE = 200_000;

  private cacheNode(k: string, v: Bytes) {
    if (this.nodeCache.size >= ChainStore.NODE_CACHE_SIZE) this.nodeCache.delete(this.nodeCache.keys().next().value!);
    this.nodeCache.set(k, v);
  }

  private constructor(readonly db: ClassicLevel<Bytes, Bytes>) {}

  static async open(path: string): Promise<ChainStore> {
    const db = new ClassicLevel<Bytes, Bytes>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    return new ChainStore(db);
  }

  async close(): Promise<void> { await this.db.close(); }

  async get(k: Bytes): Promise<Bytes | undefined> {
    return (await this.db.get(k)) ?? undefined;
  }

  /** The ethereumjs `DB` the state trie writes through: buffered in memory until `commit`. */
  trieDb(): DB<string, string | Bytes> {
    const get = async (k: string): Promise<Bytes | undefined> => {
      // The empty trie's root has no node; every account without storage asks for it.
      if (k === EMPTY_TRIE_ROOT) return undefined;
      const hit = this.overlay.get(k) ?? this.flushing?.get(k) ?? this.nodeCache.get(k);
      if (hit) return hit;
      const v = await this.get(key(P.trie, unprefixedHexToBytes(k)));
      if (v) this.cacheNode(k, v);
      return v;
    };
    const toBytes = (v: string | Bytes) => (typeof v === 'string' ? unprefixedHexToBytes(v) : v);
    const db: DB<string, string | Bytes> = {
      get: (k: string, _opts?: EncodingOpts) => get(k),
      put: async (k: string, v: string | Bytes) => { this.overlay.set(k, toBytes(v)); },
      // The trie runs without pruning (history stays readable), so deletes are not expected;
      // we ignore them rather than lose a node another root still references.
      del: async () => {},
      batch: async (ops: BatchDBOp<string, string | Bytes>[]) => {
        for (const op of ops) if (op.type === 'put') this.overlay.set(op.key, toBytes(op.value));
      },
      shallowCopy: () => db,
      open: async () => {},
    };
    return db;
  }

  /** Writes the buffered trie nodes plus `ops` in one synced batch. */
  async commit(ops: StoreOp[]): Promise<void> {
    const pending = this.overlay;
    this.overlay = new Map();
    this.flushing = pending;
    const batch = this.db.batch();
    for (const [k, v] of pending) batch.put(key(P.trie, unprefixedHexToBytes(k)), v);
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync: true });
    for (const [k, v] of pending) this.cacheNode(k, v);
    this.flushing = undefined;
  }

  /** Drops trie writes of a block that was not committed. */
  discardPending(): void { this.overlay = new Map(); }

  async readHead(): Promise<bigint | undefined> {
    const v = await this.get(HEAD_KEY);
    return v ? readU64(v) : undefined;
  }
  headOp(number: bigint): StoreOp { return { type: 'put', key: HEAD_KEY, value: u64(number) }; }

  async readConfig(): Promise<StoredConfig | undefined> {
    const v = await this.get(CONFIG_KEY);
    return v ? (JSON.parse(new TextDecoder().decode(v)) as StoredConfig) : undefined;
  }
  configOp(config: StoredConfig): StoreOp {
    return { type: 'put', key: CONFIG_KEY, value: new TextEncoder().encode(JSON.stringify(config)) };
  }

  async blockRlp(number: bigint): Promise<Bytes | undefined> { return this.get(key(P.block, u64(number))); }
  async numberOfHash(hash: Bytes): Promise<bigint | undefined> {
    const v = await this.get(key(P.hash, hash));
    return v ? readU64(v) : undefined;
  }
  async receiptsRlp(number: bigint): Promise<Bytes | undefined> { return this.get(key(P.receipts, u64(number))); }
  async txLocation(hash: Bytes): Promise<{ number: bigint; index: number } | undefined> {
    const v = await this.get(key(P.tx, hash));
    if (!v) return undefined;
    return { number: readU64(v), index: new DataView(v.buffer, v.byteOffset + 8, 4).getUint32(0) };
  }

  /** Block numbers in [from, to] whose logs mention `indexKey` (an address or a topic). */
  async blocksWithLogKey(prefix: number, indexKey: Bytes, from: bigint, to: bigint): Promise<bigint[]> {
    const out: bigint[] = [];
    const base = indexKey.length + 1;
    for await (const k of this.db.keys({ gte: key(prefix, indexKey, u64(from)), lte: key(prefix, indexKey, u64(to)) })) {
      out.push(readU64(k, base));
    }
    return out;
  }

  async allowlist(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of this.db.keys({ gt: key(P.allow), lt: key(P.allow + 1) })) out.push(bytesToHex(k.subarray(1)));
    return out;
  }
  async setAllowed(addresses: string[], allowed: boolean): Promise<void> {
    const batch = this.db.batch();
    for (const a of addresses) {
      const k = key(P.allow, hexToBytes(a as `0x${string}`));
      if (allowed) batch.put(k, EMPTY); else batch.del(k);
    }
    await batch.write({ sync: true });
  }
}

export { EMPTY };
