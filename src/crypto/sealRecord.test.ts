import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { openRecord, sealRecord, RECORD_OVERHEAD, generateDataKey } from './sealRecord.ts';
import { integrityHash, verifyIntegrity } from './integrity.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import { utf8ToBytes } from './bytes.ts';
import type { RecordBinding } from './binding.ts';

const binding: RecordBinding = { recordId: '0x' + 'ab'.repeat(32), version: 3, patient: '0x' + '11'.repeat(20) };
const text = utf8ToBytes('{"resourceType":"Observation","code":"2345-7","value":5.4}');

const arbBinding = fc.record({
  recordId: fc.string({ minLength: 1, maxLength: 64 }),
  version: fc.nat(),
  patient: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => '0x' + Buffer.from(b).toString('hex')),
});

describe('sealRecord / openRecord', () => {
  it('round-trips and returns the salted integrity hash', async () => {
    const sealed = await sealRecord(text, binding);
    assert.equal(sealed.ciphertext.length, text.length + RECORD_OVERHEAD);
    assert.equal(sealed.dataKey.length, 32);
    const opened = await openRecord(sealed.ciphertext, sealed.dataKey, binding);
    assert.deepEqual(opened.plaintext, text);
    assert.deepEqual(opened.salt, sealed.salt);
    assert.equal(sealed.integrityHash, integrityHash(text, sealed.salt));
    assert.ok(verifyIntegrity(opened.plaintext, opened.salt, sealed.integrityHash));
    assert.ok(!verifyIntegrity(utf8ToBytes('other'), opened.salt, sealed.integrityHash));
  });

  it('uses a fresh data key, nonce and salt every time', async () => {
    const a = await sealRecord(text, binding);
    const b = await sealRecord(text, binding);
    assert.notDeepEqual(a.dataKey, b.dataKey);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.notEqual(a.integrityHash, b.integrityHash);
  });

  it('integrity hash is sha256(salt || plaintext) (checked against node:crypto)', () => {
    const zeroSalt = new Uint8Array(32);
    // SHA-256 of 32 and of 64 zero bytes (the first two zero hashes of the deposit-contract Merkle tree).
    assert.equal(integrityHash(new Uint8Array(0), zeroSalt), '0x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
    assert.equal(integrityHash(new Uint8Array(32), zeroSalt), '0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b');
    const salt = new Uint8Array(32).fill(9);
    assert.equal(integrityHash(text, salt), '0x' + createHash('sha256').update(salt).update(text).digest('hex'));
    assert.throws(() => integrityHash(text, new Uint8Array(16)), /salt must be 32 bytes/);
  });

  it('rejects a wrong key, a wrong record id, version or patient', async () => {
    const sealed = await sealRecord(text, binding);
    await assert.rejects(openRecord(sealed.ciphertext, generateDataKey(), binding), DecryptionError);
    await assert.rejects(openRecord(sealed.ciphertext, sealed.dataKey, { ...binding, recordId: binding.recordId.replace('ab', 'ac') }), /another record id/);
    await assert.rejects(openRecord(sealed.ciphertext, sealed.dataKey, { ...binding, version: 4 }), DecryptionError);
    await assert.rejects(openRecord(sealed.ciphertext, sealed.dataKey, { ...binding, patient: '0x' + '22'.repeat(20) }), DecryptionError);
  });

  it('rejects truncation and bad inputs with clear errors', async () => {
    const sealed = await sealRecord(text, binding);
    await assert.rejects(openRecord(sealed.ciphertext.subarray(0, 20), sealed.dataKey, binding), /too short/);
    await assert.rejects(openRecord(sealed.ciphertext.subarray(0, sealed.ciphertext.length - 1), sealed.dataKey, binding), DecryptionError);
    await assert.rejects(openRecord(sealed.ciphertext, sealed.dataKey.subarray(0, 16), binding), CryptoInputError);
    await assert.rejects(sealRecord(text, { ...binding, version: -1 }), /version/);
    await assert.rejects(sealRecord(text, { ...binding, recordId: '' }), /recordId/);
    await assert.rejects(sealRecord(text, { ...binding, patient: 'bob' }), /patient/);
    await assert.rejects(sealRecord('text' as unknown as Uint8Array, binding), /Uint8Array/);
  });

  it('property: round trip for any payload and binding', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), arbBinding, async (pt, b) => {
      const sealed = await sealRecord(pt, b);
      const opened = await openRecord(sealed.ciphertext, sealed.dataKey, b);
      assert.deepEqual(opened.plaintext, pt);
    }), { numRuns: 100 });
  });

  it('property: any single flipped bit is rejected', async () => {
    const sealed = await sealRecord(text, binding);
    await fc.assert(fc.asyncProperty(fc.nat({ max: sealed.ciphertext.length * 8 - 1 }), async (bit) => {
      const bad = sealed.ciphertext.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      await assert.rejects(openRecord(bad, sealed.dataKey, binding), DecryptionError);
    }), { numRuns: 200 });
  });
});
