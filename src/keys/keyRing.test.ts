import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { encryptionPublicKey } from '../crypto/index.ts';
import { custodianId, legacyCustodianKeys, newAccountKey, newCustodianKey } from './keyRing.ts';

test('a fresh account key is a 32-byte hex secp256k1 key, new each time', () => {
  const [a, b] = [newAccountKey(), newAccountKey()];
  assert.match(a, /^0x[0-9a-f]{64}$/);
  assert.notEqual(a, b);
  assert.match(privateKeyToAddress(a), /^0x[0-9a-fA-F]{40}$/);
});

test('a fresh custodian key is named by its own X25519 public key', () => {
  const key = newCustodianKey();
  assert.deepEqual(key.publicKey, encryptionPublicKey(key.privateKey));
  assert.equal(key.id, `x25519:${bytesToHex(key.publicKey).slice(2)}`);
  assert.equal(custodianId(key.publicKey), key.id);
  assert.notEqual(newCustodianKey().id, key.id);
});

test('legacy custodian keys are derived, per index, from the admin key alone (the same again at every start)', () => {
  const admin = `0x${'11'.repeat(32)}` as const;
  const keys = legacyCustodianKeys(admin, 2);
  assert.deepEqual(legacyCustodianKeys(admin, 2), keys);
  assert.notDeepEqual(keys[0]!.privateKey, keys[1]!.privateKey);
  assert.deepEqual(keys.map((k) => k.id), [0, 1].map((i) => `${privateKeyToAddress(admin).toLowerCase()}/${i}`));
  for (const k of keys) assert.deepEqual(k.publicKey, encryptionPublicKey(k.privateKey));
  // Pinned: the shares of migrated data directories are wrapped to exactly these keys.
  assert.deepEqual(keys.map((k) => bytesToHex(k.publicKey)), [
    '0x824c04bae7b00ea100a2cb9e40204f7b6470a66df3ddaae05aba5a2a3bbe7403',
    '0xa1482ed6c229830cfa7444aacd7b401e96b3ccfd7e222b64c2af3c0eaea2314d',
  ]);
  assert.notDeepEqual(legacyCustodianKeys(`0x${'22'.repeat(32)}`, 1)[0]!.privateKey, keys[0]!.privateKey);
});
