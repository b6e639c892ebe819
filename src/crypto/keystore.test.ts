import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { accountAddress, changePassphrase, decryptKeystore, encryptKeystore, exportPrivateKey, importPrivateKey, parseKeystore } from './keystore.ts';
import { generateEncryptionKeyPair } from './hpke.ts';
import { KeystoreFormatError, KeystorePassphraseError, CryptoInputError } from './errors.ts';
import { generateDataKey } from './sealRecord.ts';
import { unwrapDataKey, wrapDataKey } from './wrapDataKey.ts';

// Web3 Secret Storage Definition test vectors, as kept in go-ethereum
// accounts/keystore/testdata/v3_test_vector.json (password "testpassword" / "foo").
const specPriv = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d';
const specScrypt = {
  crypto: {
    cipher: 'aes-128-ctr', cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
    ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c', kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 262144, r: 1, p: 8, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
    mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6', version: 3,
};
const specPbkdf2 = {
  crypto: {
    cipher: 'aes-128-ctr', cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46', kdf: 'pbkdf2',
    kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6', version: 3,
};
const geth31Byte = {
  crypto: {
    cipher: 'aes-128-ctr', cipherparams: { iv: 'e0c41130a323adc1446fc82f724bca2f' },
    ciphertext: '9517cd5bdbe69076f9bf5057248c6c050141e970efa36ce53692d5d59a3984', kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 2, r: 8, p: 1, salt: '711f816911c92d649fb4c84b047915679933555030b3552c1212609b38208c63' },
    mac: 'd5e116151c6aa71470e67a7d42c9620c75c4d23229847dcc127794f0732b0db5',
  },
  id: 'fecfc4ce-e956-48fd-953b-30f8b52ed66c', version: 3,
};

// A keystore written by ethers.js v4/v5 (note "Crypto", the x-ethers member, N = 2^17), published
// with its passphrase and mnemonic in a wallet's test suite; viem derives the same address from the mnemonic.
const ethersMade = '{"address":"a0eccd7605bb117dd2a4cd55979c720cf00f7fa4","id":"f17128a6-c5f0-4af0-a168-67cf6d3d8552","version":3,"Crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6167c13fe3cd195b4ce9312a9f9399ce"},"ciphertext":"2434b52afa29851edea2acb7f33dd854fc7e7b036ad6a2c3614f3d61ef0e19ce","kdf":"scrypt","kdfparams":{"salt":"b0662c8968389207137be9f346fb1cfba604f9d214e95012881025b7ebc5b9da","n":131072,"dklen":32,"p":1,"r":8},"mac":"256bd09baf3341e9f7df675b8a8cc551b86dfd0dfdf1aa8df2596882f3751496"},"x-ethers":{"client":"ethers.js","gethFilename":"UTC--2018-06-19T04-19-27.0Z--a0eccd7605bb117dd2a4cd55979c720cf00f7fa4","mnemonicCounter":"20da552ff9e584fc89194af19543a096","mnemonicCiphertext":"ff46b728607532d5be86a0647b169a18","version":"0.1"}}';
const ethersMnemonic = 'movie viable write punch mango arrest cotton page grass dad document practice';

const FAST = { scryptN: 1024 };

describe('Web3 Secret Storage v3 keystores', () => {
  it('decrypts the spec scrypt vector (made by the reference implementation)', async () => {
    const key = await decryptKeystore(JSON.stringify(specScrypt), 'testpassword');
    assert.equal(Buffer.from(key.privateKey).toString('hex'), specPriv.slice(2));
    assert.equal(key.kind, 'account');
    assert.equal(key.address, privateKeyToAccount(specPriv).address.toLowerCase());
  });

  it('decrypts the spec PBKDF2 vector and geth\'s 31-byte-key vector', async () => {
    assert.equal(await exportPrivateKey(specPbkdf2, 'testpassword'), specPriv);
    assert.equal(await exportPrivateKey(geth31Byte, 'foo'), '0x00fa7b3db73dc7dfdf8c5fbdb796d741e4488628c41fc4febd9160a866ba0f35');
  });

  it('decrypts a keystore made by ethers.js; address agrees with the mnemonic (viem)', async () => {
    const key = await decryptKeystore(ethersMade, 'dogs');
    assert.equal(key.address, mnemonicToAccount(ethersMnemonic).address.toLowerCase());
    assert.equal(privateKeyToAccount(`0x${Buffer.from(key.privateKey).toString('hex')}`).address, mnemonicToAccount(ethersMnemonic).address);
  });

  it('wrong passphrase -> KeystorePassphraseError; malformed -> KeystoreFormatError', async () => {
    await assert.rejects(decryptKeystore(geth31Byte, 'bar'), KeystorePassphraseError);
    await assert.rejects(decryptKeystore('{not json', 'foo'), /not valid JSON/);
    await assert.rejects(decryptKeystore({ ...geth31Byte, version: 2 }, 'foo'), KeystoreFormatError);
    await assert.rejects(decryptKeystore({ ...geth31Byte, crypto: { ...geth31Byte.crypto, cipher: 'aes-256-cbc' } }, 'foo'), /crypto/);
    await assert.rejects(decryptKeystore({ ...geth31Byte, crypto: { ...geth31Byte.crypto, kdfparams: { ...geth31Byte.crypto.kdfparams, n: 2 ** 30 } } }, 'foo'), /exceed the allowed cost/);
    await assert.rejects(decryptKeystore({ ...geth31Byte, address: '00'.repeat(20) }, 'foo'), /address does not match/);
  });

  it('account keys: round trip, address matches viem, interoperable layout', async () => {
    const priv = Buffer.from(generateDataKey());
    const ks = await encryptKeystore(priv, 'pässwörd', { ...FAST, address: privateKeyToAccount(`0x${priv.toString('hex')}`).address });
    assert.equal(ks.version, 3);
    assert.equal(ks.crypto?.kdf, 'scrypt');
    assert.match(ks.id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(`0x${ks.address}`, privateKeyToAccount(`0x${priv.toString('hex')}`).address.toLowerCase());
    const back = await decryptKeystore(JSON.parse(JSON.stringify(ks)), 'pässwörd');
    assert.deepEqual(Buffer.from(back.privateKey), priv);
    await assert.rejects(encryptKeystore(priv, 'x', { ...FAST, address: '0x' + '00'.repeat(20) }), /does not match/);
    assert.throws(() => accountAddress(new Uint8Array(32)), /not a valid secp256k1/);
  });

  it('encryption keys: kind and public key are kept; the key still opens its envelopes', async () => {
    const pair = generateEncryptionKeyPair();
    const ks = await encryptKeystore(pair.privateKey, 'pw', { ...FAST, kind: 'encryption' });
    assert.equal(ks.address, undefined);
    const back = await decryptKeystore(ks, 'pw');
    assert.equal(back.kind, 'encryption');
    assert.deepEqual(back.publicKey, pair.publicKey);
    const binding = { recordId: 'r', version: 0, patient: '0x' + '44'.repeat(20) };
    const dataKey = generateDataKey();
    assert.deepEqual(await unwrapDataKey(await wrapDataKey(dataKey, pair.publicKey, binding), back.privateKey, binding), dataKey);
  });

  it('changePassphrase: new passphrase works, old one fails, key unchanged', async () => {
    const ks = await importPrivateKey(specPriv, 'old', FAST);
    const changed = await changePassphrase(ks, 'old', 'new', FAST);
    assert.notEqual(changed.crypto?.ciphertext, ks.crypto?.ciphertext);
    assert.equal(await exportPrivateKey(changed, 'new'), specPriv);
    await assert.rejects(decryptKeystore(changed, 'old'), KeystorePassphraseError);
    await assert.rejects(changePassphrase(ks, 'wrong', 'new', FAST), KeystorePassphraseError);
  });

  it('rejects bad inputs', async () => {
    await assert.rejects(encryptKeystore(new Uint8Array(31), 'pw', FAST), CryptoInputError);
    await assert.rejects(encryptKeystore(generateDataKey(), 'pw', { scryptN: 1000 }), /power of two/);
    await assert.rejects(encryptKeystore(generateDataKey(), 42 as unknown as string, FAST), /passphrase must be a string/);
    assert.throws(() => parseKeystore({ version: 3 }), /crypto section missing/);
  });
});
