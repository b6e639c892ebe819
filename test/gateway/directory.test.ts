/**
 * The provider directory and the care views over real HTTP on a real chain: providers publish
 * EIP-712-signed profiles (the chain commits to them through the Identity metadataHash), patients
 * find providers by name, the admin lists pending applications with their profiles, and a provider
 * pages through its patients and grants from the index. Attacks (a profile published for another
 * provider, a replayed older profile, a non-provider posing as one) fail and change nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { Permission, ProviderKind, ScopeKind, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { providerProfileHash, providerProfileTypedData, type ProviderProfile } from '../../src/sdk/providerProfile.ts';
import { randomKey } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

const ADA = { displayName: 'Dr. Ada Grey', kind: 'doctor', specialty: 'Cardiology', organization: "St. Mary's", licenceNumber: 'GMC-7012345' } as const;

test('provider profiles: signed, searchable, committed on chain; forged and replayed profiles are refused', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const url = h.gateway.url;
    const sign = async (actor: 'doctor' | 'lab' | 'patient' | 'applicant', profile: ProviderProfile) =>
      privateKeyToAccount(f.keys[actor]).signTypedData(providerProfileTypedData(31337, profile));
    const body = (profile: ProviderProfile, signature: string) => ({ profile: { ...profile, provider: undefined, issuedAt: profile.issuedAt.toString() }, signature });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const ada: ProviderProfile = { ...ADA, provider: f.addr.doctor, issuedAt: now };

    const published = await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.doctor}`, { body: body(ada, await sign('doctor', ada)) });
    assert.equal(published.status, 200, published.text);
    assert.equal(published.json!.label, "Dr. Ada Grey · Cardiology · St. Mary's");
    assert.equal(published.json!.committed, false, 'the doctor applied with another metadataHash');
    // The provider commits the chain to this profile; the directory says so.
    await f.mined(f.as('doctor').identity.write.setMetadataHash([providerProfileHash(31337, ada)]));
    const one = await httpCall(url, 'GET', `/api/directory/providers/${f.addr.doctor}`);
    assert.equal(one.status, 200);
    assert.equal(one.json!.committed, true);
    assert.deepEqual({ ...(one.json!.profile as object), issuedAt: undefined, profileHash: undefined }, { ...ADA, issuedAt: undefined, profileHash: undefined });

    // A patient searches by name (public, no sign-in needed), case-insensitively; wildcards are text.
    const search = async (q: string, extra = '') => (await httpCall(url, 'GET', `/api/directory/providers?q=${encodeURIComponent(q)}${extra}`)).json as { total: number; providers: Array<{ address: string; label: string }> };
    assert.deepEqual((await search('grey')).providers.map((p) => p.address), [f.addr.doctor]);
    assert.deepEqual((await search('CARDIO')).providers.map((p) => p.label), ["Dr. Ada Grey · Cardiology · St. Mary's"]);
    assert.equal((await search('%')).total, 0, '% is not a wildcard');
    assert.equal((await search('')).total, 3, 'no text: every accredited provider (with or without a profile)');
    const names = await httpCall(url, 'GET', `/api/directory/providers?addresses=${f.addr.doctor},${f.addr.lab}`);
    assert.deepEqual((names.json!.providers as Array<{ address: string; label: string | null }>).map((p) => [p.address, p.label]).sort(),
      [[f.addr.doctor, "Dr. Ada Grey · Cardiology · St. Mary's"], [f.addr.lab, null]].sort());

    // Attack: the lab publishes a profile in the doctor's name, signed with its own key.
    const forged: ProviderProfile = { ...ADA, displayName: 'Dr. Evil', provider: f.addr.doctor, issuedAt: now + 10n };
    const forgedTry = await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.doctor}`, { body: body(forged, await sign('lab', forged)) });
    assert.equal(forgedTry.status, 403);
    assert.match(String(forgedTry.json!.message ?? forgedTry.text), /signature/);
    // Attack: a replay of an older profile of the doctor's (validly signed, but older).
    const older: ProviderProfile = { ...ADA, displayName: 'Dr. Ada Old', provider: f.addr.doctor, issuedAt: now - 100n };
    const replay = await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.doctor}`, { body: body(older, await sign('doctor', older)) });
    assert.equal(replay.status, 409);
    // Attack: a patient poses as a provider.
    const posing: ProviderProfile = { ...ADA, provider: f.addr.patient, issuedAt: now };
    const posed = await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.patient}`, { body: body(posing, await sign('patient', posing)) });
    assert.equal(posed.status, 409);
    assert.equal((await search('')).total, 3);
    // Nothing changed: the doctor's profile is the one it signed, still committed on chain.
    const after = await httpCall(url, 'GET', `/api/directory/providers/${f.addr.doctor}`);
    assert.deepEqual([(after.json!.profile as { displayName: string }).displayName, after.json!.committed], ['Dr. Ada Grey', true]);

    // Bad input: clear 400s, nothing stored.
    for (const [profile, why] of [
      [{ ...ada, displayName: 'Dr. Ada\nGrey' }, /control characters/], [{ ...ada, kind: 'wizard' }, /kind/], [{ ...ada, licenceNumber: '' }, /licenceNumber/],
    ] as const) {
      const r = await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.doctor}`, { body: body(profile as ProviderProfile, `0x${'11'.repeat(65)}`) });
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, why);
    }
    assert.equal((await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.doctor}`, { body: '{nope' })).status, 400);
    assert.equal((await httpCall(url, 'GET', '/api/directory/providers?limit=0')).status, 400);
    assert.equal((await httpCall(url, 'GET', `/api/directory/providers?q=${'x'.repeat(81)}`)).status, 400);
    assert.equal((await httpCall(url, 'GET', '/api/directory/providers?addresses=0x1234')).status, 400);
    assert.equal((await httpCall(url, 'GET', '/api/directory/providers/0x1234')).status, 400);
    assert.equal((await httpCall(url, 'GET', `/api/directory/providers/${f.addr.outsider}`)).status, 404);

    // The admin's pending list: an applicant that committed to its profile when applying.
    const applicant: ProviderProfile = { displayName: 'Northside Lab', kind: 'lab', specialty: 'Clinical chemistry', organization: 'Northside Diagnostics', licenceNumber: 'CLIA-99D1234567', provider: f.addr.applicant, issuedAt: now };
    await f.mined(f.as('applicant').identity.write.applyAsProvider([ProviderKind.Lab, randomKey(), providerProfileHash(31337, applicant)]));
    assert.equal((await httpCall(url, 'PUT', `/api/directory/providers/${f.addr.applicant}`, { body: body(applicant, await sign('applicant', applicant)) })).status, 200);
    await h.waitIndexed();
    const pending = await search('', '&status=pending');
    assert.deepEqual(pending.providers.map((p) => [p.address, p.label]), [[f.addr.applicant, 'Northside Lab · Clinical chemistry · Northside Diagnostics']]);
    assert.equal((pending.providers[0] as unknown as { committed: boolean }).committed, true);
  } finally {
    await h.close();
  }
});

test('care views: a provider pages through its patients and grants from the index', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const now = await f.latestTimestamp();
    const grant = (patient: 'patient' | 'patient2', grantee: 'doctor' | 'lab', over: object = {}) => f.mined(f.as(patient).consent.write.grant([{
      grantee: f.addr[grantee], scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read | Permission.Write, purpose: opaquePurpose('Treatment'),
      validFrom: 0n, validUntil: now + 3600n, ...over,
    }]));
    await grant('patient', 'doctor');
    await grant('patient2', 'doctor', { validUntil: now + 7200n });
    // Another scope, so it does not supersede the live one.
    await grant('patient2', 'doctor', { scopeKind: ScopeKind.Category, scopeValue: recordCategory('Condition'), validFrom: now + 86400n, validUntil: now + 2n * 86400n });
    const patientRecord = await h.addRecord('patient', 'patient', { resourceType: 'Patient', name: [{ given: ['Ann'], family: 'Lee' }] });
    await h.waitIndexed();

    const doctor = (await h.client('doctor')).sessionToken;
    const lab = (await h.client('lab')).sessionToken;
    const patient = (await h.client('patient')).sessionToken;
    const page1 = await httpCall(h.gateway.url, 'GET', '/api/care/patients?limit=1', { token: doctor });
    assert.equal(page1.status, 200, page1.text);
    const p1 = page1.json as { total: number; patients: Array<{ patient: string; basis: string; patientRecord: { recordId: string } | null }> };
    assert.equal(p1.total, 2);
    assert.deepEqual(p1.patients.map((p) => [p.patient, p.basis, p.patientRecord?.recordId]), [[f.addr.patient, 'grant', patientRecord.recordId]], 'soonest-ending first');
    const page2 = (await httpCall(h.gateway.url, 'GET', '/api/care/patients?limit=1&offset=1', { token: doctor })).json as typeof p1;
    assert.deepEqual(page2.patients.map((p) => [p.patient, p.patientRecord]), [[f.addr.patient2, null]]);

    const grants = async (token: string | undefined, query: string) => (await httpCall(h.gateway.url, 'GET', `/api/care/grants?${query}`, { token })).json as {
      counts: Record<string, number>; grants: Array<{ grantId: number; patient: string; grantee: string; state: string; patientRecord: unknown }>;
    };
    const active = await grants(doctor, 'state=active');
    assert.deepEqual(active.counts, { active: 2, upcoming: 1, expired: 0, revoked: 0 });
    assert.deepEqual(active.grants.map((g) => [g.grantId, g.state]), [[2, 'active'], [1, 'active']]);
    assert.deepEqual((await grants(doctor, 'state=upcoming')).grants.map((g) => g.grantId), [3]);
    // Revoked, as the patient sees it.
    await f.mined(f.as('patient').consent.write.revoke([1n]));
    await h.waitIndexed();
    const mine = await grants(patient, 'as=patient&state=revoked');
    assert.deepEqual([mine.counts.revoked, mine.grants.map((g) => g.grantee)], [1, [f.addr.doctor]]);
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/care/patients', { token: doctor })).json!.total, 1, 'a revoked grant opens nothing');

    // The explorer's producer: `miner` where the chain sets it (EDR's coinbase); Clique seals are
    // covered by src/gateway/explorer/cliqueProducer.test.ts on the embedded node.
    const blocks = (await httpCall(h.gateway.url, 'GET', '/api/explorer/blocks?count=2', { token: doctor })).json as { blocks: Array<{ miner: string; producer: string }> };
    assert.equal(blocks.blocks.length, 2);
    for (const b of blocks.blocks) assert.equal(b.producer.toLowerCase(), f.coinbase.toLowerCase());

    // Another provider sees none of it; signed out, nothing at all; bad paging is a clear 400.
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/care/patients', { token: lab })).json!.total, 0);
    assert.deepEqual((await grants(lab, 'state=active')).counts, { active: 0, upcoming: 0, expired: 0, revoked: 0 });
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/care/patients')).status, 401);
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'state=bogus', 'as=admin']) {
      const r = await httpCall(h.gateway.url, 'GET', `/api/care/grants?${q}`, { token: doctor });
      assert.equal(r.status, 400, `${q}: ${r.text}`);
    }
  } finally {
    await h.close();
  }
});
