import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CachingBlobStore } from './CachingBlobStore.ts';
import { FsBlobStore } from './FsBlobStore.ts';
import { describeBlobStore, filesContaining } from './blobStoreContract.ts';
import { BlobIntegrityError, BlobNotFoundError, StorageError } from './errors.ts';

// The cache in front of a real FsBlobStore keeps every promise of the interface.
describeBlobStore('fs behind the blob cache', async (dir, maxBytes) => new CachingBlobStore(new FsBlobStore(dir, { maxBytes }), { maxBytes: 8 * 2 ** 20 }));

describe('CachingBlobStore', () => {
  let dir: string;
  let disk: FsBlobStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'medchain-blob-cache-'));
    disk = new FsBlobStore(dir, { fsync: false });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the verified bytes from memory on a hit, even once the file changed under it', async () => {
    const cache = new CachingBlobStore(disk, { maxBytes: 2 ** 20 });
    const bytes = new Uint8Array(randomBytes(5000));
    const cid = await cache.put(bytes);
    assert.deepEqual(await cache.get(cid), bytes);
    assert.deepEqual(cache.stats(), { hits: 0, misses: 1, bytes: 5000, entries: 1 });
    // The file is damaged on disk after it was verified: the cached copy is the one that hashed to the id.
    const [file] = filesContaining(dir, bytes);
    const damaged = readFileSync(file!);
    damaged[10]! ^= 1;
    writeFileSync(file!, damaged);
    assert.deepEqual(await cache.get(cid), bytes);
    assert.equal(cache.stats().hits, 1);
    await assert.rejects(disk.get(cid), BlobIntegrityError);
  });

  it('never caches bytes that failed verification', async () => {
    const cache = new CachingBlobStore(disk, { maxBytes: 2 ** 20 });
    const bytes = new Uint8Array(randomBytes(3000));
    const cid = await cache.put(bytes);
    const [file] = filesContaining(dir, bytes);
    const damaged = readFileSync(file!);
    damaged[7]! ^= 1;
    writeFileSync(file!, damaged);
    await assert.rejects(cache.get(cid), BlobIntegrityError);
    await assert.rejects(cache.get(cid), BlobIntegrityError);
    assert.equal(cache.stats().entries, 0);
  });

  it('hands out copies: changing what one reader got does not change what the next reads', async () => {
    const cache = new CachingBlobStore(disk, { maxBytes: 2 ** 20 });
    const bytes = new Uint8Array(randomBytes(2000));
    const cid = await cache.put(bytes);
    (await cache.get(cid)).fill(0);
    const hit = await cache.get(cid);
    assert.deepEqual(hit, bytes);
    hit.fill(0);
    assert.deepEqual(await cache.get(cid), bytes);
  });

  it('stays within its size, evicting the least recently used, and skips blobs over the entry limit', async () => {
    const cache = new CachingBlobStore(disk, { maxBytes: 40_000, maxEntryBytes: 10_000 });
    const blobs = Array.from({ length: 12 }, () => new Uint8Array(randomBytes(9_000)));
    const cids = await Promise.all(blobs.map((b) => cache.put(b)));
    await cache.get(cids[0]!);
    for (const cid of cids.slice(1)) {
      await cache.get(cid);
      await cache.get(cids[0]!); // kept hot
      assert.ok(cache.stats().bytes <= 40_000, `${cache.stats().bytes} bytes held`);
    }
    assert.equal(cache.stats().entries, 4);
    const hits = cache.stats().hits;
    await cache.get(cids[0]!);
    assert.equal(cache.stats().hits, hits + 1, 'the hot blob survived every eviction');
    await cache.get(cids[1]!);
    assert.equal(cache.stats().hits, hits + 1, 'the coldest blob was evicted');
    const big = new Uint8Array(randomBytes(20_000));
    assert.deepEqual(await cache.get(await cache.put(big)), big);
    assert.ok(cache.stats().bytes <= 40_000);
    assert.throws(() => new CachingBlobStore(disk, { maxBytes: -1 }), StorageError);
  });

  it('erasure: a cached blob that is deleted is never served again', async () => {
    const cache = new CachingBlobStore(disk, { maxBytes: 2 ** 20 });
    const bytes = new Uint8Array(randomBytes(4000));
    const cid = await cache.put(bytes);
    assert.deepEqual(await cache.get(cid), bytes);
    assert.deepEqual(await cache.get(cid), bytes);
    assert.equal(await cache.delete(cid), true);
    await assert.rejects(cache.get(cid), BlobNotFoundError);
    assert.equal(await cache.has(cid), false);
    assert.equal(cache.stats().entries, 0);
    assert.deepEqual(filesContaining(dir, bytes), []);
  });

  it('erasure: a read in flight when the delete starts does not put the bytes back', async () => {
    const cache = new CachingBlobStore(disk, { maxBytes: 2 ** 20 });
    for (let i = 0; i < 20; i++) {
      const bytes = new Uint8Array(randomBytes(64_000));
      const cid = await cache.put(bytes);
      const read = cache.get(cid).catch((e: unknown) => e);
      const erased = cache.delete(cid);
      await Promise.all([read, erased]);
      await assert.rejects(cache.get(cid), BlobNotFoundError, `round ${i}`);
      assert.equal(cache.stats().entries, 0);
    }
  });
});
