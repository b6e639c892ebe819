import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeliaBlobStore } from './HeliaBlobStore.ts';
import { FsBlobStore } from './FsBlobStore.ts';
import { describeBlobStore } from './blobStoreContract.ts';

describeBlobStore('helia', (dir, maxBytes) => HeliaBlobStore.open(dir, { maxBytes }));

describe('HeliaBlobStore specifics', () => {
  it('blocks survive a restart of the Helia node; CIDs agree with FsBlobStore', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medchain-helia-'));
    try {
      const bytes = new TextEncoder().encode('portable ciphertext');
      const first = await HeliaBlobStore.open(dir);
      const cid = await first.put(bytes);
      await first.close();
      const second = await HeliaBlobStore.open(dir);
      assert.deepEqual(Buffer.from(await second.get(cid)), Buffer.from(bytes));
      assert.ok(await second.helia.pins.isPinned((await import('multiformats/cid')).CID.parse(cid)), 'blob is pinned against garbage collection');
      await second.close();
      const fs = new FsBlobStore(join(dir, 'fs'));
      assert.equal(await fs.put(bytes), cid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
