// Break-glass through escrow, over real HTTP on a real chain: shares deposited with a record are
// released (re-wrapped to the provider's on-chain key) only while the provider's break-glass is
// live, the provider recovers the data key and reads the record; nobody else gets a share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from 'viem';
import { ScopeKind, ZERO_SCOPE, Permission } from '../../src/sdk/contracts.ts';
import { GatewayError } from '../../src/sdk/gateway.ts';
import { openEscrowedRecordVersion } from '../../src/sdk/records.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

test('break-glass escrow: released only under live break-glass, to the requester only, gone at erasure', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const patient = await h.client('patient');
    const policy = await patient.escrowConfig();
    assert.equal(policy.threshold, 2);
    assert.equal(policy.custodians.length, 2);
    // Custodians are their own X25519 keys (keys/custodian-<i>.json), not derived from the operator.
    assert.deepEqual(policy.custodians.map((c) => c.id), h.custodianKeys.map((k) => k.id));
    assert.ok(policy.custodians.every((c) => /^x25519:[0-9a-f]{64}$/.test(c.id)));

    const resource = { resourceType: 'AllergyIntolerance', patient: { reference: `Patient/${f.addr.patient}` }, code: { text: 'penicillin' } };
    const prepared = await h.addRecord('patient', 'patient', resource, [], { escrow: true });
    const id = prepared.recordId;

    const status = async (actor: 'hospital' | 'doctor' | 'patient') =>
      (await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/escrow/release`, { token: (await h.client(actor)).sessionToken!, body: {} })).status;

    // No break-glass: refused and logged; the patient reads through their own envelope, not escrow.
    assert.equal(await status('hospital'), 403);
    assert.equal(await status('patient'), 409);

    // A grant is not an emergency: escrow stays closed for the grantee.
    const now = await f.latestTimestamp();
    await f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 3600n,
    }]));
    assert.equal(await status('doctor'), 409);

    // Live break-glass: the hospital gets both shares, recovers the key, reads the record.
    await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, bytesToHex(new Uint8Array(32).fill(9))]));
    const hospital = await h.client('hospital');
    const released = await hospital.releaseEscrow(id, 1);
    assert.equal(released.access.basis, 'break-glass');
    assert.equal(released.shares.length, 2);
    const opened = await openEscrowedRecordVersion({
      ciphertext: await hospital.getCiphertext(id, 1), escrow: released, released: released.shares, privateKey: h.encryption.hospital.privateKey,
      recordId: id, version: 1, patient: f.addr.patient, integrityHash: prepared.integrityHash,
    });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(opened.plaintext)), resource);
    assert.equal(opened.integrityVerified, true);
    // The released shares open for the requester only.
    await assert.rejects(openEscrowedRecordVersion({
      ciphertext: await hospital.getCiphertext(id, 1), escrow: released, released: released.shares, privateKey: h.encryption.doctor.privateKey,
      recordId: id, version: 1, patient: f.addr.patient,
    }), /did not open/);
    const log = await patient.audit({ patient: f.addr.patient, limit: 1000 });
    assert.ok(log.entries.some((e) => e.action === 'escrow-release' && e.outcome === 'allowed' && e.actor.toLowerCase() === f.addr.hospital.toLowerCase()));
    assert.ok(log.entries.some((e) => e.action === 'escrow-release' && e.outcome === 'denied'));
    // The custodian logs its own decision beside the route's, naming the break-glass it read.
    assert.ok(log.entries.some((e) => e.action === 'escrow-release' && e.outcome === 'allowed' && /^custodian: break-glass #\d+ live until \d+; released share\(s\) 0, 1$/.test(e.reason)));

    // Bad input changes nothing.
    const patientToken = patient.sessionToken!;
    const bad = await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/envelopes`, {
      token: patientToken,
      body: { envelopes: [{ recipient: f.addr.patient, envelope: 'AAAA' }], escrow: { threshold: 3, commitment: 'AAAA', shares: [{ custodian: 'x', index: 0, envelope: 'AAAA' }, { custodian: 'y', index: 0, envelope: 'AAAA' }] } },
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.json?.error), /threshold|commitment|distinct/);
    assert.equal((await hospital.releaseEscrow(id, 1)).shares.length, 2);
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/2/escrow/release`, { token: hospital.sessionToken!, body: {} })).status, 404);

    // Break-glass over: no release.
    await f.mineAt((await f.latestTimestamp()) + 4n * 3600n);
    await assert.rejects(hospital.releaseEscrow(id, 1), (e: GatewayError) => e.status === 403);

    // Erasure shreds the escrow shares with everything else.
    await f.mined(f.as('patient').recordRegistry.write.eraseRecord([id]));
    await h.waitIndexed();
    await patient.erase(id);
    assert.equal((await h.gateway.db.query('SELECT * FROM escrow_shares WHERE record_id = $1', [id])).length, 0);
  } finally {
    await h.close();
  }
});
