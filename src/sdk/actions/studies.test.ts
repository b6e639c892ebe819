/**
 * The research-study actions against a real gateway (with a compute key) and chain: the researcher
 * names the compute service, describes and runs a study; five patients join by relayed signature,
 * share their data and read their participation and the results; an auditor reads a run's cohort;
 * a patient leaves and their keys are gone. Refused and changing nothing: a title that is not the
 * one on chain, a signature in another patient's name, a run by someone who is not the researcher,
 * and sharing with a study this hospital does not compute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, encodeFunctionData, keccak256, parseEventLogs, toBytes, type Hex } from 'viem';
import { generateEncryptionKeyPair } from '../../crypto/index.ts';
import { ProviderKind, StudiesAbi, recordCategory } from '../contracts.ts';
import { AccessDeniedError, ChainRefusedError, ConflictError, GatewayError } from '../errors.ts';
import { declaredComputation, studyCode, toMicro } from '../studies.ts';
import { gatewayHarness } from '../../../test/gateway/harness.ts';
import { HBA1C, hospitalPatient, type HospitalPatient } from '../../../test/research/hospitalPatients.ts';
import { assertStudyComputedHere } from './assertStudyComputedHere.ts';
import { describeStudy } from './describeStudy.ts';
import { getComputeService } from './getComputeService.ts';
import { getStudies } from './getStudies.ts';
import { getStudy } from './getStudy.ts';
import { getStudyParticipation } from './getStudyParticipation.ts';
import { getStudyRunCohort } from './getStudyRunCohort.ts';
import { getStudyRuns } from './getStudyRuns.ts';
import { runStudyComputation } from './runStudyComputation.ts';
import { setStudyConsent } from './setStudyConsent.ts';
import { shareWithStudy } from './shareWithStudy.ts';

test('study actions: describe, join, share, run, read results and cohort, leave; refusals change nothing', async () => {
  const computeKey = generateEncryptionKeyPair();
  const h = await gatewayHarness({ research: { computeKeys: [computeKey] } });
  try {
    const { f } = h;
    await f.accredit('applicant', ProviderKind.Research);
    const researcher = await h.client('applicant');
    const service = await getComputeService({ gateway: researcher });
    assert.deepEqual(service.computeKeys, [bytesToHex(computeKey.publicKey)]);

    const register = async (key: Hex, title: string) => {
      const receipt = await f.mined(f.as('applicant').studies.write.registerStudy([{
        titleHash: keccak256(toBytes(title)), protocolHash: keccak256(toBytes('protocol')), categories: [recordCategory('Observation')], codes: [studyCode(HBA1C.system, HBA1C.code)],
        computations: [declaredComputation({ kind: 'Count', code: HBA1C })], minCohort: 5, epsilonBudget: toMicro(5), endTime: (await f.latestTimestamp()) + 30n * 86_400n,
        computeKey: key, computeOperator: service.operator,
      }]));
      const id = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRegistered' })[0]!.args.studyId;
      await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [id] })]));
      return id;
    };
    const title = 'HbA1c at the clinic';
    const studyId = await register(service.computeKeys[0]!, title);

    // A title other than the one whose hash is on chain is refused; the study stays undescribed.
    await assert.rejects(describeStudy({ gateway: researcher, studyId, title: 'Something else entirely', summary: 'A summary of ten characters or more.' }), (e: unknown) => e instanceof GatewayError && e.status === 422);
    assert.equal((await getStudy({ gateway: researcher, studyId })).title, null);
    await describeStudy({ gateway: researcher, studyId, title, summary: 'Only a noised count leaves the hospital.', codes: [{ ...HBA1C, display: 'HbA1c' }] });
    const page = await getStudy({ gateway: researcher, studyId });
    assert.deepEqual([page.title, page.status, page.computeKeyHeldHere, page.runList], [title, 'approved', true, []]);
    assert.deepEqual((await getStudies({ gateway: researcher })).map((s) => [s.studyId, s.title]), [[Number(studyId), title]]);

    const patients: HospitalPatient[] = [];
    for (let i = 0; i < 5; i++) patients.push(await hospitalPatient(h, [[6 + i / 10, '2026-06-01']]));
    const consent = (p: HospitalPatient, join: boolean, signer = p.account) =>
      setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, patient: p.account.address, signer, studyId, join });
    const [first, second] = [patients[0]!, patients[1]!];

    // Attack: one patient signs another's opt-in. The contract refuses; the other does not take part.
    const forged = await consent(second, true, first.account).then(() => undefined, (e: unknown) => e);
    assert.ok(forged instanceof ChainRefusedError, String(forged));
    assert.equal(forged.errorName, 'InvalidSignature');
    assert.equal((await getStudyParticipation({ gateway: second.gateway, studyId })).participant, false);

    for (const p of patients) {
      await assertStudyComputedHere({ gateway: p.gateway, studyId });
      assert.match((await consent(p, true)).txHash, /^0x[0-9a-f]{64}$/);
      assert.equal(await shareWithStudy({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, patient: p.account.address, privateKeys: [p.encryption.privateKey], studyId, resourceTypes: ['Observation'] }), 1);
    }
    await h.waitIndexed();
    assert.deepEqual(await getStudyParticipation({ gateway: first.gateway, studyId }), { participant: true, sharedVersions: 1, runsIncludingYou: [] });

    // Attack: a doctor who is not the study's researcher runs it. Refused; no run, no budget spent.
    await assert.rejects(runStudyComputation({ gateway: await h.client('doctor'), studyId, computation: 0, epsilon: 1 }), AccessDeniedError);
    assert.equal((await getStudy({ gateway: researcher, studyId })).runs, 0);

    const run = await runStudyComputation({ gateway: researcher, studyId, computation: 0, epsilon: 1 });
    assert.equal(run.kind, 'Count');
    assert.equal(typeof run.result.count, 'number');
    // The released (noised) size lies between the minimum cohort and the participants: both 5 here.
    assert.equal(run.cohortSize, 5);
    assert.deepEqual((await getStudyRuns({ gateway: first.gateway, studyId })).map((r) => [r.runId, r.result.count]), [[run.runId, run.result.count]]);
    const mine = await getStudyParticipation({ gateway: first.gateway, studyId });
    assert.deepEqual(mine.runsIncludingYou.map((r) => [r.runId, r.inclusion?.treeSize]), [[run.runId, 5]]);
    const cohort = await getStudyRunCohort({ gateway: await h.client('admin'), studyId, runId: run.runId });
    assert.deepEqual([...cohort.cohort].map((a) => a.toLowerCase()).sort(), patients.map((p) => p.account.address.toLowerCase()).sort());
    await assert.rejects(getStudyRunCohort({ gateway: first.gateway, studyId, runId: run.runId }), AccessDeniedError);

    // Leaving: no longer a participant, and the keys shared with the study are deleted.
    await consent(first, false);
    await h.waitIndexed();
    const left = await getStudyParticipation({ gateway: first.gateway, studyId });
    assert.deepEqual([left.participant, left.sharedVersions], [false, 0]);

    // A study computed at another hospital: refused before anything is signed or wrapped.
    const foreign = await register(bytesToHex(generateEncryptionKeyPair().publicKey), 'Computed elsewhere');
    await assert.rejects(assertStudyComputedHere({ gateway: second.gateway, studyId: foreign }), ConflictError);
    await assert.rejects(shareWithStudy({ gateway: second.gateway, client: f.publicClient, addresses: f.addresses, patient: second.account.address, privateKeys: [second.encryption.privateKey], studyId: foreign, resourceTypes: ['Observation'] }), ConflictError);
    assert.equal((await getStudyParticipation({ gateway: second.gateway, studyId: foreign })).sharedVersions, 0);
  } finally {
    await h.close();
  }
});
