import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { blindCategory, gatewayWrappingKeyPair, generateCategoryKey, unwrapCategoryKey, wrapCategoryKey } from './categoryKey.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import { generateEncryptionKeyPair } from './hpke.ts';

const PATIENT = '0x07b435c8c4c5ac4cdac2fb8c4a1fed92b47c3db0';

describe('blinded record categories', () => {
  it('is HMAC-SHA256(key, "medchain:category:v1" 0x00 type), checked against Node\'s own HMAC', () => {
    const key = new Uint8Array(32).fill(7);
    const expected = `0x${createHmac('sha256', key).update(Buffer.concat([Buffer.from('medchain:category:v1'), Buffer.of(0), Buffer.from('Observation')])).digest('hex')}`;
    assert.equal(blindCategory(key, 'Observation'), expected);
  });

  it('differs between keys (patients) and between types; equal for equal inputs', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
      fc.pre(Buffer.compare(a, b) !== 0);
      assert.notEqual(blindCategory(a, 'Observation'), blindCategory(b, 'Observation'));
      assert.notEqual(blindCategory(a, 'Observation'), blindCategory(a, 'Condition'));
      assert.equal(blindCategory(a, 'Observation'), blindCategory(Uint8Array.from(a), 'Observation'));
    }), { numRuns: 50 });
  });

  it('refuses bad keys and type names', () => {
    assert.throws(() => blindCategory(new Uint8Array(31), 'Observation'), CryptoInputError);
    assert.throws(() => blindCategory(generateCategoryKey(), 'observation;drop'), CryptoInputError);
    assert.throws(() => blindCategory(generateCategoryKey(), ''), CryptoInputError);
  });

  it('envelopes open only for the recipient and the patient they are bound to', async () => {
    const key = generateCategoryKey();
    const recipient = generateEncryptionKeyPair();
    const envelope = await wrapCategoryKey(key, recipient.publicKey, PATIENT);
    assert.deepEqual(await unwrapCategoryKey(envelope, recipient.privateKey, PATIENT), key);
    await assert.rejects(unwrapCategoryKey(envelope, generateEncryptionKeyPair().privateKey, PATIENT), DecryptionError);
    await assert.rejects(unwrapCategoryKey(envelope, recipient.privateKey, '0x0000000000000000000000000000000000000001'), DecryptionError);
  });

  it('the gateway wrapping key is a stable function of the operator key', () => {
    const operator = new Uint8Array(32).fill(1);
    assert.deepEqual(gatewayWrappingKeyPair(operator).publicKey, gatewayWrappingKeyPair(Uint8Array.from(operator)).publicKey);
    assert.notDeepEqual(gatewayWrappingKeyPair(operator).publicKey, gatewayWrappingKeyPair(new Uint8Array(32).fill(2)).publicKey);
  });
});
