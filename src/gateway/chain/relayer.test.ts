import { test } from 'node:test';
import assert from 'node:assert/strict';
import { custom, encodeFunctionData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { IdentityAbi, Permission, ScopeKind, ZERO_SCOPE, grantTypedData } from '../../sdk/contracts.ts';
import { chain, medchainFixture, randomKey } from '../../../contracts/test/fixture.ts';
import { ChainRefusal, createRelayer } from './relayer.ts';
import { opaquePurpose } from '../../../test/purposes.ts';

test('the relayer sends patients\' signed grants and anchors, and reports refusals by name', async () => {
  const f = await medchainFixture();
  const relayer = createRelayer({ client: f.publicClient, transport: custom(f.provider, { retryCount: 0 }), chain, addresses: f.addresses, privateKey: f.keys.relayer });
  const now = await f.latestTimestamp();
  const terms = { grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: now + 600n };
  const signature = await privateKeyToAccount(f.keys.patient).signTypedData(grantTypedData({ chainId: chain.id, consent: f.addresses.consent, patient: f.addr.patient, nonce: 0n, deadline: now + 60n, terms }));
  // Two relays at once: nonces do not collide (the second one is refused for the replay, not for a nonce).
  const results = await Promise.allSettled([
    relayer.grantBySig(f.addr.patient, terms, 0n, now + 60n, signature),
    relayer.grantBySig(f.addr.patient, { ...terms, validUntil: now + 601n }, 0n, now + 60n, signature),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.ok((results[1] as PromiseRejectedResult).reason instanceof ChainRefusal);
  assert.equal(((results[1] as PromiseRejectedResult).reason as ChainRefusal).errorName, 'InvalidSignature');
  assert.equal(await f.read.consent.read.isAuthorized([f.addr.patient, f.addr.doctor, ScopeKind.All, ZERO_SCOPE, Permission.Read]), true);

  await assert.rejects(relayer.anchor(1n, randomKey(), 5n), (e: ChainRefusal) => e.errorName === 'NotAnchorer');
  const setAdmin = encodeFunctionData({ abi: IdentityAbi, functionName: 'addAdmin', args: [relayer.address] });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, setAdmin]));
  const root = randomKey();
  const hash = await relayer.anchor(1n, root, 5n);
  assert.match(hash, /^0x[0-9a-f]{64}$/);
  assert.equal((await f.read.accessLogAnchor.read.getAnchor([relayer.address, 1n])).root, root);
});
