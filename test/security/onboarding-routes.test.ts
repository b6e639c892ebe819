/**
 * The onboarding routes' refusals over real HTTP (gateway on EDR): malformed bodies, forged,
 * altered, replayed and expired signatures, registered accounts — each a 4xx with a message that
 * changes nothing on chain. (The allowlist itself is exercised on a production node in
 * onboarding-allowlist.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ProviderKind, ProviderStatus, Role, applyAsProviderTypedData, registerPatientTypedData } from '../../src/sdk/contracts.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';

const k = (byte: string) => `0x${byte.repeat(32)}` as const;

test('onboarding routes: bad input, forged, altered, replayed or expired registrations are refused with 4xx and change nothing', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const url = h.gateway.url;
    const post = (role: string, body: unknown) => httpCall(url, 'POST', `/api/onboarding/${role}`, { body });
    const applicant = privateKeyToAccount(generatePrivateKey());
    const info = await httpCall(url, 'GET', `/api/onboarding/${applicant.address}`);
    assert.equal(info.status, 200);
    const { now: chainNow, ...rest } = info.json as Record<string, unknown>;
    assert.deepEqual(rest, { address: applicant.address, role: 'none', chainId: 31337, identity: f.addresses.identity, nonce: '0' });
    assert.ok(Math.abs(Number(chainNow) - Number(await f.latestTimestamp())) <= 5, 'the chain\'s clock, for deadlines');
    assert.equal((await httpCall(url, 'GET', '/api/onboarding/0x1234')).status, 400);

    const now = await f.latestTimestamp();
    const ctx = { chainId: 31337, identity: f.addresses.identity, nonce: 0n, deadline: now + 600n };
    const fields = { provider: applicant.address, kind: ProviderKind.Lab, encryptionKey: k('12'), metadataHash: k('34') };
    const signature = await applicant.signTypedData(applyAsProviderTypedData({ ...ctx, ...fields }));
    const body = { ...fields, deadline: String(ctx.deadline), signature };

    for (const bad of [{ ...body, kind: 9 }, { ...body, deadline: `1${'0'.repeat(80)}` }, { ...body, signature: 'nope' }, { ...body, provider: 'alice' }]) {
      const r = await post('provider', bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(typeof r.json?.error, 'string');
    }
    // Altered fields (another kind) or a signature by someone else: the chain refuses, 422.
    const altered = await post('provider', { ...body, kind: ProviderKind.Hospital });
    assert.equal(altered.status, 422);
    assert.match(String(altered.json?.error), /InvalidSignature/);
    const forged = await post('provider', { ...body, signature: await privateKeyToAccount(generatePrivateKey()).signTypedData(applyAsProviderTypedData({ ...ctx, ...fields })) });
    assert.equal(forged.status, 422);
    const expiredSig = await applicant.signTypedData(applyAsProviderTypedData({ ...ctx, ...fields, deadline: now - 1n }));
    const expired = await post('provider', { ...body, deadline: String(now - 1n), signature: expiredSig });
    assert.equal(expired.status, 422);
    assert.match(String(expired.json?.error), /SignatureExpired/);
    assert.equal(await f.read.identity.read.roleOf([applicant.address]), Role.None, 'nothing registered');
    assert.equal((await httpCall(url, 'POST', '/api/onboarding/admit', { body: { address: applicant.address } })).status, 403);

    // The real one: relayed, pending; a replay is a 409 and changes nothing.
    const applied = await post('provider', body);
    assert.equal(applied.status, 201, applied.text);
    assert.equal(applied.json?.status, 'pending');
    assert.equal(applied.json?.admitted, false, 'EDR has no account permissioning to update');
    assert.equal(await f.read.identity.read.providerStatus([applicant.address]), ProviderStatus.Pending);
    assert.equal(await f.read.identity.read.providerKind([applicant.address]), ProviderKind.Lab);
    const replay = await post('provider', body);
    assert.equal(replay.status, 409);
    assert.match(String(replay.json?.error), /already registered \(provider\)/);
    // A registered account can ask to be admitted (a device, an account from before the allowlist).
    const admit = await httpCall(url, 'POST', '/api/onboarding/admit', { body: { address: f.addr.patient } });
    assert.deepEqual(admit.json, { address: f.addr.patient, admitted: false });

    // A patient cannot be registered with a signature made for another account's registration.
    const victim = privateKeyToAccount(generatePrivateKey());
    const patientSig = await victim.signTypedData(registerPatientTypedData({ ...ctx, patient: victim.address, encryptionKey: k('56'), metadataHash: k('78') }));
    const swapped = await post('patient', { patient: victim.address, encryptionKey: k('99'), metadataHash: k('78'), deadline: String(ctx.deadline), signature: patientSig });
    assert.equal(swapped.status, 422, 'the relayer cannot substitute its own encryption key');
    assert.equal(await f.read.identity.read.roleOf([victim.address]), Role.None);
    const registered = await post('patient', { patient: victim.address, encryptionKey: k('56'), metadataHash: k('78'), deadline: String(ctx.deadline), signature: patientSig });
    assert.equal(registered.status, 201);
    assert.equal(await f.read.identity.read.encryptionKeyOf([victim.address]), k('56'));
  } finally {
    await h.close();
  }
});
