import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEther, parseEventLogs, type Address, type Hex } from 'viem';
import {
  IncentivesAbi, Permission, ProviderKind, ScopeKind, SuspensionReason, ZERO_SCOPE, recordCategory, type GrantTerms,
} from '../../src/sdk/contracts.ts';
import { expectRevert, medchainFixture, randomKey, type Actor, type Fixture } from './fixture.ts';
import { opaquePurpose } from '../../test/purposes.ts';

const OBS = recordCategory('Observation');
const DAY = 86_400n;
const cid = (n: number): Hex => `0x01551220${n.toString(16).padStart(64, '0')}`; // CIDv1 raw sha2-256, binary
/** A content id nobody registered yet: each belongs to exactly one record version (RecordRegistry.ContentIdInUse). */
const freshCid = (): Hex => `0x01551220${randomKey().slice(2)}`;

function grantOf(grantee: Address, until: bigint, over: Partial<GrantTerms> = {}): GrantTerms {
  return { grantee, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions: Permission.ReadWrite, purpose: opaquePurpose('Treatment'), validFrom: 0n, validUntil: until, ...over };
}

async function add(f: Fixture, actor: Actor, recordId: Hex, patient: Actor = 'patient') {
  return f.mined(f.as(actor).recordRegistry.write.addRecord([recordId, f.addr[patient], OBS, freshCid(), randomKey()]));
}

const governed = (f: Fixture, data: Hex) => f.mined(f.as('admin').identity.write.approve([f.addresses.incentives, data]));
const adopt = encodeFunctionData({ abi: IncentivesAbi, functionName: 'adoptValidatorRanking' });

test('record work rewards the author (accredited providers only) once per patient per period, and the producer once per block', async () => {
  const f = await medchainFixture();
  const producer = f.addr.relayer;
  await f.setCoinbase(producer);
  const until = (await f.latestTimestamp()) + 100n * DAY;
  await f.mined(f.as('patient').consent.write.grant([grantOf(f.addr.doctor, until)]));
  await f.mined(f.as('patient2').consent.write.grant([grantOf(f.addr.doctor, until)]));
  const balance = (a: Address) => f.read.token.read.balanceOf([a]);
  const id = randomKey();
  const receipt = await add(f, 'doctor', id);
  const events = parseEventLogs({ abi: IncentivesAbi, logs: receipt.logs });
  assert.deepEqual(events.map((e) => e.eventName).sort(), ['AuthorRewarded', 'ProducerRewarded']);
  assert.equal(await balance(f.addr.doctor), parseEther('10'));
  assert.equal(await balance(producer), parseEther('1'));
  assert.equal(await f.read.incentives.read.contributionScore([f.addr.doctor]), 1n);

  // More versions and records for the same patient in the same period earn the author nothing.
  await f.mined(f.as('doctor').recordRegistry.write.updateRecord([id, 1, cid(2), randomKey()]));
  await add(f, 'doctor', randomKey());
  assert.equal(await balance(f.addr.doctor), parseEther('10'));
  assert.equal(await f.read.incentives.read.contributionScore([f.addr.doctor]), 1n);
  // Another patient relationship does; so does the same one in the next period.
  await add(f, 'doctor', randomKey(), 'patient2');
  assert.equal(await f.read.incentives.read.contributionScore([f.addr.doctor]), 2n);
  await f.mineAt((await f.latestTimestamp()) + DAY);
  await f.mined(f.as('doctor').recordRegistry.write.updateRecord([id, 2, cid(3), randomKey()]));
  assert.equal(await f.read.incentives.read.contributionScore([f.addr.doctor]), 3n);
  assert.equal(await balance(f.addr.doctor), parseEther('30'));

  // The patient writing their own record earns nothing; the producer still does (one reward per block).
  await add(f, 'patient', randomKey());
  assert.equal(await balance(f.addr.patient), 0n);
  assert.equal(await balance(producer), parseEther('6'));

  const setRewards = encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewards', args: [parseEther('3'), 0n] });
  await expectRevert(f.as('admin').incentives.write.setRewards([1n, 1n]), 'NotGovernance');
  await expectRevert(f.as('doctor').identity.write.approve([f.addresses.incentives, setRewards]), 'NotAdmin');
  await governed(f, setRewards);
  await f.mineAt((await f.latestTimestamp()) + DAY);
  await f.mined(f.as('doctor').recordRegistry.write.updateRecord([id, 3, cid(4), randomKey()]));
  assert.equal(await balance(f.addr.doctor), parseEther('33'));
  assert.equal(await balance(producer), parseEther('6'));

  // The period is governance's, within bounds.
  await expectRevert(f.as('admin').incentives.write.setRewardPeriod([3600n]), 'NotGovernance');
  await expectRevert(governed(f, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewardPeriod', args: [60n] })), 'InvalidRewardPeriod');
  await expectRevert(governed(f, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewardPeriod', args: [31n * DAY] })), 'InvalidRewardPeriod');
  const changed = await governed(f, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewardPeriod', args: [7n * DAY] }));
  assert.equal(parseEventLogs({ abi: IncentivesAbi, logs: changed.logs, eventName: 'RewardPeriodChanged' })[0]!.args.period, 7n * DAY);
  assert.equal(await f.read.incentives.read.rewardPeriod(), 7n * DAY);

  // Only the registry reports work; only the incentives contract mints.
  await expectRevert(f.as('doctor').incentives.write.rewardRecordWork([f.addr.doctor, f.addr.patient]), 'NotRecordRegistry');
  await expectRevert(f.as('admin').token.write.mint([f.addr.admin, 1n]), 'OwnableUnauthorizedAccount');
  assert.equal(await f.read.token.read.symbol(), 'MED');
});

test('validators: governance adopts the score ranking (bounded, suspended left out); scores alone never move the set', async () => {
  const f = await medchainFixture({ genesisValidators: [] as Address[] }).catch((e: Error) => e);
  assert.ok(f instanceof Error, 'an empty genesis validator set is refused');

  const g = await medchainFixture();
  assert.deepEqual(await g.read.incentives.read.getValidators(), [g.addr.admin], 'genesis validators while nothing is adopted');
  await expectRevert(governed(g, adopt), 'NoValidators');
  const until = (await g.latestTimestamp()) + 100n * DAY;
  await g.accredit('applicant', ProviderKind.Hospital);
  const providers: Actor[] = ['doctor', 'lab', 'hospital', 'applicant'];
  for (const p of providers) for (const patient of ['patient', 'patient2'] as Actor[]) await g.mined(g.as(patient).consent.write.grant([grantOf(g.addr[p], until)]));
  // Points: one per patient per period (hospital 2 patients × 2 days, doctor 3, applicant 2, lab 1).
  const work: Record<string, Array<[Actor, number]>> = { doctor: [['patient', 0], ['patient2', 0], ['patient', 1]], lab: [['patient', 0]], hospital: [['patient', 0], ['patient2', 0], ['patient', 1], ['patient2', 1]], applicant: [['patient', 0], ['patient2', 0]] };
  const start = await g.latestTimestamp();
  for (const day of [0, 1]) {
    if (day === 1) await g.mineAt(start + DAY);
    for (const p of providers) for (const [patient, d] of work[p]!) if (d === day) await add(g, p, randomKey(), patient);
  }
  assert.deepEqual(await Promise.all(providers.map((p) => g.read.incentives.read.contributionScore([g.addr[p]]))), [3n, 1n, 4n, 2n]);
  // The ranking moves with the scores, the validator set does not until governance adopts it.
  const setMax = (n: bigint) => encodeFunctionData({ abi: IncentivesAbi, functionName: 'setMaxValidators', args: [n] });
  await governed(g, setMax(3n));
  assert.deepEqual(await g.read.incentives.read.ranking(), [g.addr.hospital, g.addr.doctor, g.addr.applicant]);
  assert.deepEqual(await g.read.incentives.read.getValidators(), [g.addr.admin]);
  await expectRevert(g.as('admin').incentives.write.adoptValidatorRanking(), 'NotGovernance');
  await expectRevert(g.as('doctor').identity.write.approve([g.addresses.incentives, adopt]), 'NotAdmin');
  const adopted = await governed(g, adopt);
  assert.deepEqual(parseEventLogs({ abi: IncentivesAbi, logs: adopted.logs, eventName: 'ValidatorSetAdopted' })[0]!.args.validators, [g.addr.hospital, g.addr.doctor, g.addr.applicant]);
  assert.deepEqual(await g.read.incentives.read.getValidators(), [g.addr.hospital, g.addr.doctor, g.addr.applicant]);
  // A suspended validator leaves the set at once; the ranking skips it; re-adoption brings in the next one.
  await g.mined(g.as('admin').identity.write.suspendProvider([g.addr.hospital, SuspensionReason.Other]));
  assert.deepEqual(await g.read.incentives.read.getValidators(), [g.addr.doctor, g.addr.applicant]);
  assert.deepEqual(await g.read.incentives.read.ranking(), [g.addr.doctor, g.addr.applicant, g.addr.lab]);
  await governed(g, adopt);
  assert.deepEqual(await g.read.incentives.read.getValidators(), [g.addr.doctor, g.addr.applicant, g.addr.lab]);
  await governed(g, setMax(10n));
  assert.equal((await g.read.incentives.read.ranking()).length, 3);
  await expectRevert(governed(g, setMax(0n)), 'InvalidValidatorCount');
  await expectRevert(governed(g, setMax(65n)), 'InvalidValidatorCount');
  assert.equal((await g.read.incentives.read.contributors()).length, 4);
  // Every adopted validator suspended: the genesis validators again, never an empty set.
  for (const p of ['doctor', 'applicant', 'lab'] as Actor[]) await g.mined(g.as('admin').identity.write.suspendProvider([g.addr[p], SuspensionReason.Other]));
  assert.deepEqual(await g.read.incentives.read.getValidators(), [g.addr.admin]);
});

test('junk versions: a flood of updates with CIDs that have no blob earns one point and one reward, and moves no validator', async () => {
  const f = await medchainFixture();
  await f.mined(f.as('patient').consent.write.grant([grantOf(f.addr.lab, (await f.latestTimestamp()) + DAY)]));
  const id = randomKey();
  await add(f, 'lab', id);
  for (let v = 1; v <= 20; v++) await f.mined(f.as('lab').recordRegistry.write.updateRecord([id, v, cid(1000 + v), randomKey()]));
  assert.equal(await f.read.incentives.read.contributionScore([f.addr.lab]), 1n);
  assert.equal(await f.read.token.read.balanceOf([f.addr.lab]), parseEther('10'));
  assert.deepEqual(await f.read.incentives.read.getValidators(), [f.addr.admin]);
});
