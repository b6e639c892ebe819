/**
 * Issue 13, finding 2: an author whose grant was revoked (or any other party) must not overwrite the
 * patient's key envelope or the escrow shares. Each attempt goes over real HTTP against a running
 * gateway and chain, must be refused AND change nothing: the envelope and escrow rows are
 * byte-identical, the patient still decrypts, break-glass still recovers the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from 'viem';
import { Permission, ScopeKind, ZERO_SCOPE } from '../../src/sdk/contracts.ts';
import { openEscrowedRecordVersion, prepareRecordVersion } from '../../src/sdk/records.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';
import { envelopeRows, escrowRows, readAndDecrypt } from './recordsAttack.ts';
import { opaquePurpose } from '../purposes.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const junk = (n: number) => b64(crypto.getRandomValues(new Uint8Array(n)));

test('finding 2: envelopes and escrow shares are never replaced by the author, live or revoked', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const until = (await f.latestTimestamp()) + 3600n;
    const grant = (grantee: `0x${string}`) => f.mined(f.as('patient').consent.write.grant([{
      grantee, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until,
    }]));
    await grant(f.addr.doctor);
    await grant(f.addr.lab);

    // The doctor writes a record for the patient, with envelopes for both and escrow shares.
    const doctor = await h.client('doctor');
    const resource = { resourceType: 'Condition', code: { text: 'type 2 diabetes' } };
    const prepared = await prepareRecordVersion({
      plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient: f.addr.patient, resourceType: 'Condition',
      recipients: [{ address: f.addr.patient, publicKey: h.encryption.patient.publicKey }, { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey }],
      escrow: await doctor.escrowConfig(),
    });
    await doctor.uploadCiphertext(prepared.ciphertext);
    await f.mined(f.as('doctor').recordRegistry.write.addRecord([prepared.recordId, f.addr.patient, prepared.category, prepared.contentId, prepared.integrityHash]));
    await doctor.depositEnvelopes(prepared.recordId, 1, prepared.envelopes, undefined, prepared.escrow);
    // A retry of the same deposit is fine (idempotent).
    await doctor.depositEnvelopes(prepared.recordId, 1, prepared.envelopes, undefined, prepared.escrow);
    const id = prepared.recordId;
    const envelopesBefore = await envelopeRows(h, id);
    const escrowBefore = await escrowRows(h, id);
    assert.equal(envelopesBefore.length, 2);
    assert.equal(escrowBefore.shares.length, 2);

    const junkEscrow = {
      threshold: 2, commitment: junk(32),
      shares: prepared.escrow!.shares.map((s) => ({ custodian: s.custodian, index: s.index, envelope: junk(s.envelope.length) })),
    };
    const deposit = async (actor: 'doctor' | 'lab', body: unknown) => httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/envelopes`, { token: (await h.client(actor)).sessionToken!, body });
    const unchanged = async (why: string) => {
      assert.deepEqual(await envelopeRows(h, id), envelopesBefore, `${why}: envelopes unchanged`);
      assert.deepEqual(await escrowRows(h, id), escrowBefore, `${why}: escrow unchanged`);
      assert.deepEqual(await readAndDecrypt(h, 'patient', id, 1, f.addr.patient, prepared.integrityHash), resource, `${why}: the patient still decrypts`);
    };

    // While the grant is live: the author may not replace the patient's envelope…
    const livePatient = await deposit('doctor', { envelopes: [{ recipient: f.addr.patient, envelope: junk(80) }] });
    assert.equal(livePatient.status, 409);
    assert.match(String(livePatient.json?.error), /already deposited.*only the patient/);
    await unchanged('live author, patient envelope');
    // …nor the escrow shares (write-once), not even alongside a valid deposit; nothing of the request lands.
    const liveEscrow = await deposit('doctor', { envelopes: prepared.envelopes.map((e) => ({ recipient: e.recipient, envelope: b64(e.envelope) })), escrow: junkEscrow });
    assert.equal(liveEscrow.status, 409);
    assert.match(String(liveEscrow.json?.error), /write-once/);
    await unchanged('live author, escrow');
    // Another provider with a live write grant is not the version's author.
    const other = await deposit('lab', { envelopes: [{ recipient: f.addr.patient, envelope: junk(80) }], escrow: junkEscrow });
    assert.equal(other.status, 403);
    await unchanged('non-author');

    // The patient revokes the doctor: now the doctor deposits nothing at all.
    await f.mined(f.as('patient').consent.write.revoke([1n]));
    for (const body of [
      { envelopes: [{ recipient: f.addr.patient, envelope: junk(80) }], escrow: junkEscrow },
      { envelopes: [{ recipient: f.addr.patient, envelope: junk(80) }, { recipient: f.addr.lab, envelope: junk(80) }] },
    ]) {
      const revoked = await deposit('doctor', body);
      assert.equal(revoked.status, 403);
      assert.match(String(revoked.json?.error), /access denied/);
      await unchanged('revoked author');
    }
    // The refusals are in the access log.
    const log = await (await h.client('patient')).audit({ patient: f.addr.patient, limit: 1000 });
    assert.ok(log.entries.filter((e) => e.action === 'deposit-envelopes' && e.outcome === 'denied').length >= 3);

    // Break-glass still recovers the data key from the untouched shares.
    await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, bytesToHex(new Uint8Array(32).fill(7))]));
    const hospital = await h.client('hospital');
    const released = await hospital.releaseEscrow(id, 1);
    const opened = await openEscrowedRecordVersion({
      ciphertext: await hospital.getCiphertext(id, 1), escrow: released, released: released.shares, privateKey: h.encryption.hospital.privateKey,
      recordId: id, version: 1, patient: f.addr.patient, integrityHash: prepared.integrityHash,
    });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), resource);
  } finally {
    await h.close();
  }
});

test('finding 2: the patient may replace an envelope, a recipient its own; nobody else', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const until = (await f.latestTimestamp()) + 3600n;
    await f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until,
    }]));
    const resource = { resourceType: 'Observation', code: { text: 'weight' }, valueQuantity: { value: 71, unit: 'kg' } };
    const record = await h.addRecord('doctor', 'patient', resource);
    const id = record.recordId;
    const rowOf = async (who: string) => (await envelopeRows(h, id)).find((r) => (r as { recipient: string }).recipient === who.toLowerCase());
    const patientRow = await rowOf(f.addr.patient);

    // The author re-wraps for itself (its own key rotation): allowed, and only its own row changes.
    const doctorEnvelope = record.envelopes.find((e) => e.recipient === f.addr.doctor)!;
    const rewrap = junk(doctorEnvelope.envelope.length);
    const own = await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/envelopes`, {
      token: (await h.client('doctor')).sessionToken!,
      body: { envelopes: [{ recipient: f.addr.patient, envelope: b64(record.envelopes.find((e) => e.recipient === f.addr.patient)!.envelope) }, { recipient: f.addr.doctor, envelope: rewrap }] },
    });
    assert.equal(own.status, 201);
    assert.equal((await rowOf(f.addr.doctor) as { envelope: string }).envelope, rewrap);
    assert.deepEqual(await rowOf(f.addr.patient), patientRow);

    // The patient re-shares to the doctor (e.g. after the doctor rotated its key): allowed.
    const share = await (await h.client('patient')).share(id, 1, f.addr.doctor, doctorEnvelope.envelope);
    assert.ok(share);
    assert.equal((await rowOf(f.addr.doctor) as { envelope: string }).envelope, b64(doctorEnvelope.envelope));
    assert.deepEqual(await readAndDecrypt(h, 'doctor', id, 1, f.addr.patient, record.integrityHash), resource);
    assert.deepEqual(await readAndDecrypt(h, 'patient', id, 1, f.addr.patient, record.integrityHash), resource);
  } finally {
    await h.close();
  }
});
