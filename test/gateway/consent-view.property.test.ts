/**
 * Differential property test of the consent view against the contracts (issue 16): random
 * histories of registrations, grants (all / category / record scopes, windows), revocations,
 * extensions, suspensions and reinstatements, device registration and removal, break-glass open
 * and close, and record writes and erasures go through the real contracts on a real EVM (EDR).
 * The real indexer writes them to a real SQLite index and the view follows its committed batches.
 * After every block, for every (patient, accessor, record, permission) triple, the view's decision
 * equals Consent.canAccessRecord at that block, and the view's grants, slots, break-glass windows,
 * roles, records and versions equal the contracts' own views. Time jumps to both sides of every
 * window edge (the second before, the second of), where off-by-one bugs live. At the end of each
 * history, a view rebuilt from SQL alone (what a restart after kill -9 does) equals the live one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFunctionData, type Hex } from 'viem';
import {
  ConsentAbi, IdentityAbi, Permission, RecordRegistryAbi, Role, ScopeKind, SuspensionReason, ZERO_SCOPE,
} from '../../src/sdk/contracts.ts';
import { medchainFixture, randomKey, type Actor, type Fixture } from '../../contracts/test/fixture.ts';
import { decideAccess } from '../../src/gateway/chain/access.ts';
import { createConsentView } from '../../src/gateway/consent/view.ts';
import { migrate, openSqlite } from '../../src/gateway/db/index.ts';
import { createIndexer } from '../../src/gateway/db/indexer.ts';
import { applyChainEvent, type IndexedLog } from '../../src/gateway/index/handlers.ts';
import { chainIndexMigrations } from '../../src/gateway/index/schema.ts';
import { opaquePurpose } from '../purposes.ts';

const PATIENTS: Actor[] = ['patient', 'patient2'];
const PROVIDERS: Actor[] = ['doctor', 'lab'];
/** Who asks: providers, the device (granted by its owner), an outsider, and the other patient. */
const ACCESSORS: Actor[] = ['doctor', 'lab', 'device', 'outsider', 'patient', 'patient2'];
const CATEGORIES: Hex[] = [`0x${'c1'.repeat(32)}`, `0x${'c2'.repeat(32)}`];
const RECORDS: Hex[] = [`0x${'a1'.repeat(32)}`, `0x${'a2'.repeat(32)}`, `0x${'a3'.repeat(32)}`];
const PERMISSIONS = [Permission.Read, Permission.Write, Permission.ReadWrite];
const gas = { gas: 2_000_000n };

type Action =
  | { type: 'grant'; patient: number; grantee: number; scope: number; perms: number; fromOffset: number; duration: number }
  | { type: 'revoke'; pick: number }
  | { type: 'extend'; pick: number; delta: number }
  | { type: 'suspend'; provider: number }
  | { type: 'reinstate'; provider: number }
  | { type: 'device'; owner: number }
  | { type: 'open'; provider: number; patient: number }
  | { type: 'close'; provider: number; patient: number; byPatient: boolean }
  | { type: 'reopen'; provider: number; patient: number }
  | { type: 'write'; author: number; patient: number; record: number; category: number }
  | { type: 'erase'; record: number; patient: number }
  | { type: 'wait'; seconds: number }
  | { type: 'edge'; pick: number; offset: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('grant' as const), patient: fc.nat(1), grantee: fc.nat(2), scope: fc.nat(4), perms: fc.integer({ min: 1, max: 3 }), fromOffset: fc.integer({ min: 0, max: 20 }), duration: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('revoke' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('extend' as const), pick: fc.nat(20), delta: fc.integer({ min: -3, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('suspend' as const), provider: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('reinstate' as const), provider: fc.nat(1) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('device' as const), owner: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('open' as const), provider: fc.nat(1), patient: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('close' as const), provider: fc.nat(1), patient: fc.nat(1), byPatient: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('reopen' as const), provider: fc.nat(1), patient: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('write' as const), author: fc.nat(3), patient: fc.nat(1), record: fc.nat(2), category: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('erase' as const), record: fc.nat(2), patient: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('edge' as const), pick: fc.nat(40), offset: fc.integer({ min: -1, max: 0 }) }) },
);

/** The scope of a grant: all, one of two categories, or one of the first two record ids. */
function scopeOf(i: number): { kind: number; value: Hex } {
  if (i === 0) return { kind: ScopeKind.All, value: ZERO_SCOPE };
  if (i <= 2) return { kind: ScopeKind.Category, value: CATEGORIES[i - 1]! };
  return { kind: ScopeKind.Record, value: RECORDS[i - 3]! };
}

async function harness() {
  const f = await medchainFixture();
  // Every run starts from this block (EDR snapshots), with a fresh index and view of its own.
  return { f, snapshot: await f.rpc('evm_snapshot') as string };
}

async function send(f: Fixture, write: Promise<Hex>): Promise<boolean> {
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash: await write, pollingInterval: 5 });
  return receipt.status === 'success';
}

async function step(f: Fixture, a: Action, edges: bigint[]) {
  const addr = f.addr;
  switch (a.type) {
    case 'grant': {
      const next = (await f.latestTimestamp()) + 1n;
      const from = a.fromOffset === 0 ? 0n : next + BigInt(a.fromOffset);
      const until = (from === 0n ? next : from) + BigInt(a.duration);
      const scope = scopeOf(a.scope);
      const grantee = (['doctor', 'lab', 'device'] as Actor[])[a.grantee]!;
      await send(f, f.as(PATIENTS[a.patient]!).consent.write.grant([{ grantee: addr[grantee], scopeKind: scope.kind, scopeValue: scope.value, permissions: a.perms, purpose: opaquePurpose('Treatment'), validFrom: from, validUntil: until }], gas));
      break;
    }
    case 'revoke': case 'extend': {
      const count = await f.read.consent.read.grantCount();
      if (count === 0n) return;
      const id = BigInt(a.pick) % count + 1n;
      const g = await f.read.consent.read.getGrant([id]);
      const patient = PATIENTS.find((p) => addr[p] === g.patient)!;
      if (a.type === 'revoke') await send(f, f.as(patient).consent.write.revoke([id], gas));
      else await send(f, f.as(patient).consent.write.extend([id, BigInt(Math.max(0, Number(g.validUntil) + a.delta))], gas));
      break;
    }
    case 'suspend': await send(f, f.as('admin').identity.write.suspendProvider([addr[PROVIDERS[a.provider]!], SuspensionReason.Other], gas)); break;
    case 'reinstate': {
      const data = encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [addr[PROVIDERS[a.provider]!]] });
      await send(f, f.as('admin').identity.write.approve([f.addresses.identity, data], gas));
      break;
    }
    case 'device': {
      // Registered: its owner removes it (the address may then register again, for either patient).
      const owner = PATIENTS[a.owner]!;
      const onChain = await f.read.identity.read.deviceOwner([addr.device]);
      const holder = PATIENTS.find((p) => addr[p] === onChain);
      if (holder) await send(f, f.as(holder).identity.write.removeDevice([addr.device], gas));
      else {
        const { deadline, signature } = await f.deviceSignature('device', addr[owner]);
        await send(f, f.as(owner).identity.write.registerDevice([addr.device, deadline, signature], gas));
      }
      break;
    }
    case 'open': await send(f, f.as(PROVIDERS[a.provider]!).consent.write.openEmergencyAccess([addr[PATIENTS[a.patient]!], randomKey()], gas)); break;
    case 'close': {
      // A live window when there is one (closing a closed one only reverts).
      const now = await f.latestTimestamp();
      const pairs = PATIENTS.flatMap((p) => PROVIDERS.map((v) => [p, v] as const));
      const live = [];
      for (const [p, v] of pairs) if ((await f.read.consent.read.emergencyOf([addr[p], addr[v]])).until > now) live.push([p, v] as const);
      const [patient, provider] = live.length > 0 ? live[(a.patient * 2 + a.provider) % live.length]! : [PATIENTS[a.patient]!, PROVIDERS[a.provider]!];
      await send(f, f.as(a.byPatient ? patient : provider).consent.write.closeEmergencyAccess([addr[patient], addr[provider]], gas));
      break;
    }
    case 'reopen': await send(f, f.as(PATIENTS[a.patient]!).consent.write.allowEmergencyReopen([addr[PATIENTS[a.patient]!], addr[PROVIDERS[a.provider]!]], gas)); break;
    case 'write': {
      const author = (['doctor', 'lab', 'device', 'patient'] as Actor[])[a.author]!;
      const id = RECORDS[a.record]!;
      const r = await f.read.recordRegistry.read.getRecord([id]);
      if (r.patient === '0x0000000000000000000000000000000000000000') {
        await send(f, f.as(author).recordRegistry.write.addRecord([id, addr[PATIENTS[a.patient]!], CATEGORIES[a.category]!, randomKey(), randomKey()], gas));
      } else {
        await send(f, f.as(author === 'patient' ? PATIENTS.find((p) => addr[p] === r.patient)! : author).recordRegistry.write.updateRecord([id, r.latestVersion, randomKey(), randomKey()], gas));
      }
      break;
    }
    case 'erase': await send(f, f.as(PATIENTS[a.patient]!).recordRegistry.write.eraseRecord([RECORDS[a.record]!], gas)); break;
    case 'wait': await f.mineAt((await f.latestTimestamp()) + BigInt(a.seconds)); break;
    case 'edge': {
      // Both sides of a window edge: the second before it and the second of it.
      const now = await f.latestTimestamp();
      const ahead = edges.filter((e) => e + BigInt(a.offset) > now);
      if (ahead.length > 0) await f.mineAt(ahead[a.pick % ahead.length]! + BigInt(a.offset));
      break;
    }
  }
}

/** After a block: the view, caught up by the indexer, answers as the contracts do at that block. */
async function compare(f: Fixture, view: ReturnType<typeof createConsentView>, blockNumber: bigint) {
  const at = { blockNumber };
  const block = await f.publicClient.getBlock(at);
  assert.equal(view.through()?.number, blockNumber, 'the view is at the block');
  for (const p of PATIENTS) {
    for (const acc of ACCESSORS) {
      for (let r = 0; r < RECORDS.length; r++) {
        for (const category of CATEGORIES) {
          const state = view.state.accessState(f.addr[p], f.addr[acc], category, RECORDS[r]!, block.timestamp);
          for (const perm of PERMISSIONS) {
            const chain = await f.read.consent.read.canAccessRecord([f.addr[p], f.addr[acc], category, RECORDS[r]!, perm], at);
            // The gateway judges at the block's second here, exactly like the contract.
            const mine = decideAccess(state, perm, block.timestamp).allowed;
            assert.equal(mine, chain, `canAccessRecord(${p}, ${acc}, category ${category.slice(0, 6)}, record ${r}, permission ${perm}) at block ${blockNumber} (t=${block.timestamp})`);
          }
        }
      }
    }
  }
  // The contracts' own views.
  const count = await f.read.consent.read.grantCount(at);
  assert.equal(view.state.grants.size, Number(count), 'grant count');
  for (let id = 1n; id <= count; id++) {
    const g = await f.read.consent.read.getGrant([id], at);
    const mine = view.state.grants.get(id)!;
    assert.deepEqual(
      [mine.patient, mine.grantee, mine.scopeKind, mine.scopeValue, mine.permissions, mine.validFrom, mine.validUntil, mine.revokedAt],
      [g.patient.toLowerCase(), g.grantee.toLowerCase(), g.scopeKind, g.scopeValue.toLowerCase(), g.permissions, g.validFrom, g.validUntil, g.revokedAt], `grant ${id}`);
    const slot = await f.read.consent.read.currentGrant([g.patient, g.grantee, g.scopeKind, g.scopeValue], at);
    assert.equal(view.state.currentGrant(g.patient, g.grantee, g.scopeKind, g.scopeValue), slot, `slot of grant ${id}`);
  }
  for (const p of PATIENTS) {
    for (const prov of PROVIDERS) {
      const e = await f.read.consent.read.emergencyOf([f.addr[p], f.addr[prov]], at);
      const mine = view.state.emergencyOf(f.addr[p], f.addr[prov]);
      assert.deepEqual([mine.openedAt, mine.until, mine.accessId], [e.openedAt, e.until, e.accessId], `emergencyOf(${p}, ${prov})`);
    }
  }
  for (const acc of ['admin', 'admin2'] as Actor[]) {
    assert.equal(view.state.admins.has(f.addr[acc].toLowerCase()), await f.read.identity.read.isAdmin([f.addr[acc]], at), `isAdmin(${acc})`);
  }
  for (const acc of ACCESSORS) {
    assert.equal(view.state.auditors.has(f.addr[acc].toLowerCase()), await f.read.identity.read.isAuditor([f.addr[acc]], at), `isAuditor(${acc})`);
    const [role, active, owner] = await Promise.all([
      f.read.identity.read.roleOf([f.addr[acc]], at), f.read.identity.read.isActiveProvider([f.addr[acc]], at), f.read.identity.read.deviceOwner([f.addr[acc]], at),
    ]);
    const mine = view.state.account(f.addr[acc]);
    assert.equal(mine.role, role, `roleOf(${acc})`);
    assert.equal(mine.role === Role.Provider && mine.status === 2, active, `isActiveProvider(${acc})`);
    assert.equal(mine.role === Role.Device ? mine.owner : '0x0000000000000000000000000000000000000000', owner.toLowerCase(), `deviceOwner(${acc})`);
  }
  for (const id of RECORDS) {
    const r = await f.read.recordRegistry.read.getRecord([id], at);
    assert.deepEqual(await view.record(id), { ...r, category: r.category.toLowerCase() }, `getRecord(${id.slice(0, 6)})`);
    for (let v = 1; v <= r.latestVersion; v++) {
      const onChain = await f.read.recordRegistry.read.getVersion([id, v], at);
      assert.deepEqual(await view.version(id, v), { ...onChain, contentId: onChain.contentId.toLowerCase(), integrityHash: onChain.integrityHash.toLowerCase() }, `getVersion(${id.slice(0, 6)}, ${v})`);
    }
  }
}

test('the consent view decides like Consent.canAccessRecord after every block, on both sides of every window edge (fast-check)', async () => {
  const { f, snapshot } = await harness();
  let snap = snapshot;
  {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 16 }), async (actions) => {
      await f.rpc('evm_revert', [snap]);
      snap = await f.rpc('evm_snapshot') as string;
      // A fresh index and view for each history, built from block 0 like a new gateway.
      const runDb = await openSqlite(':memory:');
      await migrate(runDb, chainIndexMigrations);
      const view = createConsentView({ db: runDb });
      const indexer = createIndexer({
        db: runDb, client: f.publicClient, fromBlock: 0n, contracts: [
          { name: 'identity', address: f.addresses.identity, abi: IdentityAbi },
          { name: 'consent', address: f.addresses.consent, abi: ConsentAbi },
          { name: 'recordRegistry', address: f.addresses.recordRegistry, abi: RecordRegistryAbi },
        ],
        onEvent: (tx, log, contract) => applyChainEvent(tx, log as unknown as IndexedLog, contract),
        onCommitted: (batch) => view.commit(batch),
      });
      await view.load(undefined);
      try {
        for (const a of actions) {
          // Window edges worth jumping to: those of grants still current in their slot and not
          // revoked, and of break-glass windows (picked from the view; the assertion is the chain's).
          const current = new Set(view.state.slots.values());
          const edges = [...view.state.grants.values()].filter((g) => g.revokedAt === 0n && current.has(g.grantId)).flatMap((g) => [g.validFrom, g.validUntil])
            .concat([...view.state.emergencies.values()].map((e) => e.until));
          await step(f, a, edges);
          await indexer.syncOnce();
          await compare(f, view, await f.publicClient.getBlockNumber({ cacheTime: 0 }));
        }
        // A restart (or a kill -9: the view holds nothing SQL does not) rebuilds the same state from SQL alone.
        const rebuilt = createConsentView({ db: runDb });
        await rebuilt.load(view.through());
        assert.deepStrictEqual(rebuilt.state, view.state, 'the view rebuilt from SQL equals the one that followed the blocks');
      } finally {
        await runDb.close();
      }
    }), { numRuns: Number(process.env.MEDCHAIN_VIEW_RUNS ?? 12), verbose: 1,
      // Always also: an upcoming grant, then its start and end to the second (off-by-one at either edge fails here).
      examples: [[[{ type: 'grant', patient: 0, grantee: 0, scope: 0, perms: 1, fromOffset: 3, duration: 5 }, { type: 'edge', pick: 0, offset: -1 }, { type: 'edge', pick: 0, offset: 0 }, { type: 'edge', pick: 0, offset: -1 }, { type: 'edge', pick: 0, offset: 0 }]],
        // And every kind of identity and break-glass change at least once, in a row.
        [[{ type: 'open', provider: 0, patient: 0 }, { type: 'close', provider: 0, patient: 0, byPatient: true }, { type: 'reopen', provider: 0, patient: 0 },
          { type: 'open', provider: 0, patient: 0 }, { type: 'device', owner: 0 }, { type: 'grant', patient: 0, grantee: 2, scope: 1, perms: 3, fromOffset: 0, duration: 30 },
          { type: 'write', author: 2, patient: 0, record: 0, category: 0 }, { type: 'device', owner: 0 }, { type: 'device', owner: 1 },
          { type: 'suspend', provider: 0 }, { type: 'reinstate', provider: 0 }, { type: 'close', provider: 0, patient: 0, byPatient: false }, { type: 'erase', record: 0, patient: 0 }]]] });
  }
});
