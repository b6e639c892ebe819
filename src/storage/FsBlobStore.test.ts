import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from './FsBlobStore.ts';
import { describeBlobStore } from './blobStoreContract.ts';

describeBlobStore('fs', async (dir, maxBytes) => new FsBlobStore(dir, { maxBytes }));

describe('FsBlobStore specifics', () => {
  it('removes leftover temp files on open and never lists them or stray files as blobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medchain-fs-'));
    try {
      const store = new FsBlobStore(dir);
      const cid = await store.put(new Uint8Array([1, 2, 3]));
      writeFileSync(join(dir, 'tmp', 'deadbeef.tmp'), 'half-written');
      writeFileSync(join(dir, 'blocks', 'stray.txt'), 'not a blob');
      const reopened = new FsBlobStore(dir);
      assert.deepEqual(readdirSync(join(dir, 'tmp')), []);
      const listed: string[] = [];
      for await (const c of reopened.list()) listed.push(c);
      assert.deepEqual(listed, [cid]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad constructor configuration', () => {
    assert.throws(() => new FsBlobStore(''), /directory/);
    assert.throws(() => new FsBlobStore('/tmp/x', { maxBytes: 0 }), /maxBytes/);
  });
});
