import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, Hex } from 'viem';
import { Permission, ScopeKind, SuspensionReason, ZERO_SCOPE, recordCategory } from '../../sdk/contracts.ts';
import { medchainFixture, randomKey } from '../../../contracts/test/fixture.ts';
import { createChainAccess } from './access.ts';
import { clockAtSeconds, systemClock } from '../clock.ts';
import { opaquePurpose } from '../../../test/purposes.ts';

const OBS = recordCategory('Observation');
const COND = recordCategory('Condition');

test('record access decisions follow chain state at the wall-clock second, with reasons', async () => {
  const f = await medchainFixture();
  let clock = await f.latestTimestamp();
  const access = createChainAccess({ client: f.publicClient, addresses: f.addresses, clock: clockAtSeconds(() => clock) });
  const record = randomKey();
  const decide = (accessor: Address, permission: number = Permission.Read, category: Hex = OBS) =>
    access.authorizeRecord({ patient: f.addr.patient, accessor, category, recordId: record, permission });

  assert.deepEqual(await decide(f.addr.patient, Permission.ReadWrite), { allowed: true, basis: 'patient' });
  assert.deepEqual(await decide(f.addr.doctor), { allowed: false, reason: 'no-grant' });
  assert.deepEqual(await decide(f.addr.outsider), { allowed: false, reason: 'not-registered' });

  const t0 = await f.latestTimestamp();
  const grant = (grantee: Address, over: object) => f.mined(f.as('patient').consent.write.grant([{
    grantee, scopeKind: ScopeKind.Category, scopeValue: OBS, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: t0 + 100n, ...over,
  }]));
  await grant(f.addr.doctor, { validFrom: t0 + 50n });
  clock = t0 + 49n;
  assert.deepEqual(await decide(f.addr.doctor), { allowed: false, reason: 'not-yet-valid' });
  // No block is sealed between here and the end of the window: the wall clock decides.
  clock = t0 + 50n;
  assert.deepEqual(await decide(f.addr.doctor), { allowed: true, basis: 'grant', grantId: 1n, until: t0 + 100n, purpose: opaquePurpose('Treatment') });
  assert.deepEqual(await decide(f.addr.doctor, Permission.Write), { allowed: false, reason: 'permission' });
  assert.deepEqual(await decide(f.addr.doctor, Permission.Read, COND), { allowed: false, reason: 'no-grant' }, 'other category');
  clock = t0 + 99n;
  assert.equal((await decide(f.addr.doctor)).allowed, true);
  clock = t0 + 100n;
  assert.deepEqual(await decide(f.addr.doctor), { allowed: false, reason: 'expired' });

  // Revoked; a record-scoped grant; a suspended provider.
  await grant(f.addr.lab, { validUntil: t0 + 10_000n, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE });
  clock = await f.latestTimestamp();
  assert.equal((await decide(f.addr.lab, Permission.Read, COND)).allowed, true);
  await f.mined(f.as('patient').consent.write.revoke([2n]));
  assert.deepEqual(await decide(f.addr.lab), { allowed: false, reason: 'revoked' });
  await grant(f.addr.hospital, { validUntil: t0 + 10_000n, scopeKind: ScopeKind.Record, scopeValue: record, permissions: Permission.ReadWrite });
  assert.equal((await decide(f.addr.hospital, Permission.Write, COND)).allowed, true);
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.hospital, SuspensionReason.Other]));
  assert.deepEqual(await decide(f.addr.hospital), { allowed: false, reason: 'suspended' });

  // Break-glass: read only, until the admin-set duration ends.
  const opened = await f.mined(f.as('lab').consent.write.openEmergencyAccess([f.addr.patient, randomKey()]));
  const openedAt = (await f.publicClient.getBlock({ blockNumber: opened.blockNumber })).timestamp;
  clock = openedAt;
  assert.deepEqual(await decide(f.addr.lab), { allowed: true, basis: 'break-glass', until: openedAt + 4n * 3600n });
  assert.deepEqual(await decide(f.addr.lab, Permission.Write), { allowed: false, reason: 'revoked' });
  clock = openedAt + 4n * 3600n;
  assert.deepEqual(await decide(f.addr.lab), { allowed: false, reason: 'revoked' });

  // Roles as the gateway sees them.
  assert.equal(await access.resolveRole(f.addr.admin), 'admin');
  assert.equal(await access.resolveRole(f.addr.patient), 'patient');
  assert.equal(await access.resolveRole(f.addr.doctor), 'provider');
  assert.equal(await access.resolveRole(f.addr.hospital), 'none', 'suspended');
  assert.equal(await access.resolveRole(f.addr.outsider), 'none');
});

test('when the wall clock equals the block time, the gateway agrees with the contract', async () => {
  const f = await medchainFixture();
  const t0 = await f.latestTimestamp();
  const record = randomKey();
  await f.mined(f.as('patient').consent.write.grant([{ grantee: f.addr.doctor, scopeKind: ScopeKind.Record, scopeValue: record, permissions: Permission.Write, purpose: opaquePurpose('Research'), validFrom: t0 + 5n, validUntil: t0 + 20n }]));
  await f.mined(f.as('lab').consent.write.openEmergencyAccess([f.addr.patient, randomKey()]));
  for (const ts of [t0 + 4n, t0 + 5n, t0 + 19n, t0 + 20n, t0 + 4n * 3600n, t0 + 4n * 3600n + 10n]) {
    const blockNumber = await f.mineAt(ts);
    const access = createChainAccess({ client: f.publicClient, addresses: f.addresses, clock: clockAtSeconds(() => ts) });
    for (const accessor of [f.addr.doctor, f.addr.lab, f.addr.outsider]) {
      for (const permission of [Permission.Read, Permission.Write]) {
        const onChain = await f.read.consent.read.canAccessRecord([f.addr.patient, accessor, OBS, record, permission], { blockNumber });
        const decision = await access.authorizeRecord({ patient: f.addr.patient, accessor, category: OBS, recordId: record, permission });
        assert.equal(decision.allowed, onChain, `${accessor} perm ${permission} at +${ts - t0}`);
      }
    }
  }
});

test('chain reads are reused within a block only: a revocation denies from the block that mined it', async () => {
  const f = await medchainFixture();
  let clock = await f.latestTimestamp();
  const access = createChainAccess({ client: f.publicClient, addresses: f.addresses, clock: clockAtSeconds(() => clock) });
  const recordA = randomKey();
  const recordB = randomKey();
  const decide = (recordId: Hex) => access.authorizeRecord({ patient: f.addr.patient, accessor: f.addr.doctor, category: OBS, recordId, permission: Permission.Read });
  const t0 = await f.latestTimestamp();
  await f.mined(f.as('patient').consent.write.grant([{
    grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: t0 + 1000n,
  }]));
  clock = await f.latestTimestamp();

  // Same block: the second decision reads nothing but the latest block (and its own record slot).
  assert.equal((await decide(recordA)).allowed, true);
  const first = access.cacheStats();
  assert.equal((await decide(recordA)).allowed, true);
  const second = access.cacheStats();
  assert.equal(second.misses, first.misses, 'no chain view re-read in the same block');
  assert.ok(second.hits > first.hits);
  assert.equal((await decide(recordB)).allowed, true);
  assert.equal(access.cacheStats().misses, second.misses + 1, 'only the record slot of another record is read');

  // The revocation's block is the latest block: the very next decision denies.
  await f.mined(f.as('patient').consent.write.revoke([1n]));
  assert.deepEqual(await decide(recordA), { allowed: false, reason: 'revoked' });
  assert.deepEqual(await decide(recordB), { allowed: false, reason: 'revoked' });

  // Memoized state still meets the wall clock per request: a grant ends at validUntil with no new block.
  await f.mined(f.as('patient').consent.write.grant([{
    grantee: f.addr.doctor, scopeKind: ScopeKind.Record, scopeValue: recordA, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: t0 + 500n,
  }]));
  clock = t0 + 499n;
  assert.equal((await decide(recordA)).allowed, true);
  const before = access.cacheStats();
  clock = t0 + 500n;
  // (The revoked All grant outranks 'expired' as the reason; the record grant no longer allows.)
  assert.equal((await decide(recordA)).allowed, false);
  assert.equal(access.cacheStats().misses, before.misses, 'decided from the memo, at the new wall-clock second');

  // Concurrent decisions around a new block: those that saw the new block all deny.
  await f.mined(f.as('patient').consent.write.grant([{
    grantee: f.addr.lab, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.Read, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: t0 + 1000n,
  }]));
  clock = await f.latestTimestamp();
  const lab = () => access.authorizeRecord({ patient: f.addr.patient, accessor: f.addr.lab, category: OBS, recordId: recordB, permission: Permission.Read });
  const early = await Promise.all(Array.from({ length: 8 }, lab));
  assert.ok(early.every((d) => d.allowed));
  const revoked = f.mined(f.as('patient').consent.write.revoke([3n]));
  await revoked;
  const late = await Promise.all(Array.from({ length: 8 }, lab));
  assert.ok(late.every((d) => !d.allowed && d.reason === 'revoked'));
});

test('registry reads are pinned and shared per block: an update or erasure shows from its block; concurrent callers share block reads', async () => {
  const f = await medchainFixture();
  const access = createChainAccess({ client: f.publicClient, addresses: f.addresses, clock: systemClock });
  const id = randomKey();
  const cid = (n: number): Hex => `0x01551220${n.toString(16).padStart(64, '0')}`;
  await f.mined(f.as('patient').recordRegistry.write.addRecord([id, f.addr.patient, OBS, cid(1), randomKey()]));

  const at = await access.pin();
  assert.equal((await access.record(id, at)).latestVersion, 1);
  const before = access.cacheStats();
  assert.equal((await access.record(id, at)).latestVersion, 1);
  assert.equal((await access.version(id, 1, at)).contentId, cid(1));
  assert.equal(access.cacheStats().misses, before.misses + 1, 'the record is read once per block; the version once');

  await f.mined(f.as('patient').recordRegistry.write.updateRecord([id, 1, cid(2), randomKey()]));
  assert.equal((await access.record(id)).latestVersion, 2, 'the next request sees the update');
  assert.equal((await access.version(id, 2)).contentId, cid(2));
  assert.equal((await access.record(id, at)).latestVersion, 1, 'a request pinned to the older block keeps its view');

  await f.mined(f.as('patient').recordRegistry.write.eraseRecord([id]));
  assert.notEqual((await access.record(id)).erasedAt, 0n);

  // Forty concurrent pins need at most two block reads: the one in flight and one shared after it.
  let blockReads = 0;
  // pin() reads the block with a raw eth_getBlockByNumber request, so that is what is counted.
  const request = ((args: { method: string }, options?: unknown) => {
    if (args.method === 'eth_getBlockByNumber') blockReads++;
    return f.publicClient.request(args as never, options as never);
  }) as typeof f.publicClient.request;
  const counting = { ...f.publicClient, request };
  const shared = createChainAccess({ client: counting as typeof f.publicClient, addresses: f.addresses, clock: systemClock });
  const pins = await Promise.all(Array.from({ length: 40 }, () => shared.pin()));
  assert.ok(blockReads <= 2, `${blockReads} block reads for 40 concurrent pins`);
  assert.ok(pins.every((p) => p.blockNumber === pins[0]!.blockNumber));
});
