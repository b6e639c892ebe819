import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import { Permission, ScopeKind, ZERO_SCOPE, recordCategory } from '../../src/sdk/contracts.ts';
import { expectRevert, medchainFixture, randomKey } from './fixture.ts';
import { opaquePurpose } from '../../test/purposes.ts';

const OBS = recordCategory('Observation');
const freshCid = (): Hex => `0x01551220${randomKey().slice(2)}`;

test('a content id belongs to exactly one record version, for good (issue 13, finding 1)', async () => {
  const f = await medchainFixture();
  const victimCid = freshCid();
  const victimRecord = randomKey();
  assert.equal(await f.read.recordRegistry.read.isContentIdUsed([victimCid]), false);
  await f.mined(f.as('patient').recordRegistry.write.addRecord([victimRecord, f.addr.patient, OBS, victimCid, randomKey()]));
  assert.equal(await f.read.recordRegistry.read.isContentIdUsed([victimCid]), true);

  // Another self-registered patient cannot claim the victim's (public) content id: not in a new record…
  await f.mined(f.as('outsider').identity.write.registerPatient([randomKey(), ZERO_SCOPE]));
  const attackerRecord = randomKey();
  await expectRevert(f.as('outsider').recordRegistry.write.addRecord([attackerRecord, f.addr.outsider, OBS, victimCid, randomKey()]), 'ContentIdInUse');
  assert.equal((await f.read.recordRegistry.read.getRecord([attackerRecord])).patient, '0x0000000000000000000000000000000000000000');
  // …nor as a new version of its own record.
  const own = randomKey();
  await f.mined(f.as('outsider').recordRegistry.write.addRecord([own, f.addr.outsider, OBS, freshCid(), randomKey()]));
  await expectRevert(f.as('outsider').recordRegistry.write.updateRecord([own, 1, victimCid, randomKey()]), 'ContentIdInUse');
  assert.equal((await f.read.recordRegistry.read.getRecord([own])).latestVersion, 1);

  // Not even the patient reuses it, in another record or in a later version of the same one.
  await expectRevert(f.as('patient').recordRegistry.write.addRecord([randomKey(), f.addr.patient, OBS, victimCid, randomKey()]), 'ContentIdInUse');
  await expectRevert(f.as('patient').recordRegistry.write.updateRecord([victimRecord, 1, victimCid, randomKey()]), 'ContentIdInUse');

  // A provider with a live write grant neither.
  const until = (await f.latestTimestamp()) + 1000n;
  await f.mined(f.as('patient').consent.write.grant([{
    grantee: f.addr.doctor, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until,
  }]));
  await expectRevert(f.as('doctor').recordRegistry.write.addRecord([randomKey(), f.addr.patient, OBS, victimCid, randomKey()]), 'ContentIdInUse');

  // Erasure clears the version's content id but keeps it taken: a shredded blob's id is never reborn.
  await f.mined(f.as('patient').recordRegistry.write.eraseRecord([victimRecord]));
  assert.equal((await f.read.recordRegistry.read.getVersion([victimRecord, 1])).contentId, '0x');
  assert.equal(await f.read.recordRegistry.read.isContentIdUsed([victimCid]), true);
  await expectRevert(f.as('outsider').recordRegistry.write.addRecord([randomKey(), f.addr.outsider, OBS, victimCid, randomKey()]), 'ContentIdInUse');
  await expectRevert(f.as('patient').recordRegistry.write.addRecord([randomKey(), f.addr.patient, OBS, victimCid, randomKey()]), 'ContentIdInUse');
});
