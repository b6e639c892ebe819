import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateEncryptionKeyPair, DecryptionError } from '../crypto/index.ts';
import { cidOf } from '../storage/cid.ts';
import { cidFromContentId, envelopeForNewReader, openRecordVersion, prepareRecordVersion } from './records.ts';
import { recordCategory } from './contracts.ts';

const patient = '0x1111111111111111111111111111111111111111' as const;
const doctor = '0x2222222222222222222222222222222222222222' as const;
const lab = '0x3333333333333333333333333333333333333333' as const;

test('a prepared record opens for each recipient, matches the chain fields, and nobody else', async () => {
  const p = generateEncryptionKeyPair();
  const d = generateEncryptionKeyPair();
  const other = generateEncryptionKeyPair();
  const resource = new TextEncoder().encode(JSON.stringify({ resourceType: 'Observation', status: 'final' }));
  const prepared = await prepareRecordVersion({
    plaintext: resource, patient, resourceType: 'Observation',
    recipients: [{ address: patient, publicKey: p.publicKey }, { address: doctor, publicKey: d.publicKey }],
  });
  assert.equal(prepared.category, recordCategory('Observation'));
  assert.equal(prepared.cid, cidOf(prepared.ciphertext), 'same CID as the blob store computes');
  assert.equal(cidFromContentId(prepared.contentId), prepared.cid);
  assert.ok(prepared.contentId.startsWith('0x01551220'));
  for (const [i, keys] of [p, d].entries()) {
    const opened = await openRecordVersion({ ciphertext: prepared.ciphertext, envelope: prepared.envelopes[i]!.envelope, privateKey: keys.privateKey, recordId: prepared.recordId, version: 1, patient, integrityHash: prepared.integrityHash });
    assert.deepEqual(opened.plaintext, resource);
    assert.equal(opened.integrityVerified, true);
  }
  await assert.rejects(openRecordVersion({ ciphertext: prepared.ciphertext, envelope: prepared.envelopes[0]!.envelope, privateKey: other.privateKey, recordId: prepared.recordId, version: 1, patient }), DecryptionError);
  await assert.rejects(openRecordVersion({ ciphertext: prepared.ciphertext, envelope: prepared.envelopes[0]!.envelope, privateKey: p.privateKey, recordId: prepared.recordId, version: 2, patient }), DecryptionError);
  const tampered = await openRecordVersion({ ciphertext: prepared.ciphertext, envelope: prepared.envelopes[0]!.envelope, privateKey: p.privateKey, recordId: prepared.recordId, version: 1, patient, integrityHash: `0x${'00'.repeat(32)}` });
  assert.equal(tampered.integrityVerified, false);

  // Sharing with a new grantee re-wraps the data key; the ciphertext does not change.
  const l = generateEncryptionKeyPair();
  const shared = await envelopeForNewReader(prepared.envelopes[0]!.envelope, p.privateKey, { address: lab, publicKey: l.publicKey }, prepared.recordId, 1, patient);
  const opened = await openRecordVersion({ ciphertext: prepared.ciphertext, envelope: shared.envelope, privateKey: l.privateKey, recordId: prepared.recordId, version: 1, patient });
  assert.deepEqual(opened.plaintext, resource);
});
