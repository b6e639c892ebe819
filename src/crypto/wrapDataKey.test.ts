import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encryptionPublicKey, generateEncryptionKeyPair, hpkeSuite } from './hpke.ts';
import { ENVELOPE_BYTES, rewrapForNewKey, rotateEnvelopes, unwrapDataKey, wrapDataKey, wrapForRecipients } from './wrapDataKey.ts';
import { generateDataKey, openRecord, sealRecord } from './sealRecord.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import type { RecordBinding } from './binding.ts';

const binding: RecordBinding = { recordId: 'rec-1', version: 0, patient: '0x' + '11'.repeat(20) };

describe('HPKE key envelopes', () => {
  it('noble X25519 public keys match WebCrypto (through @hpke/core) for the same private key', async () => {
    const { privateKey, publicKey } = generateEncryptionKeyPair();
    const priv = await hpkeSuite.kem.deserializePrivateKey(privateKey);
    const jwk = await globalThis.crypto.subtle.exportKey('jwk', priv);
    assert.equal(Buffer.from(jwk.x!, 'base64url').toString('hex'), Buffer.from(publicKey).toString('hex'));
  });

  it('RFC 7748 section 6.1 X25519 vector (Alice)', () => {
    const alicePriv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    assert.equal(Buffer.from(encryptionPublicKey(alicePriv)).toString('hex'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });

  it('wraps to patient, author and grantees; each unwraps the same data key, no one opens another\'s envelope', async () => {
    const sealed = await sealRecord(new TextEncoder().encode('note'), binding);
    const people = { patient: generateEncryptionKeyPair(), author: generateEncryptionKeyPair(), grantee: generateEncryptionKeyPair() };
    const envelopes = await wrapForRecipients(sealed.dataKey, binding, Object.entries(people).map(([id, p]) => ({ id, publicKey: p.publicKey })));
    assert.deepEqual(envelopes.map((e) => e.id), ['patient', 'author', 'grantee']);
    for (const { id, envelope } of envelopes) {
      assert.equal(envelope.length, ENVELOPE_BYTES);
      const key = await unwrapDataKey(envelope, people[id as keyof typeof people].privateKey, binding);
      assert.deepEqual((await openRecord(sealed.ciphertext, key, binding)).plaintext, new TextEncoder().encode('note'));
      const other = id === 'patient' ? people.grantee : people.patient;
      await assert.rejects(unwrapDataKey(envelope, other.privateKey, binding), DecryptionError);
    }
    await assert.rejects(wrapForRecipients(sealed.dataKey, binding, []), CryptoInputError);
    await assert.rejects(wrapForRecipients(sealed.dataKey, binding, [{ id: 'a', publicKey: people.patient.publicKey }, { id: 'a', publicKey: people.author.publicKey }]), /distinct/);
  });

  it('rejects wrong private key, wrong binding, flipped bits, bad sizes', async () => {
    const alice = generateEncryptionKeyPair();
    const dataKey = generateDataKey();
    const env = await wrapDataKey(dataKey, alice.publicKey, binding);
    await assert.rejects(unwrapDataKey(env, generateEncryptionKeyPair().privateKey, binding), /wrong private key/);
    await assert.rejects(unwrapDataKey(env, alice.privateKey, { ...binding, recordId: 'rec-2' }), DecryptionError);
    await assert.rejects(unwrapDataKey(env, alice.privateKey, { ...binding, version: 1 }), DecryptionError);
    await assert.rejects(unwrapDataKey(env.subarray(0, 40), alice.privateKey, binding), DecryptionError);
    await assert.rejects(wrapDataKey(dataKey.subarray(1), alice.publicKey, binding), CryptoInputError);
    await assert.rejects(wrapDataKey(dataKey, alice.publicKey.subarray(1), binding), /public key must be 32 bytes/);
    await fc.assert(fc.asyncProperty(fc.nat({ max: env.length * 8 - 1 }), async (bit) => {
      const bad = env.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      await assert.rejects(unwrapDataKey(bad, alice.privateKey, binding), DecryptionError);
    }), { numRuns: 60 });
  });

  it('rewraps envelopes for a rotated encryption key; the old key no longer opens the new envelopes', async () => {
    const oldKey = generateEncryptionKeyPair();
    const newKey = generateEncryptionKeyPair();
    const items = await Promise.all([0, 1, 2].map(async (version) => {
      const b = { ...binding, version };
      const dataKey = generateDataKey();
      return { binding: b, dataKey, envelope: await wrapDataKey(dataKey, oldKey.publicKey, b) };
    }));
    const rotated = await rotateEnvelopes(items, oldKey.privateKey, newKey.publicKey);
    for (const [i, item] of rotated.entries()) {
      assert.deepEqual(await unwrapDataKey(item.envelope, newKey.privateKey, item.binding), items[i]!.dataKey);
      await assert.rejects(unwrapDataKey(item.envelope, oldKey.privateKey, item.binding), DecryptionError);
    }
    await assert.rejects(rewrapForNewKey(items[0]!.envelope, newKey.privateKey, newKey.publicKey, items[0]!.binding), DecryptionError);
  });
});
