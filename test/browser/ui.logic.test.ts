/**
 * The UI's pure logic in Node, on the same code the browser bundle runs: FHIR resources from the
 * record forms survive the SDK's encrypt/decrypt round trip with a verified integrity hash, bad
 * form input and bad key backups are refused with actionable messages, and the export Bundle is a
 * FHIR R4 collection.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { encryptKeystore, generateEncryptionKeyPair } from '../../src/crypto/index.ts';
import { openRecordVersion, prepareRecordVersion } from '../../src/sdk/records.ts';
import { recordCategory } from '../../src/sdk/contracts.ts';
import { RECORD_TYPES, buildResource, summary, validateFields, type RecordFields } from '../../web/src/lib/fhir.ts';
import { collectionBundle } from '../../src/sdk/fhirBundle.ts';
import { parseAccountKeystore, parseKeyBundle } from '../../web/src/lib/keystoreStorage.ts';

const patient = '0x1111111111111111111111111111111111111111' as const;

const samples: RecordFields[] = [
  { type: 'Observation', code: 'HbA1c', detail: '6.1', unit: '%', date: '2026-01-02' },
  { type: 'Observation', code: 'Smoking status', detail: 'never smoker', date: '2026-01-02' },
  { type: 'Condition', code: 'Type 2 diabetes', detail: 'diet controlled', date: '2025-06-01' },
  { type: 'MedicationRequest', code: 'Metformin 500 mg', detail: '1 tablet twice daily', date: '2026-01-02' },
  { type: 'AllergyIntolerance', code: 'Penicillin', detail: 'hives', date: '2010-03-04' },
  { type: 'Immunization', code: 'Influenza vaccine', detail: 'LOT-42', date: '2025-10-10' },
  { type: 'Binary', code: '', detail: '', date: '', attachment: { contentType: 'application/pdf', data: 'JVBERi0xLjQK', title: 'scan.pdf' } },
];

it('form resources round-trip through the SDK encryption with integrity verified', async () => {
  const keys = generateEncryptionKeyPair();
  assert.deepEqual(new Set(samples.map((s) => s.type)), new Set(RECORD_TYPES));
  for (const fields of samples) {
    validateFields(fields);
    const resource = buildResource(fields, patient);
    assert.equal(resource.resourceType, fields.type);
    const prepared = await prepareRecordVersion({ plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient, resourceType: fields.type, recipients: [{ address: patient, publicKey: keys.publicKey }] });
    assert.equal(prepared.category, recordCategory(fields.type));
    const opened = await openRecordVersion({ ciphertext: prepared.ciphertext, envelope: prepared.envelopes[0]!.envelope, privateKey: keys.privateKey, recordId: prepared.recordId, version: 1, patient, integrityHash: prepared.integrityHash });
    assert.equal(opened.integrityVerified, true);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), JSON.parse(JSON.stringify(resource)));
  }
  assert.equal(summary(buildResource(samples[0]!, patient)), 'HbA1c: 6.1 %');
  assert.equal(summary(buildResource(samples[1]!, patient)), 'Smoking status: never smoker');
  const bundle = collectionBundle([{ recordId: '0xab', version: 2, resource: { resourceType: 'Condition' } }]);
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.type, 'collection');
  assert.deepEqual(bundle.entry, [{ fullUrl: 'urn:medchain:record:0xab:v2', resource: { resourceType: 'Condition' } }]);
});

it('bad form input is refused with a message', () => {
  assert.throws(() => validateFields({ type: 'Condition', code: '  ', detail: '', date: '2026-01-01' }), /enter what was recorded/);
  assert.throws(() => validateFields({ type: 'Immunization', code: 'MMR', detail: '', date: 'yesterday' }), /valid date/);
  assert.throws(() => validateFields({ type: 'Observation', code: 'Pulse', detail: '', date: '2026-01-01' }), /observed value/);
  assert.throws(() => buildResource({ type: 'Binary', code: '', detail: '', date: '' }, patient), /choose a file/);
});

it('key backups: a MedChain bundle is accepted; single keystores and malformed files are refused', async () => {
  const account = await encryptKeystore(new Uint8Array(32).fill(7), 'passphrase!', { scryptN: 1024 });
  const encryption = await encryptKeystore(generateEncryptionKeyPair().privateKey, 'passphrase!', { kind: 'encryption', scryptN: 1024 });
  const parsed = parseKeyBundle({ account, encryption });
  assert.equal(parsed.address.toLowerCase(), `0x${account.address!.replace(/^0x/, '')}`);
  assert.throws(() => parseKeyBundle(account), /single v3 keystore/);
  // A single account keystore (keys/admin.json of `medchain start`) is recognised as such; the
  // sign-in screen then creates an encryption key for it.
  assert.equal(parseAccountKeystore(account)?.address, account.address);
  assert.equal(parseAccountKeystore(encryption), undefined);
  assert.equal(parseAccountKeystore({ account, encryption }), undefined);
  assert.throws(() => parseKeyBundle({ account, encryption: account }), /no valid encryption keystore/);
  assert.throws(() => parseKeyBundle({ account: { version: 3 }, encryption }), /invalid account keystore/);
  assert.throws(() => parseKeyBundle({ encryption }), /names no account address/);
  assert.throws(() => parseKeyBundle('nope'), /not a JSON object/);
  // Wallet users: encryption key only, address from the wallet.
  assert.equal(parseKeyBundle({ encryption, address: '0x2222222222222222222222222222222222222222' }).account, undefined);
});
