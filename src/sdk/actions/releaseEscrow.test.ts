/**
 * The escrow release action against a real gateway and chain: refused without live break-glass,
 * a record opened with the custodians' shares under it (checked against the chain's integrity
 * hash, also through readRecordVersion), and the shares open for the requester only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from 'viem';
import { AccessDeniedError } from '../errors.ts';
import { readRecordVersion } from '../readRecord.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { releaseEscrow } from './releaseEscrow.ts';

test('releaseEscrow: only under live break-glass, to the requester only, checked against the chain', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const resource = { resourceType: 'AllergyIntolerance', patient: { reference: `Patient/${f.addr.patient}` }, code: { text: 'penicillin' } };
    const prepared = await h.addRecord('patient', 'patient', resource, [], { escrow: true });
    const hospital = await h.client('hospital');
    const release = (privateKey: Uint8Array, integrityHash = prepared.integrityHash) => releaseEscrow({
      gateway: hospital, recordId: prepared.recordId, version: 1, patient: f.addr.patient, privateKeys: [privateKey], ciphertext: hospital.getCiphertext(prepared.recordId, 1), integrityHash,
    });

    // No break-glass: the custodians release nothing.
    await assert.rejects(release(h.encryption.hospital.privateKey), AccessDeniedError);

    await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, bytesToHex(new Uint8Array(32).fill(9))]));
    const opened = await release(h.encryption.hospital.privateKey);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), resource);
    assert.equal(opened.integrityVerified, true);
    assert.deepEqual([opened.access.basis, opened.threshold, opened.shares], ['break-glass', 2, 2]);
    // A hash other than the chain's is reported, not trusted.
    assert.equal((await release(h.encryption.hospital.privateKey, bytesToHex(new Uint8Array(32)))).integrityVerified, false);
    // Shares re-wrapped to the hospital open nothing with anyone else's key.
    await assert.rejects(release(h.encryption.doctor.privateKey), /did not open/);

    // The record read takes this path under break-glass: content id and integrity both checked against the chain.
    const read = await readRecordVersion({ gateway: hospital, client: f.publicClient, addresses: f.addresses, recordId: prepared.recordId, privateKeys: [h.encryption.hospital.privateKey] });
    assert.deepEqual([read.viaEscrow, read.integrityVerified, read.contentIdVerified, read.access.basis], [true, true, true, 'break-glass']);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(read.plaintext)), resource);
  } finally {
    await h.close();
  }
});
