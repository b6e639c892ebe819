/**
 * The point of the system: every record endpoint × caller × grant state, over real HTTP against a
 * real chain, with the expected status — and every decision in the access log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from 'viem';
import { Permission, ScopeKind, SuspensionReason, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { envelopeForNewReader } from '../../src/sdk/records.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import type { Actor } from '../../contracts/test/fixture.ts';
import { opaquePurpose } from '../purposes.ts';

test('record endpoints × callers × grant states', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'heart rate' } });
    await h.waitIndexed();
    const id = record.recordId;
    const endpoints = [
      ['metadata', `/api/records/${id}`],
      ['ciphertext', `/api/records/${id}/versions/1/ciphertext`],
      ['envelope', `/api/records/${id}/versions/1/envelope`],
    ] as const;
    const statusesOf = async (actor: Actor) => {
      const token = (await h.client(actor)).sessionToken!;
      const out: Record<string, number> = {};
      for (const [name, path] of endpoints) out[name] = (await httpCall(h.gateway.url, 'GET', path, { token })).status;
      const list = await httpCall(h.gateway.url, 'GET', `/api/records?patient=${f.addr.patient}`, { token });
      out.listed = list.status === 200 ? Number(list.json!.total) : -list.status;
      return out;
    };
    const expectAll = async (actor: Actor, state: string, expected: Record<string, number>) => {
      assert.deepEqual(await statusesOf(actor), expected, `${actor} with ${state}`);
    };
    const denied = { metadata: 403, ciphertext: 403, envelope: 403, listed: 0 };

    // The patient; another patient; an admin with no grant; anonymous.
    await expectAll('patient', 'own record', { metadata: 200, ciphertext: 200, envelope: 200, listed: 1 });
    await expectAll('patient2', 'no grant', denied);
    await expectAll('admin', 'no grant', denied);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records/${id}`)).status, 401);

    const t0 = await f.latestTimestamp();
    const grant = (grantee: Actor, over: object) => f.mined(f.as('patient').consent.write.grant([{
      grantee: f.addr[grantee], scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: t0 + 10_000n, ...over,
    }]));
    await expectAll('doctor', 'no grant', denied);
    await grant('doctor', { scopeKind: ScopeKind.Category, scopeValue: recordCategory('Condition') });
    await expectAll('doctor', 'a grant for another scope', denied);
    await grant('doctor', { validFrom: t0 + 1000n, validUntil: t0 + 2000n });
    await expectAll('doctor', 'a grant not yet valid', denied);

    await f.mineAt(t0 + 1000n);
    // Live: metadata and ciphertext at once; the key once the patient shares it.
    assert.deepEqual(await statusesOf('doctor'), { metadata: 200, ciphertext: 200, envelope: 404, listed: 1 });
    const patientClient = await h.client('patient');
    const own = await patientClient.getEnvelope(id, 1);
    const shared = await envelopeForNewReader(own.envelope, h.encryption.patient.privateKey, { address: f.addr.doctor, publicKey: h.encryption.doctor.publicKey }, id, 1, f.addr.patient);
    await patientClient.share(id, 1, f.addr.doctor, shared.envelope);
    await expectAll('doctor', 'a live grant', { metadata: 200, ciphertext: 200, envelope: 200, listed: 1 });
    const detail = await (await h.client('doctor')).getRecord(id);
    assert.equal(detail.access.basis, 'grant');
    assert.equal(detail.access.until, Number(t0 + 2000n));

    await f.mineAt(t0 + 2000n);
    await expectAll('doctor', 'an expired grant', denied);
    // The expired reader's envelope is swept away: a new grant needs a new share from the patient.
    await h.waitIndexed();
    assert.equal(await h.gateway.sweepEnvelopes(), 1);
    assert.equal(await h.gateway.sweepEnvelopes(), 0);
    await grant('doctor', { validUntil: (await f.latestTimestamp()) + 5000n });
    assert.deepEqual(await statusesOf('doctor'), { metadata: 200, ciphertext: 200, envelope: 404, listed: 1 });
    await f.mined(f.as('patient').consent.write.revoke([await f.read.consent.read.grantCount()]));

    await grant('lab', {});
    await expectAll('lab', 'a live grant', { metadata: 200, ciphertext: 200, envelope: 404, listed: 1 });
    await f.mined(f.as('patient').consent.write.revoke([await f.read.consent.read.grantCount()]));
    await expectAll('lab', 'a revoked grant', denied);

    // Sharing is the patient's, and only with a reader whose grant is live.
    const labToken = (await h.client('lab')).sessionToken!;
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/share`, { token: labToken, body: { recipient: f.addr.lab, envelope: 'AAAA' } })).status, 403);
    assert.equal((await httpCall(h.gateway.url, 'POST', `/api/records/${id}/versions/1/share`, { token: patientClient.sessionToken!, body: { recipient: f.addr.lab, envelope: 'AAAA' } })).status, 409);

    // Break-glass: read while live (no envelope: escrow), then nothing.
    await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, bytesToHex(new Uint8Array(32).fill(7))]));
    await expectAll('hospital', 'live break-glass', { metadata: 200, ciphertext: 200, envelope: 404, listed: 1 });
    await f.mineAt((await f.latestTimestamp()) + 4n * 3600n);
    await expectAll('hospital', 'expired break-glass', denied);

    // A suspended provider with a live grant: its session role is gone, and so is access.
    await grant('hospital', { validUntil: (await f.latestTimestamp()) + 10_000n });
    await expectAll('hospital', 'a live grant', { metadata: 200, ciphertext: 200, envelope: 404, listed: 1 });
    await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.hospital, SuspensionReason.BreakGlassAbuse]));
    await new Promise((r) => setTimeout(r, 5_100)); // the session's role cache (5 s)
    await expectAll('hospital', 'suspension', { metadata: 403, ciphertext: 403, envelope: 403, listed: -403 });

    // Every decision is in the access log, denials with their reason.
    const log = await patientClient.audit({ patient: f.addr.patient, limit: 1000 });
    const reasons = new Set(log.entries.filter((e) => e.outcome === 'denied').map((e) => e.reason));
    for (const reason of ['no-grant', 'not-yet-valid', 'expired', 'revoked', 'not-registered']) assert.ok(reasons.has(reason), `a ${reason} denial is logged`);
    assert.ok(log.entries.some((e) => e.outcome === 'allowed' && e.reason === 'break-glass'));
  } finally {
    await h.close();
  }
});
