/**
 * The relayed consent actions against a real gateway and chain: a grant carries exactly the signed
 * terms, extend moves its end, revoke ends it; and a signature that is not the patient's is refused
 * by the contract (ChainRefusedError) and changes nothing — for each of the three.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { GrantState, Permission, ScopeKind, ZERO_SCOPE, type GrantTerms } from '../contracts.ts';
import { ChainRefusedError } from '../errors.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { relayExtend } from './relayExtend.ts';
import { relayGrant } from './relayGrant.ts';
import { relayRevoke } from './relayRevoke.ts';

/** The error a promise rejects with (fails the test if it resolves). */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  try { await promise; } catch (error) { return error as Error; }
  assert.fail('expected a refusal');
}

test('relayGrant / relayExtend / relayRevoke: signed terms land on chain; a wrong signer is refused and changes nothing', async () => {
  const h = await gatewayHarness();
  try {
    const { f } = h;
    const gateway = await h.client('patient');
    const patient = f.addr.patient;
    const base = { gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, patient, signer: privateKeyToAccount(f.keys.patient) };
    const forger = privateKeyToAccount(f.keys.doctor);
    const now = await f.latestTimestamp();
    const terms: GrantTerms = {
      grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read,
      purpose: await gateway.purposeTag(patient, f.addr.doctor, 'Treatment'), validFrom: 0n, validUntil: now + 3600n,
    };
    const nonce = () => f.read.consent.read.nonces([patient]);

    // Attack: the doctor signs a grant to themself in the patient's name. The contract refuses; no grant, no nonce used.
    const countBefore = await f.read.consent.read.grantCount();
    const forgedGrant = await refusal(relayGrant({ ...base, signer: forger, terms }));
    assert.ok(forgedGrant instanceof ChainRefusedError, `got ${forgedGrant.name}: ${forgedGrant.message}`);
    assert.equal(forgedGrant.errorName, 'InvalidSignature');
    assert.equal(await f.read.consent.read.grantCount(), countBefore);
    assert.equal(await nonce(), 0n);

    const { grantId, txHash } = await relayGrant({ ...base, terms });
    assert.match(txHash, /^0x[0-9a-f]{64}$/);
    let g = await f.read.consent.read.getGrant([BigInt(grantId)]);
    assert.equal(g.patient, patient);
    assert.equal(g.grantee, terms.grantee);
    assert.equal(g.scopeKind, terms.scopeKind);
    assert.equal(g.scopeValue, terms.scopeValue);
    assert.equal(g.permissions, terms.permissions);
    assert.equal(g.purpose, terms.purpose);
    assert.equal(g.validUntil, terms.validUntil);
    assert.equal(g.requestId, 0n);
    assert.equal(await f.read.consent.read.grantState([BigInt(grantId)]), GrantState.Active);
    assert.equal(await nonce(), 1n, 'the signature used the chain\'s nonce');

    // Attack: a forged extension (to keep a grant alive the patient meant to end) is refused; the end stays.
    const forgedExtend = await refusal(relayExtend({ ...base, signer: forger, grantId: BigInt(grantId), validUntil: now + 99_999n }));
    assert.ok(forgedExtend instanceof ChainRefusedError, `got ${forgedExtend.name}: ${forgedExtend.message}`);
    assert.equal((await f.read.consent.read.getGrant([BigInt(grantId)])).validUntil, terms.validUntil);

    await relayExtend({ ...base, grantId: BigInt(grantId), validUntil: now + 7200n });
    g = await f.read.consent.read.getGrant([BigInt(grantId)]);
    assert.equal(g.validUntil, now + 7200n);

    // Attack: a forged revocation (to cut off the patient's doctor) is refused; the grant stays live.
    const forgedRevoke = await refusal(relayRevoke({ ...base, signer: forger, grantId: BigInt(grantId) }));
    assert.ok(forgedRevoke instanceof ChainRefusedError, `got ${forgedRevoke.name}: ${forgedRevoke.message}`);
    assert.equal(await f.read.consent.read.grantState([BigInt(grantId)]), GrantState.Active);
    assert.equal(await nonce(), 2n);

    await relayRevoke({ ...base, grantId: BigInt(grantId) });
    assert.equal(await f.read.consent.read.grantState([BigInt(grantId)]), GrantState.Revoked);
    assert.notEqual((await f.read.consent.read.getGrant([BigInt(grantId)])).revokedAt, 0n);
    assert.equal(await nonce(), 3n);
  } finally {
    await h.close();
  }
});
