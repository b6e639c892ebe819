import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decryptKeystore, encryptKeystore, generateDataKey, KeystorePassphraseError } from '../crypto/index.ts';
import { nativeScrypt } from './nativeScrypt.ts';

test('node:crypto scrypt opens keystores written with @noble/hashes, and refuses a wrong passphrase', async () => {
  const key = generateDataKey();
  const ks = await encryptKeystore(key, 'pw 1', { scryptN: 1024, kind: 'encryption' });
  const [native, portable] = await Promise.all([decryptKeystore(ks, 'pw 1', { scrypt: nativeScrypt }), decryptKeystore(ks, 'pw 1')]);
  assert.deepEqual(native.privateKey, key);
  assert.deepEqual(native, portable);
  await assert.rejects(decryptKeystore(ks, 'pw 2', { scrypt: nativeScrypt }), KeystorePassphraseError);
});
