import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateEncryptionKeyPair } from './hpke.ts';
import { escrowDataKey, recoverEscrowedDataKey, releaseEscrowShare } from './escrow.ts';
import { generateDataKey } from './sealRecord.ts';
import { CryptoInputError, DecryptionError, EscrowError } from './errors.ts';

const binding = { recordId: 'rec-9', version: 1, patient: '0x' + '33'.repeat(20) };

describe('break-glass escrow (k-of-n custodians)', async () => {
  const custodians = [0, 1, 2, 3, 4].map((i) => ({ id: `hospital-${i}`, ...generateEncryptionKeyPair() }));
  const requester = generateEncryptionKeyPair();
  const dataKey = generateDataKey();
  const bundle = await escrowDataKey(dataKey, binding, custodians.map(({ id, publicKey }) => ({ id, publicKey })), 3);
  const release = (i: number) => releaseEscrowShare(bundle.shares[i]!, custodians[i]!.privateKey, binding, requester.publicKey);

  it('any 3 of 5 custodians recover the data key for the requester', async () => {
    const released = await Promise.all([4, 0, 2].map(release));
    assert.deepEqual(await recoverEscrowedDataKey(bundle, released, requester.privateKey, binding), dataKey);
  });

  it('2 of 5 (or a duplicated share) is refused', async () => {
    const two = await Promise.all([1, 3].map(release));
    await assert.rejects(recoverEscrowedDataKey(bundle, two, requester.privateKey, binding), /need 3 released shares/);
    await assert.rejects(recoverEscrowedDataKey(bundle, [two[0]!, two[0]!, two[1]!], requester.privateKey, binding), EscrowError);
  });

  it('a custodian cannot open another custodian share; shares are bound to the record', async () => {
    await assert.rejects(releaseEscrowShare(bundle.shares[0]!, custodians[1]!.privateKey, binding, requester.publicKey), DecryptionError);
    await assert.rejects(releaseEscrowShare(bundle.shares[0]!, custodians[0]!.privateKey, { ...binding, version: 2 }, requester.publicKey), DecryptionError);
    // A share presented under another index does not open either.
    await assert.rejects(releaseEscrowShare({ ...bundle.shares[0]!, index: 1 }, custodians[0]!.privateKey, binding, requester.publicKey), DecryptionError);
  });

  it('released shares open only for the requester', async () => {
    const released = await Promise.all([0, 1, 2].map(release));
    await assert.rejects(recoverEscrowedDataKey(bundle, released, generateEncryptionKeyPair().privateKey, binding), /did not open/);
  });

  it('validates parameters', async () => {
    const pubs = custodians.map(({ id, publicKey }) => ({ id, publicKey }));
    await assert.rejects(escrowDataKey(dataKey, binding, pubs, 1), CryptoInputError);
    await assert.rejects(escrowDataKey(dataKey, binding, pubs, 6), /threshold/);
    await assert.rejects(escrowDataKey(dataKey, binding, [pubs[0]!, pubs[0]!], 2), /distinct/);
  });
});
