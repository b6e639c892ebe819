/**
 * A bounded in-memory LRU of hot blobs in front of any BlobStore. Blobs are immutable and named by
 * their hash, so bytes verified once on their way in (put) or out (the store's verified get) stay
 * right for as long as they are held: a hit costs one copy, no file-system trip and no SHA-256.
 *
 * Erasure wins over caching: delete() evicts first, and a read that was already in flight when a
 * delete began never puts its bytes back (a per-store delete counter, checked before inserting), so
 * shredded ciphertext is never served from memory. Hits hand out copies: a caller that modifies
 * what it got cannot change what the next reader receives.
 * Hand-written (a Map in insertion order is an LRU): the npm LRUs either bound by count only or
 * bring a dependency for forty lines.
 */
import type { BlobStat, BlobStore, ByteSource } from './BlobStore.ts';
import { canonicalCid } from './cid.ts';
import { StorageError } from './errors.ts';

export interface BlobCacheOptions {
  /** Total bytes held (0 turns the cache off). */
  maxBytes: number;
  /** Largest single blob kept (default an eighth of maxBytes): one big attachment must not flush every hot record. */
  maxEntryBytes?: number;
}

export interface BlobCacheStats {
  hits: number;
  misses: number;
  bytes: number;
  entries: number;
}

/** Default size of the gateway's blob cache: a few thousand typical FHIR records. */
export const DEFAULT_BLOB_CACHE_BYTES = 64 * 2 ** 20;

export class CachingBlobStore implements BlobStore {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;
  private bytes = 0;
  private deletes = 0;
  private hits = 0;
  private misses = 0;

  constructor(readonly inner: BlobStore, options: BlobCacheOptions) {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) throw new StorageError('blob cache size must be a whole number of bytes, 0 or more');
    this.maxBytes = options.maxBytes;
    this.maxEntryBytes = Math.min(options.maxEntryBytes ?? Math.floor(options.maxBytes / 8), options.maxBytes);
  }

  stats(): BlobCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.bytes, entries: this.entries.size };
  }

  async get(id: string): Promise<Uint8Array> {
    // Entries are keyed by canonical CID strings, so a hit on the id as given is a hit on its
    // canonical form: the parse (multibase decode and re-encode, per read) is needed only on a miss.
    const cid = this.entries.has(id) ? id : canonicalCid(id);
    const held = this.entries.get(cid);
    if (held) {
      this.hits++;
      this.entries.delete(cid); // re-insert: most recently used goes last
      this.entries.set(cid, held);
      return held.slice();
    }
    this.misses++;
    const deletesBefore = this.deletes;
    const bytes = await this.inner.get(cid);
    if (this.deletes === deletesBefore) this.remember(cid, bytes);
    return bytes;
  }

  /** Not cached on the way in: uploads are mostly bulk, and the first read fills the cache. */
  put(bytes: Uint8Array): Promise<string> {
    return this.inner.put(bytes);
  }

  putStream(source: ByteSource): Promise<string> {
    return this.inner.putStream(source);
  }

  getStream(id: string): Promise<ReadableStream<Uint8Array>> {
    return this.inner.getStream(id);
  }

  has(id: string): Promise<boolean> {
    return this.inner.has(id);
  }

  stat(id: string): Promise<BlobStat | undefined> {
    return this.inner.stat(id);
  }

  async delete(id: string): Promise<boolean> {
    const cid = canonicalCid(id);
    this.deletes++; // reads in flight since before the delete began must not cache what they read
    this.forget(cid);
    try {
      return await this.inner.delete(cid);
    } finally {
      this.deletes++; // nor reads that began while the file was being removed
      this.forget(cid);
    }
  }

  list(): AsyncIterable<string> {
    return this.inner.list();
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
    await this.inner.close();
  }

  private remember(cid: string, bytes: Uint8Array): void {
    if (bytes.length > this.maxEntryBytes || this.entries.has(cid)) return;
    this.entries.set(cid, bytes.slice()); // our own copy: the caller may modify what it was given
    this.bytes += bytes.length;
    for (const [oldest, held] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= held.length;
    }
  }

  private forget(cid: string): void {
    const held = this.entries.get(cid);
    if (!held) return;
    this.entries.delete(cid);
    this.bytes -= held.length;
  }
}

/** The store itself when the cache is off (0 bytes), else the store behind a cache of that size. */
export function withBlobCache(store: BlobStore, maxBytes: number): BlobStore {
  return maxBytes === 0 ? store : new CachingBlobStore(store, { maxBytes });
}
