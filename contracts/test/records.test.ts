import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEventLogs, type Address, type Hex } from 'viem';
import {
  Permission, RecordRegistryAbi, ScopeKind, SuspensionReason, ZERO_SCOPE, recordCategory, type GrantTerms,
} from '../../src/sdk/contracts.ts';
import { expectRevert, medchainFixture, randomKey, type Actor, type Fixture } from './fixture.ts';
import { opaquePurpose } from '../../test/purposes.ts';

const OBS = recordCategory('Observation');
// CIDv1 raw sha2-256, binary; a fresh random one without `n` (a content id is registered only once).
const cid = (n?: number): Hex => `0x01551220${n === undefined ? randomKey().slice(2) : n.toString(16).padStart(64, '0')}`;

function grantOf(grantee: Address, until: bigint, over: Partial<GrantTerms> = {}): GrantTerms {
  return { grantee, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until, ...over };
}

async function add(f: Fixture, actor: Actor, recordId: Hex, n?: number, patient = f.addr.patient) {
  return f.mined(f.as(actor).recordRegistry.write.addRecord([recordId, patient, OBS, cid(n), randomKey()]));
}

test('the patient adds a record and its versions form a chain', async () => {
  const f = await medchainFixture();
  const id = randomKey();
  const h1 = randomKey();
  const r1 = await f.mined(f.as('patient').recordRegistry.write.addRecord([id, f.addr.patient, OBS, cid(1), h1]));
  const [added] = parseEventLogs({ abi: RecordRegistryAbi, logs: r1.logs, eventName: 'RecordAdded' });
  assert.equal(added!.args.recordId, id);
  assert.equal(added!.args.contentId, cid(1));
  const h2 = randomKey();
  await f.mined(f.as('patient').recordRegistry.write.updateRecord([id, 1, cid(2), h2]));
  const h3 = randomKey();
  const r3 = await f.mined(f.as('patient').recordRegistry.write.updateRecord([id, 2, cid(3), h3]));
  const [updated] = parseEventLogs({ abi: RecordRegistryAbi, logs: r3.logs, eventName: 'RecordUpdated' });
  assert.equal(updated!.args.version, 3);
  assert.equal(updated!.args.previousVersion, 2);

  const record = await f.read.recordRegistry.read.getRecord([id]);
  assert.equal(record.patient, f.addr.patient);
  assert.equal(record.latestVersion, 3);
  assert.equal(record.category, OBS);
  const chain: number[] = [];
  for (let v = record.latestVersion; v > 0; v = (await f.read.recordRegistry.read.getVersion([id, v])).previousVersion) chain.push(v);
  assert.deepEqual(chain, [3, 2, 1]);
  const v2 = await f.read.recordRegistry.read.getVersion([id, 2]);
  assert.equal(v2.author, f.addr.patient);
  assert.equal(v2.contentId, cid(2));
  assert.equal((await f.read.recordRegistry.read.latestVersion([id])).integrityHash, h3);
  assert.equal(await f.read.recordRegistry.read.verifyIntegrity([id, 1, h1]), true);
  assert.equal(await f.read.recordRegistry.read.verifyIntegrity([id, 1, h2]), false);
  assert.deepEqual(await f.read.recordRegistry.read.recordsOf([f.addr.patient]), [id]);
  assert.equal(await f.read.recordRegistry.read.recordCount(), 1n);

  await expectRevert(f.as('patient').recordRegistry.write.updateRecord([id, 2, cid(4), randomKey()]), 'StaleVersion');
  await expectRevert(add(f, 'patient', id), 'RecordExists');
  await expectRevert(f.as('patient').recordRegistry.write.updateRecord([randomKey(), 1, cid(4), randomKey()]), 'UnknownRecord');
  await expectRevert(f.read.recordRegistry.read.getVersion([randomKey(), 1]), 'UnknownRecord');
});

test('bad records are refused', async () => {
  const f = await medchainFixture();
  const w = f.as('patient').recordRegistry.write;
  await expectRevert(w.addRecord([ZERO_SCOPE, f.addr.patient, OBS, cid(1), randomKey()]), 'InvalidRecord');
  await expectRevert(w.addRecord([randomKey(), f.addr.patient, ZERO_SCOPE, cid(1), randomKey()]), 'InvalidRecord');
  await expectRevert(w.addRecord([randomKey(), f.addr.patient, OBS, '0x', randomKey()]), 'InvalidRecord');
  await expectRevert(w.addRecord([randomKey(), f.addr.patient, OBS, `0x${'ab'.repeat(129)}`, randomKey()]), 'InvalidRecord');
  await expectRevert(w.addRecord([randomKey(), f.addr.patient, OBS, cid(1), ZERO_SCOPE]), 'InvalidRecord');
  await expectRevert(f.as('outsider').recordRegistry.write.addRecord([randomKey(), f.addr.outsider, OBS, cid(1), randomKey()]), 'NotPatient');
});

test('a provider writes only with a live write grant covering the record, exact at the window edges', async () => {
  const f = await medchainFixture();
  const id = randomKey();
  await expectRevert(add(f, 'doctor', id), 'NotAuthorized');
  const t0 = await f.latestTimestamp();
  const from = t0 + 100n;
  const until = t0 + 200n;
  await f.mined(f.as('patient').consent.write.grant([grantOf(f.addr.doctor, until, { validFrom: from, scopeKind: ScopeKind.Category, scopeValue: OBS, permissions: Permission.Write })]));
  await f.mined(f.as('patient').consent.write.grant([grantOf(f.addr.lab, t0 + 1000n, { permissions: Permission.Read })]));

  // Transactions mined at exact timestamps (fixed gas: no estimate, the block decides).
  const addAt = async (ts: bigint, actor: Actor, recordId: Hex) => {
    await f.setNextTimestamp(ts);
    const hash = await f.as(actor).recordRegistry.write.addRecord([recordId, f.addr.patient, OBS, cid(), randomKey()], { gas: 1_000_000n });
    return (await f.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status;
  };
  assert.equal(await addAt(from - 1n, 'doctor', randomKey()), 'reverted', 'not yet valid');
  assert.equal(await addAt(from, 'doctor', id), 'success', 'first second of the window');
  assert.equal(await addAt(until - 1n, 'doctor', randomKey()), 'success', 'last second of the window');
  assert.equal(await addAt(until, 'doctor', randomKey()), 'reverted', 'window closed');
  assert.equal(await addAt(until + 1n, 'lab', randomKey()), 'reverted', 'read-only grant');
  assert.equal((await f.read.recordRegistry.read.getRecord([id])).patient, f.addr.patient);

  // Another category is out of scope; the patient's update of the doctor's record is fine.
  const other = randomKey();
  await f.mined(f.as('patient').recordRegistry.write.addRecord([other, f.addr.patient, recordCategory('Condition'), cid(5), randomKey()]));
  await f.mined(f.as('patient').consent.write.grant([grantOf(f.addr.doctor, (await f.latestTimestamp()) + 500n, { scopeKind: ScopeKind.Category, scopeValue: OBS, permissions: Permission.Write })]));
  await expectRevert(f.as('doctor').recordRegistry.write.updateRecord([other, 1, cid(6), randomKey()]), 'NotAuthorized');
  await f.mined(f.as('doctor').recordRegistry.write.updateRecord([id, 1, cid(7), randomKey()]));
  assert.equal((await f.read.recordRegistry.read.getVersion([id, 2])).author, f.addr.doctor);

  // A suspended provider cannot write even within the window.
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.doctor, SuspensionReason.Other]));
  await expectRevert(f.as('doctor').recordRegistry.write.updateRecord([id, 2, cid(8), randomKey()]), 'NotAuthorized');
});

test('erasure leaves a tombstone; only the patient may erase; nothing more is written', async () => {
  const f = await medchainFixture();
  const id = randomKey();
  await add(f, 'patient', id);
  await f.mined(f.as('patient').recordRegistry.write.updateRecord([id, 1, cid(2), randomKey()]));
  await f.mined(f.as('patient').consent.write.grant([grantOf(f.addr.doctor, (await f.latestTimestamp()) + 500n)]));
  await expectRevert(f.as('doctor').recordRegistry.write.eraseRecord([id]), 'NotAuthorized');
  const receipt = await f.mined(f.as('patient').recordRegistry.write.eraseRecord([id]));
  assert.equal(parseEventLogs({ abi: RecordRegistryAbi, logs: receipt.logs, eventName: 'RecordErased' }).length, 1);
  const record = await f.read.recordRegistry.read.getRecord([id]);
  assert.ok(record.erasedAt > 0n);
  assert.equal(record.latestVersion, 2);
  for (const v of [1, 2]) {
    const version = await f.read.recordRegistry.read.getVersion([id, v]);
    assert.equal(version.contentId, '0x');
    assert.equal(version.integrityHash, ZERO_SCOPE);
  }
  await expectRevert(f.as('patient').recordRegistry.write.updateRecord([id, 2, cid(3), randomKey()]), 'RecordIsErased');
  await expectRevert(f.as('patient').recordRegistry.write.eraseRecord([id]), 'RecordIsErased');
});

test('access-log roots are anchored by hospitals or admins, per period, never overwritten', async () => {
  const f = await medchainFixture();
  const root = randomKey();
  await expectRevert(f.as('doctor').accessLogAnchor.write.anchor([1n, root, 10n]), 'NotAnchorer');
  await expectRevert(f.as('outsider').accessLogAnchor.write.anchor([1n, root, 10n]), 'NotAnchorer');
  await expectRevert(f.as('hospital').accessLogAnchor.write.anchor([1n, ZERO_SCOPE, 10n]), 'InvalidAnchor');
  await expectRevert(f.as('hospital').accessLogAnchor.write.anchor([1n, root, 0n]), 'InvalidAnchor');
  const receipt = await f.mined(f.as('hospital').accessLogAnchor.write.anchor([1n, root, 10n]));
  const anchor = await f.read.accessLogAnchor.read.getAnchor([f.addr.hospital, 1n]);
  assert.equal(anchor.root, root);
  assert.equal(anchor.entryCount, 10n);
  assert.equal(anchor.blockNumber, receipt.blockNumber);
  await expectRevert(f.as('hospital').accessLogAnchor.write.anchor([1n, randomKey(), 3n]), 'AlreadyAnchored');
  await f.mined(f.as('hospital').accessLogAnchor.write.anchor([2n, randomKey(), 3n]));
  await f.mined(f.as('admin').accessLogAnchor.write.anchor([1n, randomKey(), 3n]));
  assert.equal(await f.read.accessLogAnchor.read.periodCount([f.addr.hospital]), 2n);
  assert.equal(await f.read.accessLogAnchor.read.latestPeriod([f.addr.hospital]), 2n);
  assert.equal((await f.read.accessLogAnchor.read.getAnchor([f.addr.lab, 1n])).root, ZERO_SCOPE);
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.hospital, SuspensionReason.SecurityIncident]));
  await expectRevert(f.as('hospital').accessLogAnchor.write.anchor([3n, root, 1n]), 'NotAnchorer');
});
