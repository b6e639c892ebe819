/**
 * Research studies end to end on a real chain and a real gateway over HTTP: a research provider
 * registers a study, the ethics board approves it, 35 patients with encrypted HbA1c Observations
 * opt in and share their data keys with the study's compute key, 5 of them opt out again; the
 * researcher runs the declared mean and histogram. Checked: noised results lie within the
 * mechanism's stated bound of the exact values over repeated runs; undeclared computations, a
 * too-small cohort, a spent budget and a non-researcher are refused and change nothing; the
 * leavers' keys are gone and no later run's cohort contains them; every run is in each included
 * patient's audit trail with an inclusion proof against the anchored root; closing the study
 * deletes every shared key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, custom, encodeFunctionData, keccak256, parseEventLogs, toBytes, type Address, type Hex } from 'viem';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../src/crypto/index.ts';
import { ProviderKind, StudiesAbi, medChainContracts, recordCategory } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { declaredComputation, studyCode, toMicro } from '../../src/sdk/studies.ts';
import { setStudyConsent, shareWithStudy, studyCall } from '../../src/sdk/studyClient.ts';
import { verifyInclusion } from '../../src/sdk/auditProof.ts';
import { binOf } from '../../src/gateway/research/computations.ts';
import { laplaceBound } from '../../src/gateway/research/laplace.ts';
import { chain, randomKey } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall, type Harness } from '../gateway/harness.ts';
import { HBA1C, hospitalPatient, type HospitalPatient } from './hospitalPatients.ts';
import { auditVerb } from '../../web/src/auditText.ts';

const BOUNDS = { lower: 4, upper: 14 };
const BINS = 5;
const MIN_COHORT = 20;
/** Per-run failure probability of the bound the test checks (the service states β = 0.05; the test uses a far smaller one so it cannot flake). */
const TEST_BETA = 1e-6;

type Participant = HospitalPatient & { latest: number };

let h: Harness;
let computeKey: EncryptionKeyPair;
let patients: Participant[];
let stayers: Participant[];
let leavers: Participant[];
let studyId: bigint;
let researcher: GatewayClient;

before(async () => {
  computeKey = generateEncryptionKeyPair();
  h = await gatewayHarness({ research: { computeKeys: [computeKey] } });
  const { f } = h;
  await f.accredit('applicant', ProviderKind.Research);

  // 35 patients of the hospital, each with an older and a latest HbA1c; the five who will leave have extreme values.
  patients = [];
  for (let i = 0; i < 35; i++) {
    const latest = i >= 30 ? 13.9 : 5 + (i % 10) * 0.8;
    patients.push({ ...await hospitalPatient(h, [[4.2, '2026-01-10'], [latest, '2026-06-01']]), latest });
  }
  stayers = patients.slice(0, 30);
  leavers = patients.slice(30);

  // The study: registered by the researcher, described in plain language, approved by the ethics board.
  const title = 'HbA1c across the clinic, 2026';
  const receipt = await f.mined(f.as('applicant').studies.write.registerStudy([{
    titleHash: keccak256(toBytes(title)), protocolHash: randomKey(), categories: [recordCategory('Observation')], codes: [studyCode(HBA1C.system, HBA1C.code)],
    computations: [
      declaredComputation({ kind: 'Mean', code: HBA1C, ...BOUNDS }),
      declaredComputation({ kind: 'Histogram', code: HBA1C, ...BOUNDS, bins: BINS }),
    ],
    minCohort: MIN_COHORT, epsilonBudget: toMicro(60), endTime: (await f.latestTimestamp()) + 30n * 86_400n,
    computeKey: `0x${bytesToHex(computeKey.publicKey)}`, computeOperator: f.addr.admin,
  }]));
  studyId = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRegistered' })[0]!.args.studyId;
  researcher = await h.client('applicant');
  await studyCall(researcher, 'PUT', `/api/studies/${studyId}/text`, {
    title, summary: 'We compare HbA1c (long-term blood sugar) values across the clinic. Only averages and histograms leave the hospital.', codes: [{ ...HBA1C, display: 'HbA1c' }],
  });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [studyId] })]));

  // All 35 opt in by relayed signature and share their keys; then 5 opt out.
  for (const p of patients) {
    await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, account: p.account, studyId, join: true });
    const shared = await shareWithStudy({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, patient: p.account.address, privateKeys: [p.encryption.privateKey], studyId, resourceTypes: ['Observation'] });
    assert.equal(shared, 2);
  }
  for (const p of leavers) await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, account: p.account, studyId, join: false });
  await h.waitIndexed();
});

after(async () => { await h?.close(); });

const run = (body: Record<string, unknown>, client: GatewayClient = researcher) =>
  httpCall(h.gateway.url, 'POST', `/api/studies/${studyId}/runs`, { token: client.sessionToken!, body });
const studyPage = async () => studyCall<{ budget: { spent: number; left: number }; participants: number; runs: number; status: string; title: string }>(researcher, 'GET', `/api/studies/${studyId}`);
const keysOf = async (p: Participant) => Number((await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1 AND patient = $2', [Number(studyId), p.account.address.toLowerCase()]))[0]!.n);

test('the leavers\' shared keys are gone, durably (deleted by the indexer at StudyOptedOut); the stayers\' are there', async () => {
  for (const p of leavers) {
    assert.equal(await keysOf(p), 0);
    const mine = await studyCall<{ participant: boolean; sharedVersions: number }>(p.gateway, 'GET', `/api/studies/${studyId}/participation`);
    assert.deepEqual([mine.participant, mine.sharedVersions], [false, 0]);
    // Attack: a leaver pushes their keys back without opting in again: refused, nothing stored.
    const recordId = (await p.gateway.listRecords(p.account.address)).records[0]!.recordId;
    const { envelope } = await p.gateway.getEnvelope(recordId, 1);
    const res = await httpCall(h.gateway.url, 'POST', `/api/studies/${studyId}/envelopes`, {
      token: p.gateway.sessionToken!, body: { envelopes: [{ recordId, version: 1, envelope: Buffer.from(envelope).toString('base64') }] },
    });
    assert.equal(res.status, 403);
    assert.match(String(res.json?.error), /opt in first/);
    assert.equal(await keysOf(p), 0);
  }
  for (const p of stayers) assert.equal(await keysOf(p), 2);
  // Attack: a participant deposits a key for someone else's record: refused, nothing stored.
  const victimRecord = (await stayers[1]!.gateway.listRecords(stayers[1]!.account.address)).records[0]!.recordId;
  const res = await httpCall(h.gateway.url, 'POST', `/api/studies/${studyId}/envelopes`, { token: stayers[0]!.gateway.sessionToken!, body: { envelopes: [{ recordId: victimRecord, version: 1, envelope: Buffer.from('x'.repeat(80)).toString('base64') }] } });
  assert.equal(res.status, 403);
  assert.equal(await keysOf(stayers[0]!), 2);
  const page = await studyPage();
  assert.equal(page.participants, 30);
  assert.equal(page.title, 'HbA1c across the clinic, 2026');
});

test('refusals: undeclared computation, too-small cohort, non-researcher, bad input — each a clear 4xx that spends nothing', async () => {
  const before = await studyPage();
  const undeclared = await run({ computation: 2, epsilon: 1 });
  assert.equal(undeclared.status, 422);
  assert.match(String(undeclared.json?.error), /not declared by study .*0: Mean, 1: Histogram/);
  // The date window leaves no one with an HbA1c value: the cohort is below the minimum.
  const tooSmall = await run({ computation: 0, epsilon: 1, from: '2026-07-01' });
  assert.equal(tooSmall.status, 422);
  assert.match(String(tooSmall.json?.error), /cohort too small: fewer participants than the study's minimum of 20/);
  assert.doesNotMatch(String(tooSmall.json?.error), /\b0\b/, 'the refusal does not state the exact count');
  const notResearcher = await run({ computation: 0, epsilon: 1 }, await h.client('doctor'));
  assert.equal(notResearcher.status, 403);
  const bad = await run({ computation: 'mean', epsilon: -1 });
  assert.equal(bad.status, 400);
  assert.match(String(bad.json?.error), /computation/);
  const after = await studyPage();
  assert.deepEqual([after.budget.spent, after.runs], [before.budget.spent, before.runs]);
});

test('the noised mean and histogram match the exact values within the stated Laplace bound, over repeated runs; leavers are in no cohort', async () => {
  const exactMean = stayers.reduce((a, p) => a + p.latest, 0) / stayers.length;
  const exactCounts = Array.from({ length: BINS }, () => 0);
  for (const p of stayers) exactCounts[binOf(p.latest, { ...BOUNDS, bins: BINS })]!++;
  const epsilon = 2;
  const meanScale = (BOUNDS.upper - BOUNDS.lower) / stayers.length / epsilon;
  const histScale = 2 / epsilon;

  const meanErrors: number[] = [];
  for (let i = 0; i < 15; i++) {
    const r = await run({ computation: 0, epsilon });
    assert.equal(r.status, 201, r.text);
    const body = r.json as { cohortSize: number; result: { mean: number }; noise: { scale: number; errorBound: number } };
    assert.equal(body.cohortSize, 30);
    assert.ok(Math.abs(body.noise.scale - meanScale) < 1e-9);
    // |Lap(b)| > b·ln(1/β) with probability β: the test fails spuriously with probability ≤ 15·1e-6.
    const error = body.result.mean - exactMean;
    assert.ok(Math.abs(error) <= laplaceBound(meanScale, TEST_BETA) + 1e-4, `mean error ${error} within ${laplaceBound(meanScale, TEST_BETA)}`);
    meanErrors.push(error);
  }
  // Noise is really added (a continuous distribution is never exactly 0 fifteen times), and is unbiased:
  // E|X| = b, so the average absolute error stays below 3b except with probability < 1e-6 (Bernstein).
  assert.ok(meanErrors.some((e) => Math.abs(e) > 1e-4));
  assert.ok(meanErrors.reduce((a, e) => a + Math.abs(e), 0) / meanErrors.length < 3 * meanScale);

  for (let i = 0; i < 10; i++) {
    const r = await run({ computation: 1, epsilon });
    assert.equal(r.status, 201, r.text);
    const { bins } = (r.json as { result: { bins: Array<{ from: number; to: number; count: number }> } }).result;
    assert.equal(bins.length, BINS);
    bins.forEach((b, k) => {
      // Negative noisy counts are clamped to 0 (post-processing), which only brings them closer.
      assert.ok(Math.abs(b.count - exactCounts[k]!) <= laplaceBound(histScale, TEST_BETA, BINS) + 1e-4, `bin ${k}: ${b.count} vs ${exactCounts[k]}`);
    });
  }

  // Every run's cohort: exactly the 30 who stayed, never a leaver; its hash is the one on chain.
  const admin = await h.client('admin');
  const logs = parseEventLogs({ abi: StudiesAbi, eventName: 'StudyRun', logs: await h.f.publicClient.getLogs({ address: h.f.addresses.studies, fromBlock: 0n }) });
  assert.equal(logs.length, 25);
  const leaverSet = new Set(leavers.map((p) => p.account.address));
  for (const log of logs) {
    const { cohort, cohortHash } = await studyCall<{ cohort: Address[]; cohortHash: Hex }>(admin, 'GET', `/api/studies/${studyId}/runs/${log.args.runId}/cohort`);
    assert.equal(cohort.length, 30);
    assert.ok(cohort.every((a) => !leaverSet.has(a)), 'no opted-out patient in any run');
    assert.equal(cohortHash, log.args.cohortHash);
  }
  // A patient may not read cohort lists.
  assert.equal((await httpCall(h.gateway.url, 'GET', `/api/studies/${studyId}/runs/1/cohort`, { token: stayers[0]!.gateway.sessionToken! })).status, 403);

  // The budget: 50 of 60 spent; asking for more than is left is refused and spends nothing.
  assert.deepEqual((await studyPage()).budget, { epsilon: 60, spent: 50, left: 10 });
  const over = await run({ computation: 0, epsilon: 11 });
  assert.equal(over.status, 409);
  assert.match(String(over.json?.error), /privacy budget is spent: 10 of 60 left/);
  assert.equal((await studyPage()).budget.spent, 50);
});

test('every run is in each included patient\'s audit trail, with an inclusion proof against the anchored root; leavers have none', async () => {
  await h.gateway.accessLog.closePeriod();
  await h.gateway.accessLog.anchorPending();
  const p = stayers[3]!;
  const { entries } = await p.gateway.audit({ patient: p.account.address, limit: 1000 });
  const runs = entries.filter((e) => e.action === 'study-run');
  assert.equal(runs.length, 25);
  assert.match(runs[0]!.reason, new RegExp(`^study ${studyId} run 1: Mean of code 0x[0-9a-f]{8} over 30 participants, epsilon 2, result 0x[0-9a-f]{64}$`));
  // What the patient reads in the web UI's audit trail, from the real entry.
  assert.equal(auditVerb({ entries: [runs[0]!], first: runs[0]! }, ''), `included your values in study ${studyId}'s mean (run 1, 30 participants, only the noised aggregate left the hospital)`);
  for (const entry of [runs[0]!, runs.at(-1)!]) {
    const proof = await p.gateway.auditProof(entry.seq);
    const anchor = await h.f.read.accessLogAnchor.read.getAnchor([proof.gateway, BigInt(proof.periodId)]);
    assert.ok(verifyInclusion(proof, { root: anchor.root, entryCount: anchor.entryCount }));
  }
  // The patient's own view of the study: the runs that included them.
  const mine = await studyCall<{ runsIncludingYou: Array<{ runId: number; kind: string }> }>(p.gateway, 'GET', `/api/studies/${studyId}/participation`);
  assert.equal(mine.runsIncludingYou.length, 25);
  for (const leaver of leavers) {
    const trail = await leaver.gateway.audit({ patient: leaver.account.address, limit: 1000 });
    assert.equal(trail.entries.filter((e) => e.action === 'study-run').length, 0);
    // Non-participants do not see the study's results: neither the runs list nor the values on the study page.
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/studies/${studyId}/runs`, { token: leaver.gateway.sessionToken! })).status, 403);
    const page = await studyCall<{ runList: Array<Record<string, unknown>> }>(leaver.gateway, 'GET', `/api/studies/${studyId}`);
    assert.equal(page.runList.length, 25);
    assert.ok(page.runList.every((r) => r.result === undefined && typeof r.resultHash === 'string'));
  }
  const results = await studyCall<{ runs: unknown[] }>(p.gateway, 'GET', `/api/studies/${studyId}/runs`);
  assert.equal(results.runs.length, 25);
});

test('closing the study deletes every shared key, and nothing runs any more', async () => {
  await h.f.mined(h.f.as('applicant').studies.write.closeStudy([studyId]));
  await h.waitIndexed();
  const [row] = await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1', [Number(studyId)]);
  assert.equal(Number(row!.n), 0);
  const refused = await run({ computation: 0, epsilon: 1 });
  assert.equal(refused.status, 409);
  assert.match(String(refused.json?.error), /was closed/);
  assert.equal((await studyPage()).status, 'closed');
});

test('an opt-out sent while the gateway is down is applied at restart; at the end date the keys are swept and runs refused, though nobody sent a transaction', async () => {
  const { f } = h;
  const endTime = (await f.latestTimestamp()) + 86_400n;
  const receipt = await f.mined(f.as('applicant').studies.write.registerStudy([{
    titleHash: randomKey(), protocolHash: randomKey(), categories: [recordCategory('Observation')], codes: [studyCode(HBA1C.system, HBA1C.code)],
    computations: [declaredComputation({ kind: 'Mean', code: HBA1C, ...BOUNDS })], minCohort: 5, epsilonBudget: toMicro(5), endTime,
    computeKey: `0x${bytesToHex(computeKey.publicKey)}`, computeOperator: f.addr.admin,
  }]));
  const second = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRegistered' })[0]!.args.studyId;
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [second] })]));
  for (const p of stayers.slice(0, 5)) {
    await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, account: p.account, studyId: second, join: true });
    await shareWithStudy({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, patient: p.account.address, privateKeys: [p.encryption.privateKey], studyId: second, resourceTypes: ['Observation'] });
  }
  const count = async () => Number((await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1', [Number(second)]))[0]!.n);
  assert.equal(await count(), 10);
  // One leaves by their own transaction while the gateway's indexer is stopped (then the gateway restarts):
  // the deletion follows the chain event when the indexer catches up.
  await h.gateway.indexer.stop();
  const leaver = stayers[0]!;
  const wallet = createWalletClient({ account: leaver.account, chain, transport: custom(f.provider, { retryCount: 0 }) });
  await f.mined(medChainContracts(wallet, f.addresses).studies.write.optOut([second]));
  assert.equal(await count(), 10, 'nothing deleted before the event is indexed');
  await h.restart();
  await h.waitIndexed();
  assert.equal(await count(), 8);
  assert.equal(Number((await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1 AND patient = $2', [Number(second), leaver.account.address.toLowerCase()]))[0]!.n), 0);
  researcher = await h.client('applicant');
  assert.equal(await h.gateway.sweepEndedStudies(), 0, 'an open study keeps its keys');
  await f.mineAt(endTime);
  assert.equal(await h.gateway.sweepEndedStudies(), 8);
  assert.equal(await count(), 0);
  const refused = await httpCall(h.gateway.url, 'POST', `/api/studies/${second}/runs`, { token: researcher.sessionToken!, body: { computation: 0, epsilon: 1 } });
  assert.equal(refused.status, 409);
  assert.match(String(refused.json?.error), /has ended/);
  assert.equal((await studyCall<{ status: string }>(researcher, 'GET', `/api/studies/${second}`)).status, 'ended');
});
