/**
 * The behaviour every BlobStore must have, as a test suite run against each backend
 * (FsBlobStore.test.ts, HeliaBlobStore.test.ts) on real directories.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256, sha512 } from 'multiformats/hashes/sha2';
const DAG_PB_CODE = 0x70;
import type { BlobStore } from './BlobStore.ts';
import { BlobIntegrityError, BlobNotFoundError, BlobTooLargeError, InvalidCidError } from './errors.ts';
import { generateEncryptionKeyPair, openRecord, sealRecord, unwrapDataKey, wrapDataKey } from '../crypto/index.ts';

export const CONTRACT_MAX_BYTES = 4 * 2 ** 20;

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/** Every file under dir whose content contains `needle` (a real scan of the disk, no backend knowledge). */
export function filesContaining(dir: string, needle: Uint8Array): string[] {
  const n = Buffer.from(needle);
  return [...filesUnder(dir)].filter((f) => statSync(f).size >= n.length && readFileSync(f).includes(n));
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

async function listAll(store: BlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const cid of store.list()) out.push(cid);
  return out.sort();
}

async function independentCid(bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString();
}

export function describeBlobStore(name: string, open: (dir: string, maxBytes: number) => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let dir: string;
    let store: BlobStore;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `medchain-blobs-${name}-`));
      store = await open(dir, CONTRACT_MAX_BYTES);
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('put/get round-trips under the CIDv1 raw sha2-256 id', async () => {
      const bytes = new TextEncoder().encode('sealed record bytes');
      const cid = await store.put(bytes);
      assert.equal(cid, await independentCid(bytes));
      assert.deepEqual(Buffer.from(await store.get(cid)), Buffer.from(bytes));
      assert.ok(await store.has(cid));
      assert.deepEqual(await store.stat(cid), { size: bytes.length });
    });

    it('deduplicates identical content', async () => {
      const bytes = new Uint8Array(1000).fill(7);
      const a = await store.put(bytes);
      const b = await store.put(bytes.slice());
      assert.equal(a, b);
      assert.equal((await listAll(store)).filter((c) => c === a).length, 1);
      assert.equal(filesContaining(dir, bytes).length, 1);
    });

    it('putStream / getStream handle multi-megabyte blobs in chunks, same CID as put', async () => {
      const bytes = new Uint8Array(3 * 2 ** 20 + 17);
      for (let i = 0; i < bytes.length; i += 65536) globalThis.crypto.getRandomValues(bytes.subarray(i, Math.min(bytes.length, i + 65536)));
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += 100_000) yield bytes.subarray(i, i + 100_000);
      }
      const cid = await store.putStream(chunks());
      assert.equal(cid, await independentCid(bytes));
      assert.ok((await collect(await store.getStream(cid))).equals(bytes));
      const viaWeb = await store.putStream(new Blob([bytes]).stream());
      assert.equal(viaWeb, cid);
    });

    it('delete erases; later reads say not found', async () => {
      const cid = await store.put(new TextEncoder().encode('to be erased'));
      assert.equal(await store.delete(cid), true);
      assert.equal(await store.delete(cid), false);
      assert.equal(await store.has(cid), false);
      assert.equal(await store.stat(cid), undefined);
      await assert.rejects(store.get(cid), BlobNotFoundError);
      await assert.rejects(store.getStream(cid), BlobNotFoundError);
    });

    it('rejects ids that are not CIDv1 raw sha2-256 (path tricks included), changing nothing', async () => {
      const before = await listAll(store);
      const sha512Cid = CID.createV1(raw.code, await sha512.digest(new Uint8Array(1))).toString();
      const dagPbCid = CID.createV1(DAG_PB_CODE, await sha256.digest(new Uint8Array(1))).toString();
      const v0 = CID.createV0(await sha256.digest(new Uint8Array(1))).toString();
      for (const bad of ['', '../../etc/passwd', 'blocks/../x', 'bafkrei/../../x', 'x'.repeat(5000), sha512Cid, dagPbCid, v0, 42]) {
        await assert.rejects(store.get(bad as string), InvalidCidError, `get(${String(bad).slice(0, 20)})`);
        await assert.rejects(store.delete(bad as string), InvalidCidError);
        await assert.rejects(store.has(bad as string), InvalidCidError);
      }
      assert.deepEqual(await listAll(store), before);
    });

    it('detects corruption on disk on every read', async () => {
      const bytes = new TextEncoder().encode('integrity matters '.repeat(50));
      const cid = await store.put(bytes);
      const [file] = filesContaining(dir, bytes);
      assert.ok(file, 'blob file found on disk');
      const onDisk = readFileSync(file);
      onDisk[onDisk.indexOf(Buffer.from(bytes)) + 5]! ^= 0x01;
      writeFileSync(file, onDisk);
      await assert.rejects(store.get(cid), /corrupted/);
      await assert.rejects(collect(await store.getStream(cid)), BlobIntegrityError);
    });

    it('refuses blobs over maxBytes and leaves nothing behind', async () => {
      const before = await listAll(store);
      await assert.rejects(store.put(new Uint8Array(CONTRACT_MAX_BYTES + 1)), BlobTooLargeError);
      async function* big() {
        for (let i = 0; i < 5; i++) yield new Uint8Array(2 ** 20).fill(i + 1);
      }
      await assert.rejects(store.putStream(big()), BlobTooLargeError);
      assert.deepEqual(await listAll(store), before);
      assert.equal(filesContaining(dir, new Uint8Array(2 ** 16).fill(3)).length, 0, 'no partial blob on disk');
    });

    it('a source that fails mid-stream stores nothing and passes the error on', async () => {
      const before = await listAll(store);
      const marker = new Uint8Array(70_000).fill(0xee);
      async function* failing() {
        yield marker;
        throw new Error('upload connection reset');
      }
      await assert.rejects(store.putStream(failing()), /upload connection reset/);
      assert.deepEqual(await listAll(store), before);
      assert.deepEqual(filesContaining(dir, marker.subarray(0, 4096)), []);
    });

    it('property: arbitrary bytes round-trip', async () => {
      await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        const cid = await store.put(bytes);
        assert.deepEqual(Buffer.from(await store.get(cid)), Buffer.from(bytes));
      }), { numRuns: 30 });
    });

    it('crypto-shredding: after deleting the ciphertext and every envelope nothing readable remains', async () => {
      const patient = generateEncryptionKeyPair();
      const grantee = generateEncryptionKeyPair();
      const binding = { recordId: 'shred-me', version: 0, patient: '0x' + '55'.repeat(20) };
      const plaintext = new TextEncoder().encode('{"diagnosis":"confidential diagnosis text"}');
      const sealed = await sealRecord(plaintext, binding);
      const ctCid = await store.put(sealed.ciphertext);
      const envCids = [
        await store.put(await wrapDataKey(sealed.dataKey, patient.publicKey, binding)),
        await store.put(await wrapDataKey(sealed.dataKey, grantee.publicKey, binding)),
      ];
      // Readable before erasure.
      const key = await unwrapDataKey(await store.get(envCids[0]!), patient.privateKey, binding);
      assert.deepEqual((await openRecord(await store.get(ctCid), key, binding)).plaintext, plaintext);
      // Erase: envelopes and ciphertext.
      for (const cid of [ctCid, ...envCids]) assert.equal(await store.delete(cid), true);
      for (const cid of [ctCid, ...envCids]) await assert.rejects(store.get(cid), BlobNotFoundError);
      // Nothing on disk holds the ciphertext, the data key or the plaintext any more.
      assert.deepEqual(filesContaining(dir, sealed.ciphertext.subarray(13, 13 + 32)), []);
      assert.deepEqual(filesContaining(dir, sealed.dataKey), []);
      assert.deepEqual(filesContaining(dir, plaintext), []);
    });
  });
}
