import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { openStream, sealStream, STREAM_HEADER_BYTES } from './stream.ts';
import { integrityHash } from './integrity.ts';
import { generateDataKey } from './sealRecord.ts';
import { DecryptionError, CryptoInputError } from './errors.ts';

const binding = { recordId: 'scan-42', version: 0, patient: '0x' + '66'.repeat(20) };
const CHUNK = 1024;

function source(bytes: Uint8Array, pieces: number[] = [333]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      const n = pieces[i++ % pieces.length]!;
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(value);
  }
}

async function seal(bytes: Uint8Array, chunkSize = CHUNK) {
  const s = sealStream(binding, { chunkSize });
  const sealed = await collect(source(bytes).pipeThrough(s));
  return { sealed, dataKey: s.dataKey, salt: s.salt, hash: await s.integrityHash };
}

async function open(sealed: Uint8Array, dataKey: Uint8Array, b = binding, pieces?: number[]) {
  const o = openStream(dataKey, b);
  const plain = await collect(source(sealed, pieces).pipeThrough(o));
  return { plain, ...(await o.result) };
}

const random = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
};

describe('sealed streams (STREAM construction)', () => {
  it('round-trips at chunk-boundary sizes; integrity hash matches the one-shot hash', async () => {
    for (const n of [0, 1, CHUNK - 32, CHUNK - 31, CHUNK, 2 * CHUNK - 32, 5 * CHUNK + 7]) {
      const bytes = random(n);
      const { sealed, dataKey, salt, hash } = await seal(bytes);
      assert.equal(sealed.length, STREAM_HEADER_BYTES + n + 32 + 16 * Math.max(1, Math.ceil((n + 32) / CHUNK)), `size for ${n}`);
      const opened = await open(sealed, dataKey, binding, [17, 4000, 1]);
      assert.deepEqual(Buffer.from(opened.plain), Buffer.from(bytes), `round trip ${n}`);
      assert.deepEqual(opened.salt, salt);
      assert.equal(opened.integrityHash, hash);
      assert.equal(hash, integrityHash(bytes, salt));
    }
  });

  it('property: any payload and any re-chunking of input and ciphertext round-trips', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ maxLength: 6000 }), fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 5 }),
      async (bytes, pieces) => {
        const s = sealStream(binding, { chunkSize: CHUNK });
        const sealed = await collect(source(bytes, pieces).pipeThrough(s));
        assert.deepEqual(Buffer.from((await open(sealed, s.dataKey, binding, pieces)).plain), Buffer.from(bytes));
      }), { numRuns: 40 });
  });

  it('detects truncation at and between chunk boundaries, dropped, swapped and appended chunks', async () => {
    const { sealed, dataKey } = await seal(random(4 * CHUNK), CHUNK);
    const H = STREAM_HEADER_BYTES;
    const C = CHUNK + 16;
    const chunk = (i: number) => sealed.subarray(H + i * C, H + (i + 1) * C);
    const cases: Record<string, Uint8Array> = {
      'cut at chunk boundary': sealed.subarray(0, H + 2 * C),
      'cut mid-chunk': sealed.subarray(0, H + 2 * C + 100),
      'cut in header': sealed.subarray(0, 10),
      'last byte missing': sealed.subarray(0, sealed.length - 1),
      'chunk dropped': Buffer.concat([sealed.subarray(0, H), chunk(0), chunk(2), chunk(3), sealed.subarray(H + 4 * C)]),
      'chunks swapped': Buffer.concat([sealed.subarray(0, H), chunk(1), chunk(0), sealed.subarray(H + 2 * C)]),
      'chunk appended': Buffer.concat([sealed, chunk(1)]),
      empty: new Uint8Array(0),
    };
    for (const [name, bad] of Object.entries(cases)) {
      await assert.rejects(open(bad, dataKey), DecryptionError, name);
    }
    await assert.rejects(open(sealed, dataKey, { ...binding, recordId: 'scan-43' }), /failed authentication/);
    await assert.rejects(open(sealed, generateDataKey()), DecryptionError);
  });

  it('property: any flipped bit is rejected and the result promise rejects too', async () => {
    const { sealed, dataKey } = await seal(random(3 * CHUNK), CHUNK);
    await fc.assert(fc.asyncProperty(fc.nat({ max: sealed.length * 8 - 1 }), async (bit) => {
      const bad = sealed.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const o = openStream(dataKey, binding);
      await assert.rejects(collect(source(bad).pipeThrough(o)), DecryptionError);
      await assert.rejects(o.result, DecryptionError);
    }), { numRuns: 100 });
  });

  it('rejects bad parameters', () => {
    assert.throws(() => sealStream(binding, { chunkSize: 10 }), CryptoInputError);
    assert.throws(() => sealStream({ ...binding, version: 1.5 }), /version/);
    assert.throws(() => openStream(new Uint8Array(3), binding), /data key/);
  });

  it('seals and opens 96 MiB in bounded memory', async () => {
    const total = 96 * 2 ** 20;
    const piece = 256 * 1024;
    let produced = 0;
    const expected = createHash('sha256');
    const src = new ReadableStream<Uint8Array>({
      pull(c) {
        if (produced >= total) return c.close();
        const b = new Uint8Array(piece).fill(produced / piece & 0xff);
        expected.update(b);
        produced += piece;
        c.enqueue(b);
      },
    }, { highWaterMark: 0 });
    const s = sealStream(binding);
    const o = openStream(s.dataKey, binding);
    const got = createHash('sha256');
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    await src.pipeThrough(s).pipeThrough(o).pipeTo(new WritableStream({
      write(chunk) {
        got.update(chunk);
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      },
    }));
    assert.equal(got.digest('hex'), expected.digest('hex'));
    assert.equal((await o.result).integrityHash, await s.integrityHash);
    assert.ok(peak < 48 * 2 ** 20, `peak extra ArrayBuffer memory ${(peak / 2 ** 20).toFixed(1)} MiB stays well under the 96 MiB payload`);
  });
});
