/**
 * The consent view over real HTTP on a real chain (issue 16): reads are decided from the view with
 * no chain reads; when the indexer lags the chain (paused here), a request never gets the older
 * view's answer but the chain's; a patient's relayed revocation denies the grantee from the moment
 * the gateway accepts the signature, before the block (sealing paused), and afterwards; it keeps
 * denying if the transaction then fails for another reason (an expired deadline), across a
 * restart, until the patient extends the grant; and a forged revocation denies nobody.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { Permission, ScopeKind, ZERO_SCOPE, extendTypedData, revokeTypedData } from '../../src/sdk/contracts.ts';
import type { Actor } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall, type Hex } from './harness.ts';
import { opaquePurpose } from '../purposes.ts';

test('authorization from the consent view: no chain reads, chain answer while the indexer lags, revocation at the speed of the signature', async () => {
  const h = await gatewayHarness();
  const { f } = h;
  try {
    const record = await h.addRecord('patient', 'patient', { resourceType: 'Observation', status: 'final', code: { text: 'glucose' } }, ['doctor', 'lab']);
    const now = await f.latestTimestamp();
    const grant = async (grantee: Actor) => {
      const receipt = await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr[grantee], scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 100_000n }]));
      await h.waitIndexed();
      return { receipt, grantId: await f.read.consent.read.grantCount() };
    };
    const read = async (actor: Actor) => (await httpCall(h.gateway.url, 'GET', `/api/records/${record.recordId}/versions/1/ciphertext`, { token: (await h.client(actor)).sessionToken })).status;
    const chainSays = (actor: Actor) => f.read.consent.read.canAccessRecord([f.addr.patient, f.addr[actor], record.category, record.recordId, Permission.Read]);
    const stats = () => h.gateway.access.cacheStats();

    for (const actor of ['patient', 'doctor', 'lab', 'hospital'] as Actor[]) await h.client(actor);

    // Steady state: every decision from the view, not one read sent to the node's EVM.
    const doctorGrant = await grant('doctor');
    const before = stats();
    for (let i = 0; i < 5; i++) assert.equal(await read('doctor'), 200);
    assert.equal(await read('hospital'), 403, 'no grant, no read');
    const after = stats();
    assert.equal(after.viewDecisions - before.viewDecisions, 6);
    assert.equal(after.chainDecisions, before.chainDecisions);
    assert.equal(after.misses, before.misses, 'no eth_call: the chain path read nothing');
    assert.equal(after.fallbacks, before.fallbacks);

    // The indexer lags (paused): the patient revokes the doctor and grants the lab on chain. The
    // gateway sees the newer block, the view cannot catch up, so the answer is the chain's — never the older view's.
    await h.gateway.indexer.stop();
    await f.mined(f.as('patient').consent.write.revoke([doctorGrant.grantId]));
    await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.lab, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 100_000n }]));
    const labGrantId = await f.read.consent.read.grantCount();
    const lagging = stats();
    assert.ok(BigInt(lagging.view.block!) < await f.publicClient.getBlockNumber({ cacheTime: 0 }), 'the view is behind the chain');
    assert.equal(await read('doctor'), 403, 'revoked in a block the view has not applied: denied');
    assert.equal(await read('lab'), 200, 'granted in a block the view has not applied: the chain says yes');
    assert.equal(await chainSays('doctor'), false);
    assert.equal(await chainSays('lab'), true);
    const fellBack = stats();
    assert.equal(fellBack.fallbacks - lagging.fallbacks, 2, 'both decided from chain reads');
    assert.equal(fellBack.chainDecisions - lagging.chainDecisions, 2);

    // The indexer resumes: the view catches up and decides again, with the same answers.
    h.gateway.indexer.start();
    await h.waitIndexed();
    const caughtUp = stats();
    assert.equal(await read('doctor'), 403);
    assert.equal(await read('lab'), 200);
    assert.equal(stats().fallbacks, caughtUp.fallbacks);
    assert.equal(stats().viewDecisions - caughtUp.viewDecisions, 2);

    const patientKey = privateKeyToAccount(f.keys.patient);
    const relayRevoke = async (grantId: bigint, deadline: bigint, signer = patientKey) => {
      const nonce = await f.read.consent.read.nonces([f.addr.patient]);
      const signature = await signer.signTypedData(revokeTypedData({ chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, deadline, nonce, grantId }));
      return httpCall(h.gateway.url, 'POST', `/api/grants/${grantId}/revoke/relay`, { token: (await h.client('patient')).sessionToken, body: { patient: f.addr.patient, deadline: Number(deadline), signature } });
    };
    const withdrawn = () => stats().view.withdrawn;
    // The relayer (the operator's account) has sent its transaction: it waits in the pool.
    const pending = () => f.publicClient.getTransactionCount({ address: f.addr.admin, blockTag: 'pending' });
    const inPool = async (before: number) => { for (let i = 0; i < 1000 && await pending() === before; i++) await new Promise((r) => setTimeout(r, 5)); assert.ok(await pending() > before); };
    const until = async (condition: () => boolean) => { for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5)); assert.ok(condition()); };

    // Attack: someone relays a "revocation" of the lab's grant that the patient did not sign. It is refused and denies nobody.
    const forged = await relayRevoke(labGrantId, now + 5_000n, privateKeyToAccount(f.keys.doctor));
    assert.equal(forged.status, 422);
    assert.match(forged.text, /InvalidSignature/);
    assert.equal(withdrawn(), 0);
    assert.equal(await read('lab'), 200, 'the lab still reads');
    assert.equal(await chainSays('lab'), true, 'the grant is untouched on chain');

    // Revocation at the speed of the signature: sealing paused, the lab is denied as soon as the
    // gateway accepts the patient's signature, while the transaction waits in the pool.
    await f.rpc('evm_setAutomine', [false]);
    const blockBefore = await f.publicClient.getBlockNumber({ cacheTime: 0 });
    const queued = await pending();
    const revoking = relayRevoke(labGrantId, now + 5_000n);
    await until(() => withdrawn() === 1);
    assert.equal(await read('lab'), 403, 'denied before the block');
    assert.equal(await f.publicClient.getBlockNumber({ cacheTime: 0 }), blockBefore, 'no block was sealed');
    assert.equal(await chainSays('lab'), true, 'the chain has not recorded the revocation yet');
    await inPool(queued);
    await f.rpc('evm_mine');
    assert.equal((await revoking).status, 200);
    await f.rpc('evm_setAutomine', [true]);
    await h.waitIndexed();
    assert.equal(await chainSays('lab'), false);
    assert.equal(await read('lab'), 403, 'and after it');
    assert.equal(withdrawn(), 0, 'the chain recorded it: the gateway\'s own mark is gone');

    // A revocation accepted whose transaction then fails for another reason (mined after its
    // deadline): the grant stays live on chain, the gateway keeps denying, also after a restart,
    // until the patient acts on the grant again (here: extends it).
    const labAgain = await grant('lab');
    assert.equal(await read('lab'), 200);
    await f.rpc('evm_setAutomine', [false]);
    const latest = await f.latestTimestamp();
    const sent = await pending();
    const failing = relayRevoke(labAgain.grantId, latest + 30n);
    await until(() => withdrawn() === 1);
    await inPool(sent);
    await f.setNextTimestamp(latest + 1_000n);
    await f.rpc('evm_mine');
    const refused = await failing;
    assert.equal(refused.status, 422, 'the relayed transaction reverted (SignatureExpired)');
    await f.rpc('evm_setAutomine', [true]);
    assert.equal(await chainSays('lab'), true, 'the grant is still live on chain');
    assert.equal(await read('lab'), 403, 'the patient signed the revocation: still denied');
    await h.restart();
    assert.equal(await read('lab'), 403, 'still denied after a restart');
    const nonce = await f.read.consent.read.nonces([f.addr.patient]);
    const validUntil = now + 200_000n;
    const ctx = { chainId: 31337, consent: f.addresses.consent, patient: f.addr.patient, deadline: latest + 5_000n, nonce, grantId: labAgain.grantId, validUntil };
    const signature: Hex = await patientKey.signTypedData(extendTypedData(ctx));
    const extended = await httpCall(h.gateway.url, 'POST', `/api/grants/${labAgain.grantId}/extend/relay`, {
      token: (await h.client('patient')).sessionToken, body: { patient: f.addr.patient, validUntil: Number(validUntil), deadline: Number(ctx.deadline), signature },
    });
    assert.equal(extended.status, 200);
    await h.waitIndexed();
    assert.equal(await read('lab'), 200, 'the patient extended the grant: the lab reads again');
  } finally {
    await h.close();
  }
});
