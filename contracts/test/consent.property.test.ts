/**
 * Property-based test of the consent state machine: random sequences of grants, revocations,
 * extensions and the passing of time, checked after every step against a small reference model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem';
import { ConsentAbi, Permission, ScopeKind, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { medchainFixture, type Actor, type Fixture } from './fixture.ts';
import { opaquePurpose } from '../../test/purposes.ts';

const GRANTEES: Actor[] = ['doctor', 'lab'];
const SCOPES: Array<{ kind: number; value: Hex }> = [
  { kind: ScopeKind.All, value: ZERO_SCOPE },
  { kind: ScopeKind.Category, value: recordCategory('Observation') },
  { kind: ScopeKind.Record, value: `0x${'ab'.repeat(32)}` },
];

interface ModelGrant { grantee: number; scope: number; perms: number; from: bigint; until: bigint; revoked: boolean }
type Action =
  | { type: 'grant'; grantee: number; scope: number; perms: number; fromOffset: number; duration: number }
  | { type: 'revoke'; pick: number }
  | { type: 'extend'; pick: number; delta: number }
  | { type: 'wait'; seconds: number }
  | { type: 'edge'; pick: number; until: boolean; offset: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant('grant' as const), grantee: fc.nat(1), scope: fc.nat(2), perms: fc.integer({ min: 1, max: 3 }), fromOffset: fc.integer({ min: 0, max: 30 }), duration: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ type: fc.constant('revoke' as const), pick: fc.nat(20) }),
  fc.record({ type: fc.constant('extend' as const), pick: fc.nat(20), delta: fc.integer({ min: -5, max: 40 }) }),
  fc.record({ type: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 40 }) }),
  // Jump to a window edge (or the second before it): where off-by-one bugs live.
  fc.record({ type: fc.constant('edge' as const), pick: fc.nat(20), until: fc.boolean(), offset: fc.integer({ min: -1, max: 0 }) }),
);

function state(g: ModelGrant, now: bigint): 'upcoming' | 'active' | 'expired' | 'revoked' {
  if (g.revoked) return 'revoked';
  if (now < g.from) return 'upcoming';
  return now >= g.until ? 'expired' : 'active';
}

async function blockTime(f: Fixture, receipt: TransactionReceipt): Promise<bigint> {
  return (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
}

async function run(f: Fixture, actions: Action[]) {
  const grants: ModelGrant[] = [];
  const current = new Map<string, number>(); // slot -> index in grants
  const send = async (write: Promise<Hex>) => {
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash: await write, pollingInterval: 10 });
    return { receipt, ok: receipt.status === 'success', at: await blockTime(f, receipt) };
  };
  for (const a of actions) {
    const next = (await f.latestTimestamp()) + 1n;
    if (a.type === 'grant') {
      const from = a.fromOffset === 0 ? 0n : next + BigInt(a.fromOffset);
      const until = (from === 0n ? next : from) + BigInt(a.duration);
      const scope = SCOPES[a.scope]!;
      const { ok, at, receipt } = await send(f.as('patient').consent.write.grant([{
        grantee: f.addr[GRANTEES[a.grantee]!], scopeKind: scope.kind, scopeValue: scope.value, permissions: a.perms,
        purpose: opaquePurpose('Treatment'), validFrom: from, validUntil: until,
      }], { gas: 1_000_000n }));
      assert.equal(ok, true, 'a valid grant is accepted');
      assert.equal(at, next);
      const slot = `${a.grantee}/${a.scope}`;
      const prev = current.get(slot);
      if (prev !== undefined && ['active', 'upcoming'].includes(state(grants[prev]!, at))) grants[prev]!.revoked = true;
      grants.push({ grantee: a.grantee, scope: a.scope, perms: a.perms, from: from === 0n ? at : from, until, revoked: false });
      current.set(slot, grants.length - 1);
      const id = parseEventLogs({ abi: ConsentAbi, logs: receipt.logs, eventName: 'GrantCreated' })[0]!.args.grantId;
      assert.equal(id, BigInt(grants.length));
    } else if (a.type === 'revoke' && grants.length > 0) {
      const i = a.pick % grants.length;
      const { ok, at } = await send(f.as('patient').consent.write.revoke([BigInt(i + 1)], { gas: 1_000_000n }));
      const expected = ['active', 'upcoming'].includes(state(grants[i]!, at));
      assert.equal(ok, expected, `revoke in state ${state(grants[i]!, at)}`);
      if (ok) grants[i]!.revoked = true;
    } else if (a.type === 'extend' && grants.length > 0) {
      const i = a.pick % grants.length;
      const until = grants[i]!.until + BigInt(a.delta);
      const { ok, at } = await send(f.as('patient').consent.write.extend([BigInt(i + 1), until], { gas: 1_000_000n }));
      const expected = ['active', 'upcoming'].includes(state(grants[i]!, at)) && until > grants[i]!.until;
      assert.equal(ok, expected, 'extend');
      if (ok) grants[i]!.until = until;
    } else if (a.type === 'wait') {
      await f.mineAt(next - 1n + BigInt(a.seconds));
    } else if (a.type === 'edge' && grants.length > 0) {
      const g = grants[a.pick % grants.length]!;
      const target = (a.until ? g.until : g.from) + BigInt(a.offset);
      if (target >= next) await f.mineAt(target);
    }

    // After every step: the chain agrees with the model for every grantee, scope and permission.
    const now = await f.latestTimestamp();
    const blockNumber = await f.publicClient.getBlockNumber({ cacheTime: 0 });
    for (let g = 0; g < GRANTEES.length; g++) {
      for (let s = 0; s < SCOPES.length; s++) {
        for (const perm of [Permission.Read, Permission.Write]) {
          const covering = [current.get(`${g}/0`), s === 0 ? undefined : current.get(`${g}/${s}`)];
          const expected = covering.some((i) => i !== undefined && state(grants[i]!, now) === 'active' && (grants[i]!.perms & perm) === perm);
          const actual = await f.read.consent.read.isAuthorized([f.addr.patient, f.addr[GRANTEES[g]!] as Address, SCOPES[s]!.kind, SCOPES[s]!.value, perm], { blockNumber });
          assert.equal(actual, expected, `grantee ${g} scope ${s} perm ${perm} at ${now}`);
        }
      }
    }
    for (let i = 0; i < grants.length; i++) {
      const onChain = await f.read.consent.read.grantState([BigInt(i + 1)], { blockNumber });
      assert.equal(onChain, { upcoming: 1, active: 2, expired: 3, revoked: 4 }[state(grants[i]!, now)]);
    }
  }
}

test('consent state machine matches its model (fast-check)', async () => {
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 14 }), async (actions) => {
    const f = await medchainFixture();
    await run(f, actions);
  }), { numRuns: 12 });
});
