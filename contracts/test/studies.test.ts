import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFunctionData, parseEventLogs, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { IdentityAbi, ProviderKind, StudiesAbi, SuspensionReason } from '../../src/sdk/contracts.ts';
import { Computation, StudyStatus, declaredComputation, studyCode, studyConsentTypedData, toMicro } from '../../src/sdk/studies.ts';
import { chain, expectRevert, medchainFixture, randomKey } from './fixture.ts';

const HBA1C = { system: 'http://loinc.org', code: '4548-4' };
const approveStudy = (id: bigint) => encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [id] });
const setThresholds = (acc: bigint, adm: bigint) => encodeFunctionData({ abi: IdentityAbi, functionName: 'setThresholds', args: [acc, adm] });

async function setUp(options: { admins?: Address[] } = {}) {
  const f = await medchainFixture(options);
  // The "applicant" actor is the researcher here (a research provider); the hospital runs the compute service.
  await f.accredit('applicant', ProviderKind.Research);
  const now = await f.latestTimestamp();
  const terms = (over: Partial<Record<string, unknown>> = {}) => ({
    titleHash: randomKey(), protocolHash: randomKey(), categories: [randomKey()], codes: [studyCode(HBA1C.system, HBA1C.code)],
    computations: [
      declaredComputation({ kind: 'Mean', code: HBA1C, lower: 4, upper: 14 }),
      declaredComputation({ kind: 'Histogram', code: HBA1C, lower: 4, upper: 14, bins: 10 }),
    ],
    minCohort: 10, epsilonBudget: toMicro(3), endTime: now + 86_400n, computeKey: randomKey(), computeOperator: f.addr.hospital,
    ...over,
  });
  const register = async (over: Partial<Record<string, unknown>> = {}) => {
    const receipt = await f.mined(f.as('applicant').studies.write.registerStudy([terms(over) as never]));
    const [event] = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRegistered' });
    return event!.args.studyId;
  };
  return { f, terms, register };
}

test('only an accredited research provider registers a study, with well-formed terms', async () => {
  const { f, terms, register } = await setUp();
  await expectRevert(f.as('doctor').studies.write.registerStudy([terms() as never]), 'NotResearcher');
  await expectRevert(f.as('patient').studies.write.registerStudy([terms() as never]), 'NotResearcher');
  const bad: Array<[string, Partial<Record<string, unknown>>]> = [
    ['minCohort below the floor', { minCohort: 2 }],
    ['no budget', { epsilonBudget: 0n }],
    ['already ended', { endTime: 1n }],
    ['no compute key', { computeKey: `0x${'00'.repeat(32)}` }],
    ['no computation', { computations: [] }],
    ['a computation over an undeclared code', { computations: [declaredComputation({ kind: 'Mean', code: { system: 'x', code: 'y' }, lower: 0, upper: 1 })] }],
    ['a mean without clamping bounds', { computations: [declaredComputation({ kind: 'Mean', code: HBA1C })] }],
    ['a histogram without bins', { computations: [declaredComputation({ kind: 'Histogram', code: HBA1C, lower: 0, upper: 1 })] }],
  ];
  for (const [what, over] of bad) {
    await expectRevert(f.as('applicant').studies.write.registerStudy([terms(over) as never]), 'InvalidTerms').catch((e: Error) => { throw new Error(`${what}: ${e.message}`); });
  }
  assert.equal(await f.read.studies.read.studyCount(), 0n);
  const id = await register();
  const s = await f.read.studies.read.getStudy([id]);
  assert.equal(s.researcher, f.addr.applicant);
  assert.equal(s.status, StudyStatus.Proposed);
  assert.equal((await f.read.studies.read.computationsOf([id]))[1]!.kind, Computation.Histogram);
  assert.equal(await f.read.studies.read.isOpen([id]), false);
});

test('the ethics board approves through governance with the admin threshold; nobody else can', async () => {
  const { f, register } = await setUp({ admins: [] });
  // Two admins, two approvals for governance actions.
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'addAdmin', args: [f.addr.admin2] })]));
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, setThresholds(1n, 2n)]));
  const id = await register();
  await expectRevert(f.as('admin').studies.write.approveStudy([id]), 'NotGovernance');
  await expectRevert(f.as('applicant').studies.write.approveStudy([id]), 'NotGovernance');
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, approveStudy(id)]));
  assert.equal((await f.read.studies.read.getStudy([id])).status, StudyStatus.Proposed, 'one approval of two is not enough');
  await expectRevert(f.as('patient').studies.write.optIn([id]), 'StudyNotOpen');
  const receipt = await f.mined(f.as('admin2').identity.write.approve([f.addresses.studies, approveStudy(id)]));
  assert.equal(parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyApproved' }).length, 1);
  assert.equal(await f.read.studies.read.isOpen([id]), true);
});

test('patients opt in and out at any time, themselves or by a relayed signature; non-patients cannot', async () => {
  const { f, register } = await setUp();
  const id = await register();
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, approveStudy(id)]));
  await expectRevert(f.as('doctor').studies.write.optIn([id]), 'NotPatient');
  await f.mined(f.as('patient').studies.write.optIn([id]));
  await expectRevert(f.as('patient').studies.write.optIn([id]), 'AlreadyParticipant');
  assert.equal(await f.read.studies.read.isParticipant([id, f.addr.patient]), true);

  const deadline = (await f.latestTimestamp()) + 600n;
  const sign = async (join: boolean) => privateKeyToAccount(f.keys.patient2).signTypedData(studyConsentTypedData({
    chainId: chain.id, studies: f.addresses.studies, patient: f.addr.patient2, studyId: id, nonce: await f.read.studies.read.nonces([f.addr.patient2]), deadline, join,
  }));
  const optInSig = await sign(true);
  await f.mined(f.as('relayer').studies.write.optInBySig([f.addr.patient2, id, deadline, optInSig]));
  await expectRevert(f.as('relayer').studies.write.optInBySig([f.addr.patient2, id, deadline, optInSig]), 'InvalidSignature');
  assert.equal((await f.read.studies.read.getStudy([id])).participants, 2);
  // An opt-out signature cannot be replayed as an opt-in, nor used for someone else.
  const optOutSig = await sign(false);
  await expectRevert(f.as('relayer').studies.write.optOutBySig([f.addr.patient, id, deadline, optOutSig]), 'InvalidSignature');
  const receipt = await f.mined(f.as('relayer').studies.write.optOutBySig([f.addr.patient2, id, deadline, optOutSig]));
  assert.equal(parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyOptedOut' })[0]!.args.patient, f.addr.patient2);
  await expectRevert(f.as('patient2').studies.write.optOut([id]), 'NotParticipant');
  assert.equal((await f.read.studies.read.getStudy([id])).participants, 1);
});

test('runs: only the compute operator, only declared computations, cohort at least the minimum, within budget, before the end', async () => {
  const { f, register } = await setUp();
  const id = await register({ minCohort: 5 });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, approveStudy(id)]));
  // Five participants: the fixture's two patients and three fresh ones registered by themselves.
  for (const actor of ['patient', 'patient2'] as const) await f.mined(f.as(actor).studies.write.optIn([id]));
  for (const actor of ['outsider', 'relayer', 'device'] as const) {
    await f.mined(f.as(actor).identity.write.registerPatient([randomKey(), randomKey()]));
    await f.mined(f.as(actor).studies.write.optIn([id]));
  }
  const run = (actor: 'hospital' | 'applicant', computation: bigint, cohort: number, epsilon: number) =>
    f.as(actor).studies.write.recordRun([id, computation, cohort, toMicro(epsilon), randomKey() as Hex, randomKey() as Hex]);
  await expectRevert(run('applicant', 0n, 5, 1), 'NotComputeOperator');
  await expectRevert(run('hospital', 2n, 5, 1), 'UndeclaredComputation');
  await expectRevert(run('hospital', 0n, 4, 1), 'CohortTooSmall');
  await expectRevert(run('hospital', 0n, 6, 1), 'CohortLargerThanParticipants');
  await expectRevert(run('hospital', 0n, 5, 0), 'InvalidEpsilon');
  await expectRevert(run('hospital', 0n, 5, 3.5), 'BudgetExceeded');
  const receipt = await f.mined(run('hospital', 1n, 5, 2));
  const [event] = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRun' });
  assert.equal(event!.args.runId, 1n);
  assert.equal(event!.args.kind, Computation.Histogram);
  assert.equal((await f.read.studies.read.getStudy([id])).epsilonSpent, toMicro(2));
  await expectRevert(run('hospital', 0n, 5, 1.5), 'BudgetExceeded');
  await expectRevert(run('hospital', 0n, 5, 0.049999), 'InvalidEpsilon');
  await f.mined(run('hospital', 0n, 5, 0.95));
  await expectRevert(run('hospital', 0n, 5, 0.06), 'BudgetExceeded');
  await f.mined(run('hospital', 0n, 5, 0.05));

  // A researcher suspended after approval: no run is recorded, whoever operates; reinstated, runs go on.
  const id3 = await register({ minCohort: 5, epsilonBudget: toMicro(3) });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, approveStudy(id3)]));
  for (const actor of ['patient', 'patient2', 'outsider', 'relayer', 'device'] as const) await f.mined(f.as(actor).studies.write.optIn([id3]));
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.applicant, SuspensionReason.Other]));
  await expectRevert(f.as('hospital').studies.write.recordRun([id3, 0n, 5, toMicro(1), randomKey() as Hex, randomKey() as Hex]), 'NotResearcher');
  assert.deepEqual([(await f.read.studies.read.getStudy([id3])).epsilonSpent, (await f.read.studies.read.getStudy([id3])).runs], [0n, 0]);
  await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [f.addr.applicant] })]));
  await f.mined(f.as('hospital').studies.write.recordRun([id3, 0n, 5, toMicro(1), randomKey() as Hex, randomKey() as Hex]));

  // After the end date nothing runs and nobody joins; leaving is still possible.
  const id2 = await register({ minCohort: 5 });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, approveStudy(id2)]));
  for (const actor of ['patient', 'patient2', 'outsider', 'relayer', 'device'] as const) await f.mined(f.as(actor).studies.write.optIn([id2]));
  await f.setNextTimestamp((await f.read.studies.read.getStudy([id2])).endTime);
  await expectRevert(f.as('hospital').studies.write.recordRun([id2, 0n, 5, toMicro(1), randomKey() as Hex, randomKey() as Hex]), 'StudyNotOpen');
  await f.mined(f.as('patient').studies.write.optOut([id2]));
  await expectRevert(f.as('patient').studies.write.optIn([id2]), 'StudyNotOpen');
});

test('a researcher closes a study early; a closed study runs nothing', async () => {
  const { f, register } = await setUp();
  const id = await register({ minCohort: 5 });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, approveStudy(id)]));
  await expectRevert(f.as('doctor').studies.write.closeStudy([id]), 'NotStudyResearcher');
  const receipt = await f.mined(f.as('applicant').studies.write.closeStudy([id]));
  assert.equal(parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyClosed' }).length, 1);
  assert.equal(await f.read.studies.read.isOpen([id]), false);
  await expectRevert(f.as('patient').studies.write.optIn([id]), 'StudyNotOpen');
  await expectRevert(f.as('applicant').studies.write.closeStudy([id]), 'InvalidStatus');
  await expectRevert(f.as('applicant').studies.write.closeStudy([99n]), 'UnknownStudy');
});
