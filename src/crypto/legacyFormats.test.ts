/**
 * Format compatibility: records and streams sealed by the pure WebCrypto + @noble/hashes code (before
 * the node:crypto fast path) still open, and the Node and browser paths (platform.ts) read each
 * other's output byte for byte.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, utf8ToBytes } from './bytes.ts';
import { integrityHash, verifyIntegrity } from './integrity.ts';
import { openRecord, sealRecord } from './sealRecord.ts';
import { openStream, sealStream } from './stream.ts';
import { DecryptionError } from './errors.ts';
import { nodeCrypto, withBrowserCrypto } from './platform.ts';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'legacyFormats.fixture.json'), 'utf8'));
const binding = fixture.binding;
const streamPlaintext = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) & 0xff);

async function through(bytes: Uint8Array, transform: TransformStream<Uint8Array, Uint8Array>, piece = 700): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const src = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += piece) c.enqueue(bytes.subarray(i, i + piece));
      c.close();
    },
  });
  await src.pipeThrough(transform).pipeTo(new WritableStream({ write(chunk) { parts.push(chunk); } }));
  return Buffer.concat(parts);
}

const paths: Array<[string, <T>(fn: () => Promise<T>) => Promise<T>]> = [
  ['node:crypto', (fn) => fn()],
  ['WebCrypto (browser path)', withBrowserCrypto],
];

describe('sealed formats stay byte-compatible', () => {
  it('runs the node:crypto path on Node', () => assert.ok(nodeCrypto()));

  for (const [name, run] of paths) {
    it(`${name}: opens a record sealed by the old code and checks its on-chain hash`, () => run(async () => {
      const r = fixture.record;
      const opened = await openRecord(fromHex(r.ciphertext), fromHex(r.dataKey), binding);
      assert.deepEqual(opened.plaintext, utf8ToBytes(r.plaintextUtf8));
      assert.deepEqual(opened.salt, fromHex(r.salt));
      assert.equal(integrityHash(opened.plaintext, opened.salt), r.integrityHash);
      assert.ok(verifyIntegrity(opened.plaintext, opened.salt, r.integrityHash));
      const tampered = fromHex(r.ciphertext);
      tampered[20]! ^= 1;
      await assert.rejects(openRecord(tampered, fromHex(r.dataKey), binding), DecryptionError);
      await assert.rejects(openRecord(fromHex(r.ciphertext), fromHex(r.dataKey), { ...binding, version: 3 }), DecryptionError);
    }));

    it(`${name}: opens a stream sealed by the old code`, () => run(async () => {
      const s = fixture.stream;
      const opener = openStream(fromHex(s.dataKey), binding);
      assert.deepEqual(await through(fromHex(s.sealed), opener), Buffer.from(streamPlaintext));
      const result = await opener.result;
      assert.deepEqual(result.salt, fromHex(s.salt));
      assert.equal(result.integrityHash, s.integrityHash);
      const cut = fromHex(s.sealed).subarray(0, 31 + 1040);
      await assert.rejects(through(cut, openStream(fromHex(s.dataKey), binding)), DecryptionError);
    }));
  }

  it('a record sealed on one path opens on the other, with the same hash', async () => {
    const text = utf8ToBytes('x'.repeat(70_000));
    const fromNode = await sealRecord(text, binding);
    const fromWeb = await withBrowserCrypto(() => sealRecord(text, binding));
    const openedOnWeb = await withBrowserCrypto(() => openRecord(fromNode.ciphertext, fromNode.dataKey, binding));
    const openedOnNode = await openRecord(fromWeb.ciphertext, fromWeb.dataKey, binding);
    assert.deepEqual(openedOnWeb.plaintext, text);
    assert.deepEqual(openedOnNode.plaintext, text);
    assert.equal(await withBrowserCrypto(async () => integrityHash(text, fromNode.salt)), fromNode.integrityHash);
    assert.equal(integrityHash(text, fromWeb.salt), fromWeb.integrityHash);
  });

  it('a stream sealed on one path opens on the other', async () => {
    const sealer = sealStream(binding, { chunkSize: 1024 });
    const sealed = await through(streamPlaintext, sealer);
    const opened = await withBrowserCrypto(async () => {
      const opener = openStream(sealer.dataKey, binding);
      const bytes = await through(sealed, opener, 333);
      return { bytes, hash: (await opener.result).integrityHash };
    });
    assert.deepEqual(opened.bytes, Buffer.from(streamPlaintext));
    assert.equal(opened.hash, await sealer.integrityHash);
  });
});
