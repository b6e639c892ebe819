/**
 * The export action against a real gateway and chain: latest or every version of the patient's
 * records, erased ones left out, each entry named by record and version; a version whose registered
 * integrity hash is not its plaintext's stops the export; a provider without access gets nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, keccak256 } from 'viem';
import { prepareRecordVersion } from '../records.ts';
import { writeRecordVersion } from '../writeRecord.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { exportRecords, RecordMismatchError } from './exportRecords.ts';

test('exportRecords: a collection Bundle of what the chain vouches for; a mismatch stops it; no access, no export', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const gateway = await h.client('patient');
    const patient = f.addr.patient;
    const base = { gateway, client: f.publicClient, addresses: f.addresses };
    const author = { address: patient, publicKey: h.encryption.patient.publicKey };
    const write = (resource: Record<string, unknown>, recordId?: `0x${string}`) => writeRecordVersion({
      ...base, author, patient, resourceType: String(resource.resourceType), plaintext: new TextEncoder().encode(JSON.stringify(resource)), recordId,
      send: (call) => f.mined(f.wallets.patient.writeContract(call as never)),
    });
    const hba1c = (value: number) => ({ resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: `Patient/${patient}` }, valueQuantity: { value, unit: '%' } });
    const condition = { resourceType: 'Condition', code: { text: 'Type 2 diabetes' }, subject: { reference: `Patient/${patient}` } };
    const a = await write(hba1c(6.1));
    await write(hba1c(6.4), a.recordId);
    const b = await write(condition);
    const erased = await write(hba1c(9.9));
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([erased.recordId]));
    await h.waitIndexed();

    const entries = (bundle: Record<string, unknown>) => (bundle.entry as Array<{ fullUrl: string; resource: unknown }>).map((e) => [e.fullUrl, e.resource]).sort();
    const latest = await exportRecords({ ...base, patient, privateKeys: [h.encryption.patient.privateKey] });
    assert.deepEqual([latest.bundle.resourceType, latest.bundle.type, latest.versions], ['Bundle', 'collection', 2]);
    assert.deepEqual(entries(latest.bundle), [
      [`urn:medchain:record:${a.recordId}:v2`, hba1c(6.4)],
      [`urn:medchain:record:${b.recordId}:v1`, condition],
    ].sort());
    const all = await exportRecords({ ...base, patient, privateKeys: [h.encryption.patient.privateKey], allVersions: true });
    assert.equal(all.versions, 3);
    assert.deepEqual(entries(all.bundle).find(([url]) => url === `urn:medchain:record:${a.recordId}:v1`)?.[1], hba1c(6.1));

    // Attack: a provider with no grant asks for the patient's export. The gateway lists nothing to them.
    const stranger = await exportRecords({ ...base, gateway: await h.client('doctor'), patient, privateKeys: [h.encryption.doctor.privateKey] });
    assert.deepEqual([stranger.versions, stranger.bundle.entry], [0, []]);

    // A version registered with an integrity hash that is not its plaintext's is not exported as if it were sound.
    const forged = await prepareRecordVersion({
      plaintext: new TextEncoder().encode(JSON.stringify(hba1c(5.0))), patient, resourceType: 'Observation', category: await gateway.recordCategory(patient, 'Observation'),
      recipients: [author],
    });
    await gateway.uploadCiphertext(forged.ciphertext);
    await f.mined(f.as('patient').recordRegistry.write.addRecord([forged.recordId, patient, forged.category, forged.contentId, keccak256(bytesToHex(forged.ciphertext))]));
    await gateway.depositEnvelopes(forged.recordId, 1, forged.envelopes);
    await h.waitIndexed();
    const refused = await exportRecords({ ...base, patient, privateKeys: [h.encryption.patient.privateKey] }).then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof RecordMismatchError, String(refused));
    assert.deepEqual([refused.recordId, refused.version, refused.differs], [forged.recordId, 1, 'integrity hash']);
  } finally {
    await h.close();
  }
});
