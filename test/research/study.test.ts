/**
 * Research studies end to end on a real chain and a real gateway over HTTP: a research provider
 * registers a study, the ethics board approves it, 35 patients with encrypted HbA1c Observations
 * opt in and share their data keys with the study's compute key, 5 of them opt out again; the
 * researcher runs the declared mean and histogram. Checked: noised results lie within the
 * mechanism's stated bound of the exact values over repeated runs; undeclared computations, a
 * too-small cohort, a spent budget and a non-researcher are refused and change nothing; the
 * leavers' keys are gone and no later run's cohort contains them; every run is in each included
 * patient's audit trail with an inclusion proof against the anchored root; closing the study
 * deletes every shared key. And the review's attacks (issue 20), each performed and refused: the
 * researcher reading the cohort list off a run, brute-forcing the on-chain commitments (salted),
 * differencing runs (ε floor, whole-month windows, noisy cohort size), running or reading results
 * while suspended, depositing keys at a gateway that does not hold the study's compute key or for
 * records outside the study's categories.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWalletClient, custom, encodeFunctionData, getAddress, keccak256, parseEventLogs, toBytes } from 'viem';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../src/crypto/index.ts';
import { IdentityAbi, ProviderKind, StudiesAbi, SuspensionReason, medChainContracts, recordCategory } from '../../src/sdk/contracts.ts';
import { GatewayClient, GatewayError } from '../../src/sdk/gateway.ts';
import { declaredComputation, studyCode, toMicro } from '../../src/sdk/studies.ts';
import { describeStudy } from '../../src/sdk/actions/describeStudy.ts';
import { getStudy } from '../../src/sdk/actions/getStudy.ts';
import { getStudyParticipation } from '../../src/sdk/actions/getStudyParticipation.ts';
import { getStudyRunCohort } from '../../src/sdk/actions/getStudyRunCohort.ts';
import { getStudyRuns } from '../../src/sdk/actions/getStudyRuns.ts';
import { setStudyConsent } from '../../src/sdk/actions/setStudyConsent.ts';
import { shareWithStudy } from '../../src/sdk/actions/shareWithStudy.ts';
import { verifyInclusion } from '../../src/sdk/auditProof.ts';
import { cohortTree, resultHashOf } from '../../src/gateway/research/commitment.ts';
import { verifyCohortInclusion } from '../../src/sdk/cohortInclusion.ts';
import { binOf, SIZE_SHARE } from '../../src/gateway/research/computations.ts';
import { laplaceBound } from '../../src/gateway/research/laplace.ts';
import { chain, randomKey } from '../../contracts/test/fixture.ts';
import { gatewayHarness, httpCall, type Harness } from '../gateway/harness.ts';
import { addOwnRecord, HBA1C, hba1c, hospitalPatient, type HospitalPatient } from './hospitalPatients.ts';
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
  await describeStudy({
    gateway: researcher, studyId, title, summary: 'We compare HbA1c (long-term blood sugar) values across the clinic. Only averages and histograms leave the hospital.', codes: [{ ...HBA1C, display: 'HbA1c' }],
  });
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [studyId] })]));

  // All 35 opt in by relayed signature and share their keys; then 5 opt out.
  for (const p of patients) {
    await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, patient: p.account.address, signer: p.account, studyId, join: true });
    const shared = await shareWithStudy({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, patient: p.account.address, privateKeys: [p.encryption.privateKey], studyId, resourceTypes: ['Observation'] });
    assert.equal(shared, 2);
  }
  for (const p of leavers) await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, patient: p.account.address, signer: p.account, studyId, join: false });
  await h.waitIndexed();
});

after(async () => { await h?.close(); });

const run = (body: Record<string, unknown>, client: GatewayClient = researcher) =>
  httpCall(h.gateway.url, 'POST', `/api/studies/${studyId}/runs`, { token: client.sessionToken!, body });
const studyPage = async () => getStudy({ gateway: researcher, studyId });
const keysOf = async (p: Participant) => Number((await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1 AND patient = $2', [Number(studyId), p.account.address.toLowerCase()]))[0]!.n);

test('the leavers\' shared keys are gone, durably (deleted by the indexer at StudyOptedOut); the stayers\' are there', async () => {
  for (const p of leavers) {
    assert.equal(await keysOf(p), 0);
    const mine = await getStudyParticipation({ gateway: p.gateway, studyId });
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
  const tooSmall = await run({ computation: 0, epsilon: 1, from: '2026-07' });
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

test('differencing attacks are refused: a tiny ε, a window one day wider, a window of arbitrary instants — 4xx, nothing spent or anchored', async () => {
  const before = await studyPage();
  const tiny = await run({ computation: 0, epsilon: 0.000001 });
  assert.equal(tiny.status, 422);
  assert.match(String(tiny.json?.error), /epsilon must be at least 0.05 per run/);
  assert.equal((await run({ computation: 0, epsilon: 0.049 })).status, 422);
  // Run W, then W + 1 day, subtract: windows are whole months only.
  for (const window of [{ from: '2026-01-02' }, { to: '2026-06-02' }, { from: '2026-01-01T00:00:00Z' }, { from: '2026-06', to: '2026-06' }]) {
    const res = await run({ computation: 0, epsilon: 1, ...window });
    assert.equal(res.status, 400, `${JSON.stringify(window)}: ${res.text}`);
    assert.match(String(res.json?.error), /whole months: YYYY-MM|must come after/);
  }
  const after = await studyPage();
  assert.deepEqual([after.budget.spent, after.runs], [before.budget.spent, before.runs]);
  assert.equal(parseEventLogs({ abi: StudiesAbi, eventName: 'StudyRun', logs: await h.f.publicClient.getLogs({ address: h.f.addresses.studies, fromBlock: 0n }) }).length, 0);
});

test('the noised mean and histogram match the exact values within the stated Laplace bound, over repeated runs; leavers are in no cohort', async () => {
  const exactMean = stayers.reduce((a, p) => a + p.latest, 0) / stayers.length;
  const exactCounts = Array.from({ length: BINS }, () => 0);
  for (const p of stayers) exactCounts[binOf(p.latest, { ...BOUNDS, bins: BINS })]!++;
  const epsilon = 2;
  const statEpsilon = epsilon * (1 - SIZE_SHARE);
  const half = (BOUNDS.upper - BOUNDS.lower) / 2;
  const sumScale = half / statEpsilon;
  const sizeScale = 1 / (epsilon * SIZE_SHARE);
  const histScale = 2 / statEpsilon;
  const addresses = stayers.flatMap((p) => [p.account.address, p.account.address.toLowerCase(), p.account.address.slice(2).toLowerCase()]);

  const meanErrors: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < 15; i++) {
    const r = await run({ computation: 0, epsilon });
    assert.equal(r.status, 201, r.text);
    const body = r.json as { cohortSize: number; result: { mean: number }; noise: { scale: number; sizeScale: number; errorBound: number } } & Record<string, unknown>;
    // Attack (review 1): the researcher's answer names no patient — no cohort list, no address anywhere in it.
    assert.equal(body.cohort, undefined);
    assert.equal(body.salt, undefined);
    for (const a of addresses) assert.ok(!r.text.includes(a), 'no participant address in the researcher\'s answer');
    // Review 3: the size is noised and clamped into [minimum, participants]; the noise scales do not depend on it.
    assert.ok(Number.isInteger(body.cohortSize) && body.cohortSize >= MIN_COHORT && body.cohortSize <= 30, String(body.cohortSize));
    assert.ok(Math.abs(body.noise.scale - sumScale) < 1e-9 && Math.abs(body.noise.sizeScale - sizeScale) < 1e-9);
    sizes.push(body.cohortSize);
    // The bound the service states, recomputed for β = 1e-6 from released values only (it fails spuriously with probability ≤ 15·1e-6):
    // |error| ≤ (b·ln(2/β) + (U − L)/2 · (b_size·ln(2/β) + ½)) / ñ.
    const bound = (laplaceBound(sumScale, TEST_BETA, 2) + half * (laplaceBound(sizeScale, TEST_BETA, 2) + 0.5)) / body.cohortSize;
    const error = body.result.mean - exactMean;
    assert.ok(Math.abs(error) <= bound + 1e-4, `mean error ${error} within ${bound}`);
    assert.ok(body.noise.errorBound < bound, 'the stated bound (β = 0.05) is the tighter one');
    meanErrors.push(error);
  }
  assert.ok(meanErrors.some((e) => Math.abs(e) > 1e-4), 'noise is really added');
  const meanAbs = meanErrors.reduce((a, e) => a + Math.abs(e), 0) / meanErrors.length;
  console.log(`mean over 15 runs at ε=${epsilon}: average |noised − exact| ${meanAbs.toFixed(4)} (exact ${exactMean.toFixed(4)}); released sizes ${sizes.join(',')} (exact 30)`);

  const histErrors: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await run({ computation: 1, epsilon });
    assert.equal(r.status, 201, r.text);
    const { bins } = (r.json as { result: { bins: Array<{ from: number; to: number; count: number }> } }).result;
    sizes.push((r.json as { cohortSize: number }).cohortSize);
    assert.equal(bins.length, BINS);
    bins.forEach((b, k) => {
      // Negative noisy counts are clamped to 0 (post-processing), which only brings them closer.
      assert.ok(Math.abs(b.count - exactCounts[k]!) <= laplaceBound(histScale, TEST_BETA, BINS) + 1e-4, `bin ${k}: ${b.count} vs ${exactCounts[k]}`);
      histErrors.push(Math.abs(b.count - exactCounts[k]!));
    });
  }
  // The size is really noised: P(ñ = 30) ≈ 0.59 per run (clamped at the participant count), so all 25 at 30 has probability < 2e-6.
  assert.ok(sizes.some((n) => n !== 30), `released sizes ${sizes.join(', ')}`);
  console.log(`histogram over 10 runs at ε=${epsilon}: average |noised − exact| per bin ${(histErrors.reduce((a, e) => a + e, 0) / histErrors.length).toFixed(3)}`);

  // Every run's cohort: exactly the 30 who stayed, never a leaver; with the salt an auditor recomputes the on-chain commitments.
  const admin = await h.client('admin');
  const logs = parseEventLogs({ abi: StudiesAbi, eventName: 'StudyRun', logs: await h.f.publicClient.getLogs({ address: h.f.addresses.studies, fromBlock: 0n }) });
  assert.equal(logs.length, 25);
  const leaverSet = new Set(leavers.map((p) => p.account.address));
  const released = await getStudyRuns({ gateway: researcher, studyId });
  for (const log of logs) {
    const audited = await getStudyRunCohort({ gateway: admin, studyId, runId: Number(log.args.runId) });
    assert.equal(audited.cohort.length, 30);
    assert.ok(audited.cohort.every((a) => !leaverSet.has(a)), 'no opted-out patient in any run');
    assert.equal(audited.treeSize, 30);
    assert.equal(cohortTree(audited.salt!, audited.cohort, audited.treeSize!).root, log.args.cohortHash);
    const mine = released.find((r) => r.runId === Number(log.args.runId))!;
    assert.equal(mine.cohortSize, log.args.cohortSize, 'the released size is the one on chain');
    assert.equal(resultHashOf(mine.resultSalt!, { studyId: Number(studyId), computation: mine.computation, cohortSize: mine.cohortSize, result: mine.result }), log.args.resultHash);
  }
  // Attack (review 2): with the true cohort list but without the salt, the on-chain hash cannot be matched —
  // neither as the old unsalted keccak of the sorted list nor as an unsalted tree.
  const truth = stayers.map((p) => getAddress(p.account.address)).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const unsalted = keccak256(toBytes(JSON.stringify(truth)));
  for (const log of logs) {
    assert.notEqual(log.args.cohortHash, unsalted);
    assert.notEqual(log.args.cohortHash, cohortTree(`0x${'00'.repeat(32)}`, truth, 30).root);
  }
  assert.equal(new Set(logs.map((l) => l.args.cohortHash)).size, 25, 'a fresh salt per run: the same cohort commits differently each time');
  // A patient and the researcher may not read cohort lists or salts.
  for (const token of [stayers[0]!.gateway.sessionToken!, researcher.sessionToken!]) {
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/studies/${studyId}/runs/1/cohort`, { token })).status, 403);
  }

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
  const first = new RegExp(`^study ${studyId} run 1: Mean of code 0x[0-9a-f]{8} over (\\d+) participants, epsilon 2, result 0x[0-9a-f]{64}$`).exec(runs[0]!.reason);
  assert.ok(first, runs[0]!.reason);
  const firstLog = parseEventLogs({ abi: StudiesAbi, eventName: 'StudyRun', logs: await h.f.publicClient.getLogs({ address: h.f.addresses.studies, fromBlock: 0n }) }).find((l) => l.args.runId === 1n)!;
  assert.equal(Number(first[1]), firstLog.args.cohortSize, 'the trail states the released (noisy) size, as the chain does');
  // What the patient reads in the web UI's audit trail, from the real entry.
  assert.equal(auditVerb({ entries: [runs[0]!], first: runs[0]! }, ''), `included your values in study ${studyId}'s mean (run 1, ${first[1]} participants, only the noised aggregate left the hospital)`);
  for (const entry of [runs[0]!, runs.at(-1)!]) {
    const proof = await p.gateway.auditProof(entry.seq);
    const anchor = await h.f.read.accessLogAnchor.read.getAnchor([proof.gateway, BigInt(proof.periodId)]);
    assert.ok(verifyInclusion(proof, { root: anchor.root, entryCount: anchor.entryCount }));
  }
  // The patient's own view of the study: the runs that included them.
  const mine = await getStudyParticipation({ gateway: p.gateway, studyId });
  assert.equal(mine.runsIncludingYou.length, 25);
  // Each with the patient's own proof of inclusion, checked against the chain's cohortHash — and opening no one else's leaf.
  const chainRuns = parseEventLogs({ abi: StudiesAbi, eventName: 'StudyRun', logs: await h.f.publicClient.getLogs({ address: h.f.addresses.studies, fromBlock: 0n }) });
  for (const r of mine.runsIncludingYou) {
    const onChain = chainRuns.find((l) => l.args.studyId === studyId && Number(l.args.runId) === r.runId)!;
    assert.ok(verifyCohortInclusion(r.inclusion!, p.account.address, onChain.args.cohortHash));
    assert.equal(verifyCohortInclusion(r.inclusion!, stayers[4]!.account.address, onChain.args.cohortHash), false);
    const secrets = r as typeof r & { cohort?: unknown; salt?: unknown };
    assert.equal(secrets.cohort, undefined);
    assert.equal(secrets.salt, undefined);
  }
  for (const leaver of leavers) {
    const trail = await leaver.gateway.audit({ patient: leaver.account.address, limit: 1000 });
    assert.equal(trail.entries.filter((e) => e.action === 'study-run').length, 0);
    // Non-participants do not see the study's results: neither the runs list nor the values on the study page.
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/studies/${studyId}/runs`, { token: leaver.gateway.sessionToken! })).status, 403);
    const page = await getStudy({ gateway: leaver.gateway, studyId });
    assert.equal(page.runList.length, 25);
    assert.ok(page.runList.every((r) => r.result === undefined && typeof r.resultHash === 'string'));
  }
  const results = await getStudyRuns({ gateway: p.gateway, studyId });
  assert.equal(results.length, 25);
});

test('a researcher suspended after approval: runs refused 403 at once, nothing spent or anchored, results hidden; reinstated, they see them again', async () => {
  const { f } = h;
  const before = await studyPage();
  const chainRuns = async () => parseEventLogs({ abi: StudiesAbi, eventName: 'StudyRun', logs: await f.publicClient.getLogs({ address: f.addresses.studies, fromBlock: 0n }) }).length;
  const runsBefore = await chainRuns();
  const trail = async () => (await stayers[2]!.gateway.audit({ patient: stayers[2]!.account.address, limit: 1000 })).entries.filter((e) => e.action === 'study-run').length;
  const trailBefore = await trail();
  await f.mined(f.as('admin').identity.write.suspendProvider([f.addr.applicant, SuspensionReason.Other]));
  try {
    // Within the session's role cache: the compute service's own check (fresh from the chain) refuses.
    const refused = await run({ computation: 0, epsilon: 1 });
    assert.equal(refused.status, 403);
    assert.match(String(refused.json?.error), /not an accredited provider now/);
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/studies/${studyId}/runs`, { token: researcher.sessionToken! })).status, 403);
    const page = await getStudy({ gateway: researcher, studyId });
    assert.ok(page.runList.every((r) => r.result === undefined && r.resultSalt === undefined), 'no released value on the page either');
    assert.deepEqual([page.budget.spent, page.runs], [before.budget.spent, before.runs]);
    assert.equal(await chainRuns(), runsBefore);
    assert.equal(await trail(), trailBefore);
  } finally {
    await f.mined(f.as('admin').identity.write.approve([f.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [f.addr.applicant] })]));
  }
  assert.equal((await httpCall(h.gateway.url, 'GET', `/api/studies/${studyId}/runs`, { token: researcher.sessionToken! })).status, 200);
});

test('keys are refused for a study this gateway cannot compute (409) and for records outside the study\'s categories (422); nothing is stored', async () => {
  const { f } = h;
  // A study computed at another hospital: its compute key is not among this gateway's.
  const elsewhere = generateEncryptionKeyPair();
  const receipt = await f.mined(f.as('applicant').studies.write.registerStudy([{
    titleHash: randomKey(), protocolHash: randomKey(), categories: [recordCategory('Observation')], codes: [studyCode(HBA1C.system, HBA1C.code)],
    computations: [declaredComputation({ kind: 'Mean', code: HBA1C, ...BOUNDS })], minCohort: 5, epsilonBudget: toMicro(5), endTime: (await f.latestTimestamp()) + 30n * 86_400n,
    computeKey: `0x${bytesToHex(elsewhere.publicKey)}`, computeOperator: f.addr.hospital,
  }]));
  const foreign = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRegistered' })[0]!.args.studyId;
  await f.mined(f.as('admin').identity.write.approve([f.addresses.studies, encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [foreign] })]));
  const p = stayers[6]!;
  const stored = async (id: bigint) => Number((await h.gateway.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM study_envelopes WHERE study_id = $1', [Number(id)]))[0]!.n);
  assert.equal((await getStudy({ gateway: p.gateway, studyId: foreign })).computeKeyHeldHere, false);
  // The client (web and CLI opt-in use the same check) refuses before wrapping anything.
  await assert.rejects(shareWithStudy({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, patient: p.account.address, privateKeys: [p.encryption.privateKey], studyId: foreign, resourceTypes: ['Observation'] }),
    (e: unknown) => e instanceof GatewayError && e.status === 409 && /does not run study/.test(e.message));
  // Attack: a participant posts envelopes directly anyway.
  await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, patient: p.account.address, signer: p.account, studyId: foreign, join: true });
  const recordId = (await p.gateway.listRecords(p.account.address)).records[0]!.recordId;
  const { envelope } = await p.gateway.getEnvelope(recordId, 1);
  const res = await httpCall(h.gateway.url, 'POST', `/api/studies/${foreign}/envelopes`, { token: p.gateway.sessionToken!, body: { envelopes: [{ recordId, version: 1, envelope: Buffer.from(envelope).toString('base64') }] } });
  assert.equal(res.status, 409);
  assert.match(String(res.json?.error), /does not hold study \d+'s compute key/);
  assert.equal(await stored(foreign), 0);

  // Attack: a participant of the main study shares the key of a record outside its declared categories (a Condition).
  const condition = await addOwnRecord(h, p, { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] }, recordedDate: '2026-02-01' }, { blinded: true });
  await h.waitIndexed();
  const before = await keysOf(p);
  const { envelope: conditionEnvelope } = await p.gateway.getEnvelope(condition, 1);
  const wrong = await httpCall(h.gateway.url, 'POST', `/api/studies/${studyId}/envelopes`, { token: p.gateway.sessionToken!, body: { envelopes: [{ recordId: condition, version: 1, envelope: Buffer.from(conditionEnvelope).toString('base64') }] } });
  assert.equal(wrong.status, 422);
  assert.match(String(wrong.json?.error), /not in a category study \d+ declared/);
  assert.equal(await keysOf(p), before);
  // A record in a declared type under the patient's blinded category is matched by its type and shared.
  await addOwnRecord(h, p, hba1c(7.7, '2026-06-15'), { blinded: true });
  await h.waitIndexed();
  assert.equal(await shareWithStudy({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, patient: p.account.address, privateKeys: [p.encryption.privateKey], studyId, resourceTypes: ['Observation', 'Condition'] }), before + 1);
  assert.equal(await keysOf(p), before + 1);
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
    await setStudyConsent({ gateway: p.gateway, client: f.publicClient, addresses: f.addresses, chainId: 31337, patient: p.account.address, signer: p.account, studyId: second, join: true });
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
  assert.equal((await getStudy({ gateway: researcher, studyId: second })).status, 'ended');
});
