import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { isValidSecp256k1Key, randomKey } from './randomKey.ts';
import { encryptionPublicKey } from './hpke.ts';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.padStart(64, '0'), 'hex'));

test('fresh keys are 32 distinct bytes, usable as secp256k1 and X25519 private keys', () => {
  const keys = Array.from({ length: 64 }, () => randomKey());
  assert.ok(keys.every((k) => k.length === 32));
  assert.equal(new Set(keys.map((k) => Buffer.from(k).toString('hex'))).size, keys.length);
  for (const k of keys.slice(0, 4)) {
    assert.equal(secp256k1.getPublicKey(k, false).length, 65);
    assert.equal(encryptionPublicKey(k).length, 32);
  }
});

test('the secp256k1 range check agrees with the curve at its edges (SEC 1: 1 <= d < n)', () => {
  const n = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141';
  const nMinus1 = 'fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140';
  for (const [hex, valid] of [['0', false], ['1', true], [nMinus1, true], [n, false], ['f'.repeat(64), false]] as const) {
    assert.equal(isValidSecp256k1Key(bytes(hex)), valid, hex);
    assert.equal(secp256k1.utils.isValidSecretKey(bytes(hex)), valid, `noble agrees on ${hex}`);
  }
  assert.equal(isValidSecp256k1Key(new Uint8Array(31).fill(1)), false, 'not 32 bytes');
});
