import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { encryptKeystore } from '../crypto/index.ts';
import { loadCustodialKeys } from './custodial.ts';
import { newBundle, writeKeyBundle } from './keyFile.ts';

test('custodial key files open with the data directory passphrase; bad ones are refused by name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'medchain-custodial-'));
  try {
    assert.deepEqual(await loadCustodialKeys(join(dir, 'missing'), 'pw'), []);
    const custodial = join(dir, 'custodial');
    mkdirSync(custodial);
    const key = generatePrivateKey();
    writeKeyBundle(join(custodial, 'ehr.json'), await newBundle(Buffer.from(key.slice(2), 'hex'), 'data dir pw', 1024));
    writeFileSync(join(custodial, 'README.txt'), 'not a key');
    const [ehr, ...rest] = await loadCustodialKeys(custodial, 'data dir pw');
    assert.equal(rest.length, 0);
    assert.equal(ehr!.privateKey, key);
    assert.equal(ehr!.address, privateKeyToAddress(key));
    assert.equal(ehr!.encryptionPrivateKey.length, 32);

    await assert.rejects(loadCustodialKeys(custodial, 'wrong'), /cannot open .*ehr\.json/);
    writeFileSync(join(custodial, 'bare.json'), JSON.stringify(await encryptKeystore(Buffer.from(generatePrivateKey().slice(2), 'hex'), 'data dir pw', { scryptN: 1024 })));
    await assert.rejects(loadCustodialKeys(custodial, 'data dir pw'), /bare\.json has no encryption key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
