/**
 * Consent through the gateway: a patient's signed grant relayed by the hospital (the patient pays
 * nothing), grants grouped by state as time passes, requests, relayed revocation and extension,
 * emergency alerts in the patient's event stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Permission, ScopeKind, ZERO_SCOPE, extendTypedData, grantTypedData, revokeTypedData } from '../../src/sdk/contracts.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

test('relayed consent, grants by state, requests, and emergency alerts over server-sent events', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const patientKey = privateKeyToAccount(f.keys.patient);
    const patient = await h.client('patient');
    const balanceBefore = await f.publicClient.getBalance({ address: f.addr.patient });

    // The patient's event stream, read raw (server-sent events over fetch with the bearer token).
    const controller = new AbortController();
    const events: string[] = [];
    const stream = fetch(`${h.gateway.url}/api/events`, { headers: { authorization: `Bearer ${patient.sessionToken}` }, signal: controller.signal }).then(async (response) => {
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      const reader = response.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        events.push(...new TextDecoder().decode(value).split('\n').filter((l) => l.startsWith('event: ')).map((l) => l.slice(7)));
      }
    }).catch((error: Error) => { if (error.name !== 'AbortError') throw error; });

    const now = await f.latestTimestamp();
    const terms = { grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 600n };
    const ctx = { chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, deadline: now + 300n };
    const signature = await patientKey.signTypedData(grantTypedData({ ...ctx, nonce: 0n, terms }));
    const relayed = await (await h.client('doctor')).relayGrant({ patient: f.addr.patient, terms, deadline: ctx.deadline, signature });
    assert.equal(relayed.grantId, 1);
    assert.equal(await f.publicClient.getBalance({ address: f.addr.patient }), balanceBefore, 'the patient paid nothing');

    // An upcoming grant, a request, then state changes as time passes.
    await f.mined(f.as('patient').consent.write.grant([{ ...terms, grantee: f.addr.lab, validFrom: now + 1000n, validUntil: now + 2000n }]));
    await f.mined(f.as('hospital').consent.write.requestAccess([f.addr.patient, { ...terms, grantee: f.addr.hospital }]));
    await h.waitIndexed();
    let grants = await patient.grants({ patient: f.addr.patient });
    assert.deepEqual([grants.active.length, grants.upcoming.length, grants.expired.length, grants.revoked.length], [1, 1, 0, 0]);
    assert.ok(grants.active[0]!.secondsLeft! > 0 && grants.active[0]!.secondsLeft! <= 600);
    const requests = await patient.requests({ patient: f.addr.patient });
    assert.equal(requests.requests.length, 1);
    assert.equal(requests.requests[0]!.status, 'pending');

    // Relayed extension and revocation.
    const ext = await patientKey.signTypedData(extendTypedData({ ...ctx, nonce: 1n, grantId: 1n, validUntil: now + 900n }));
    await patient.relayExtend(1, { patient: f.addr.patient, validUntil: now + 900n, deadline: ctx.deadline, signature: ext });
    await f.mineAt(now + 1000n);
    await h.waitIndexed();
    grants = await patient.grants({ patient: f.addr.patient });
    assert.deepEqual(grants.active.map((g) => g.grantId), [2], 'the lab grant started; the doctor grant ran out at +900');
    assert.deepEqual(grants.expired.map((g) => g.grantId), [1]);
    const rev = await patientKey.signTypedData(revokeTypedData({ ...ctx, deadline: now + 5000n, nonce: 2n, grantId: 2n }));
    await patient.relayRevoke(2, { patient: f.addr.patient, deadline: now + 5000n, signature: rev });
    await h.waitIndexed();
    grants = await patient.grants({ patient: f.addr.patient });
    assert.deepEqual(grants.revoked.map((g) => g.grantId), [2]);

    // Only the parties see a patient's grants.
    const outsiderView = await httpCall(h.gateway.url, 'GET', `/api/grants?patient=${f.addr.patient}`, { token: (await h.client('patient2')).sessionToken });
    assert.equal(outsiderView.status, 403);

    // Break-glass: listed for the patient, and pushed into their event stream.
    await f.mined(f.as('hospital').consent.write.openEmergencyAccess([f.addr.patient, bytesToHex(new Uint8Array(32).fill(9))]));
    await h.waitIndexed();
    const { emergencies } = await patient.emergencies(f.addr.patient);
    assert.equal(emergencies.length, 1);
    assert.equal(emergencies[0]!.provider, f.addr.hospital);
    assert.equal(emergencies[0]!.live, true);
    const deadline = Date.now() + 5_000;
    while (!events.includes('EmergencyAccessOpened') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(events.includes('EmergencyAccessOpened'), `events seen: ${events.join(', ')}`);
    assert.ok(events.includes('GrantCreated') && events.includes('AccessRequested'));
    controller.abort();
    await stream;
  } finally {
    await h.close();
  }
});
