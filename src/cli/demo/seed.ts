/**
 * `medchain start --demo`: a demo hospital, seeded once per data directory (marker: demo.json).
 * Three accredited providers (a doctor, a lab, a hospital), N synthetic patients with FHIR records
 * written by their doctor under a live write grant (encrypted here exactly as any client does:
 * sealed, ciphertext uploaded, registered on chain, envelopes deposited), and grants in every state
 * — live, expiring soon, expired, revoked, upcoming, and pending access requests — plus one
 * break-glass opening, and one approved research study (HbA1c: a mean and a histogram) that the
 * patients with demo logins joined, with a run of each so the research screens have results. Transactions go in rounds (batch-signed, not waiting block by block);
 * uploads and deposits run a few at a time. Progress on stderr (cli-progress). All synthetic.
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { quietLogsDuringProgress } from '../../gateway/http/prettyLog.ts';
import { encodeFunctionData, getAddress, keccak256, parseEventLogs, toHex, type Address, type EIP1193RequestFn, type Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../crypto/index.ts';
import { newAccountKey } from '../../keys/keyRing.ts';
import { ConsentAbi, EmergencyReason, IdentityAbi, ProviderKind, Purpose, RecordRegistryAbi, ScopeKind, StudiesAbi, ZERO_SCOPE, recordCategory, type GrantTerms, type MedChainAddresses } from '../../sdk/contracts.ts';
import { declaredComputation, studyCode, studyRecipient, toMicro } from '../../sdk/studies.ts';
import { depositStudyEnvelopes } from '../../sdk/actions/depositStudyEnvelopes.ts';
import { describeStudy } from '../../sdk/actions/describeStudy.ts';
import { getComputeService } from '../../sdk/actions/getComputeService.ts';
import { runStudyComputation } from '../../sdk/actions/runStudyComputation.ts';
import { commitBreakGlassReason } from '../../sdk/breakGlassReason.ts';
import { GatewayClient } from '../../sdk/gateway.ts';
import { prepareRecordVersion, type PreparedRecordVersion } from '../../sdk/records.ts';
import { writeFileAtomic } from '../dataDir.ts';
import { newBundle, writeKeyBundle } from '../keyFile.ts';
import { createBatchSender, type Call } from './batchSender.ts';
import { DEMO_PROFILES, publishProfile, signedDemoProfile } from './providerProfiles.ts';
import { syntheticRecords } from './syntheticRecords.ts';
import { hba1cSeries } from './observationSeries.ts';
import { LOINC } from './vocabulary.ts';
import { DEMO_PASSPHRASE, demoMarker, type DemoGrantState, type DemoLogin, type DemoSummary } from './summary.ts';

/** The second grant's state cycles through these, patient by patient (the doctor's grant is live for all). */
const STATES: DemoGrantState[] = ['expiring-soon', 'expired', 'revoked', 'upcoming', 'requested'];

const RECORDS_PER_ROUND = 500;
const HBA1C = { system: LOINC, code: '4548-4' };

export interface SeedOptions {
  provider: { request: EIP1193RequestFn };
  chainId: number;
  addresses: MedChainAddresses;
  adminKey: Hex;
  /** A gateway on this data directory to upload ciphertext and deposit envelopes to. */
  gatewayUrl: string;
  dataDir: string;
  patients: number;
  scryptN?: number;
  log: (line: string) => void;
}

interface Person { account: PrivateKeyAccount; key: Hex; enc: EncryptionKeyPair }
const person = (): Person => { const key = newAccountKey(); return { key, account: privateKeyToAccount(key), enc: generateEncryptionKeyPair() }; };

/**
 * Runs `task` over `items`, `width` at a time. The tasks are idempotent uploads and deposits; one
 * whose connection failed (on a loaded machine the in-process gateway can miss undici's connect
 * timeout) is tried again, up to three times.
 */
async function pool<T>(items: T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const attempt = async (item: T, left: number): Promise<void> => {
    try { await task(item); } catch (error) {
      if (left === 0 || (error as Error).message !== 'fetch failed') throw error;
      await new Promise((r) => setTimeout(r, 1000));
      await attempt(item, left - 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await attempt(items[next++]!, 3);
  }));
}

export async function seedDemo(options: SeedOptions): Promise<DemoSummary> {
  const started = Date.now();
  const { addresses, patients: count } = options;
  const batch = createBatchSender(options.provider, options.chainId);
  const admin = privateKeyToAccount(options.adminKey);
  const doctor = person(), lab = person(), hospital = person(), researcher = person();
  const providers = [{ p: doctor, kind: ProviderKind.Doctor, name: 'doctor' }, { p: lab, kind: ProviderKind.Lab, name: 'lab' }, { p: hospital, kind: ProviderKind.Hospital, name: 'hospital' }] as const;
  // Each provider applies committing to its professional profile (published once accredited).
  const issuedAt = BigInt(Math.floor(Date.now() / 1000));
  const profiles = await Promise.all(providers.map(({ p, name }) => signedDemoProfile(p.account, options.chainId, DEMO_PROFILES[name], issuedAt)));
  const patients = Array.from({ length: count }, person);
  const state = (i: number) => STATES[i % STATES.length]!;
  // The patients with demo logins also get an HbA1c series (for the web UI's chart).
  const drafts = patients.map((p, i) => [...syntheticRecords(p.account.address, 1000 + i), ...(i < STATES.length ? hba1cSeries(p.account.address, 5000 + i) : [])]);
  const recordCount = drafts.reduce((n, d) => n + d.length, 0);

  const bar = new cliProgress.SingleBar({
    stream: process.stderr, format: 'seeding demo |{bar}| {percentage}% {value}/{total} {stage}', hideCursor: true, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  // Work units: each transaction, and each record's sealing, upload and deposit.
  const stateCount = (s: DemoGrantState) => patients.filter((_, i) => state(i) === s).length;
  const grantTxs = count * 2 - stateCount('requested');
  // The demo study needs five participants (the contract's minimum cohort floor): the patients with demo logins.
  const studyParticipants = addresses.studies && count >= STATES.length ? STATES.length : 0;
  // On a terminal the private seeding gateway's request lines would be drawn into the bar: only its warnings show.
  const restoreLogs = process.stderr.isTTY ? quietLogsDuringProgress() : () => {};
  bar.start((count + 3) + 3 + grantTxs + recordCount * 4 + stateCount('revoked') + stateCount('requested') + 1 + (studyParticipants ? 4 + studyParticipants * 2 : 0), 0, { stage: '' });
  const tick = (n: number) => bar.increment(n);
  // Without a terminal the bar draws nothing: each stage is logged as a line instead.
  const stage = (name: string) => {
    bar.update({ stage: name });
    if (!process.stderr.isTTY) options.log(`  ${name}… (${Math.round((Date.now() - started) / 1000)} s)`);
  };
  try {
    stage('registering');
    const identity = { to: addresses.identity, abi: IdentityAbi } as const;
    const consent = { to: addresses.consent, abi: ConsentAbi } as const;
    // Round 1: everyone registers with their own key. On a permissioned node the seeder (in process,
    // where perm_* is served) admits the synthetic accounts first, as the gateway does after onboarding.
    await options.provider.request({ method: 'perm_addAccountsToAllowlist', params: [[...providers.map(({ p }) => p.account.address), researcher.account.address, ...patients.map((p) => p.account.address)]] } as never);
    await batch.round([
      ...providers.map(({ p, kind, name }, i): Call => ({ ...identity, from: p.account, functionName: 'applyAsProvider', args: [kind, toHex(p.enc.publicKey), profiles[i]!.hash], label: `apply ${name}` })),
      ...patients.map((p): Call => ({ ...identity, from: p.account, functionName: 'registerPatient', args: [toHex(p.enc.publicKey), keccak256(toHex('medchain-patient'))], label: 'register patient' })),
      ...(studyParticipants ? [{ ...identity, from: researcher.account, functionName: 'applyAsProvider', args: [ProviderKind.Research, toHex(researcher.enc.publicKey), keccak256(toHex('medchain-researcher'))], label: 'apply researcher' } as Call] : []),
    ], tick);
    for (const signed of profiles) await publishProfile(options.gatewayUrl, signed);
    // Round 2: the admin accredits the providers (governance; threshold 1 on a fresh installation).
    stage('accrediting');
    await batch.round([...providers, ...(studyParticipants ? [{ p: researcher, name: 'researcher' }] : [])].map(({ p, name }): Call => ({
      ...identity, from: admin, functionName: 'approve', args: [addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [p.account.address] })], label: `accredit ${name}`,
    })), tick);

    // The demo study: registered by the researcher for this hospital's compute service, approved by the ethics board (the admin).
    const gateway = new GatewayClient(options.gatewayUrl);
    const researcherGateway = new GatewayClient(options.gatewayUrl);
    let study: { id: bigint; computeKey: Uint8Array; recipient: Address } | undefined;
    if (studyParticipants) {
      stage('registering a study');
      await researcherGateway.signIn(researcher.account, { chainId: options.chainId });
      const service = await getComputeService({ gateway: researcherGateway });
      if (service.computeKeys.length > 0) {
        const title = 'HbA1c under treatment at the demo hospital';
        const [registered] = await batch.round([{
          to: addresses.studies!, abi: StudiesAbi, from: researcher.account, functionName: 'registerStudy', label: 'register study', args: [{
            titleHash: keccak256(toHex(title)), protocolHash: keccak256(toHex('demo protocol v1')), categories: [recordCategory('Observation')], codes: [studyCode(HBA1C.system, HBA1C.code)],
            computations: [declaredComputation({ kind: 'Mean', code: HBA1C, lower: 4, upper: 14 }), declaredComputation({ kind: 'Histogram', code: HBA1C, lower: 4, upper: 14, bins: 5 })],
            minCohort: STATES.length, epsilonBudget: toMicro(10), endTime: BigInt(Math.floor(Date.now() / 1000) + 365 * 86400),
            computeKey: service.computeKeys[0]!, computeOperator: service.operator,
          }],
        }], tick);
        const id = parseEventLogs({ abi: StudiesAbi, logs: registered!.logs as never, eventName: 'StudyRegistered' })[0]!.args.studyId;
        await describeStudy({
          gateway: researcherGateway, studyId: id, title, summary: 'How long-term blood sugar (HbA1c) changes under treatment. Only a noised average and histogram leave the hospital; you can leave at any time.',
          codes: [{ ...HBA1C, display: 'HbA1c' }],
        });
        await batch.round([{ ...identity, from: admin, functionName: 'approve', args: [addresses.studies!, encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [id] })], label: 'approve study' }], tick);
        study = { id, computeKey: Uint8Array.from(Buffer.from(service.computeKeys[0]!.slice(2), 'hex')), recipient: studyRecipient(addresses.studies!, id) };
      }
    }
    const joins = (i: number) => study !== undefined && i < studyParticipants;

    // Round 3: each patient gives their doctor a live read+write grant, and a second grant whose state varies.
    stage('granting');
    // Purposes go on chain as tags under each patient's key, which the gateway holds: each provider
    // asks for its own tags (a grantee may, for itself only), three sign-ins instead of one per patient.
    const tagOf = new Map<string, Hex>(); // `${patient}:${grantee}` → the Treatment tag
    for (const { p } of providers) {
      const client = new GatewayClient(options.gatewayUrl);
      await client.signIn(p.account, { chainId: options.chainId });
      await pool(patients, 8, async (patient) => {
        tagOf.set(`${patient.account.address}:${p.account.address}`, await client.purposeTag(patient.account.address, p.account.address, Purpose.Treatment));
      });
    }
    // Read after the tags are fetched (600 calls): the short windows below count from here.
    const now = Math.floor(Date.now() / 1000);
    const terms = (grantee: Address, permissions: number, from: number, until: number, patient: Address): GrantTerms => ({
      grantee, scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE, permissions, purpose: tagOf.get(`${patient}:${grantee}`)!, validFrom: BigInt(from), validUntil: BigInt(until),
    });
    // The short "expired" grants go first, in a round of their own, their end counted from just before
    // it: the long round of every other grant (and the opt-ins) may take longer than their window under load.
    const expiredUntil = Math.floor(Date.now() / 1000) + 20;
    const expiredCalls: Call[] = patients.flatMap((p, i): Call[] => (state(i) === 'expired'
      ? [{ ...consent, from: p.account, functionName: 'grant', args: [terms(lab.account.address, 1, 0, expiredUntil, p.account.address)], label: 'expired' }] : []));
    const expiredGranted = await batch.round(expiredCalls, tick);
    const grantCalls: Call[] = [];
    patients.forEach((p, i) => {
      grantCalls.push({ ...consent, from: p.account, functionName: 'grant', args: [terms(doctor.account.address, 3, 0, now + 90 * 86400, p.account.address)], label: 'live grant' });
      const s = state(i);
      if (s === 'expiring-soon') grantCalls.push({ ...consent, from: p.account, functionName: 'grant', args: [terms(lab.account.address, 1, 0, now + 10 * 60, p.account.address)], label: s });
      if (s === 'revoked') grantCalls.push({ ...consent, from: p.account, functionName: 'grant', args: [terms(hospital.account.address, 1, 0, now + 30 * 86400, p.account.address)], label: s });
      if (s === 'upcoming') grantCalls.push({ ...consent, from: p.account, functionName: 'grant', args: [terms(hospital.account.address, 1, now + 2 * 86400, now + 9 * 86400, p.account.address)], label: s });
    });
    // The patients with demo logins join the study in the same round (its opt-ins follow no grant).
    const optIns: Call[] = patients.flatMap((p, i): Call[] => (joins(i) ? [{ to: addresses.studies!, abi: StudiesAbi, from: p.account, functionName: 'optIn', args: [study!.id], label: 'opt in' }] : []));
    const granted = [...expiredGranted, ...(await batch.round([...grantCalls, ...optIns], tick)).slice(0, grantCalls.length)];
    const allGrantCalls = [...expiredCalls, ...grantCalls];
    const grantIdOf = new Map<string, bigint>(); // `${patient}:${label}` → grant id
    granted.forEach((r, i) => {
      const created = parseEventLogs({ abi: ConsentAbi, logs: r.logs as never, eventName: 'GrantCreated' })[0];
      grantIdOf.set(`${allGrantCalls[i]!.from.address}:${allGrantCalls[i]!.label}`, created!.args.grantId);
    });

    // Records: sealed here, the data key wrapped to the patient, the doctor (author) and, while the
    // lab's grant is live, the lab; split among the gateway's escrow custodians for break-glass.
    stage('encrypting records');
    const escrow = await gateway.escrowConfig();
    // The doctor (a live grantee of every patient) asks the gateway for each patient's blinded categories.
    await gateway.signIn(doctor.account, { chainId: options.chainId });
    const prepared: Array<PreparedRecordVersion & { patientIndex: number }> = [];
    for (const [i, p] of patients.entries()) {
      const categories = await gateway.recordCategories(p.account.address, [...new Set(drafts[i]!.map((d) => d.resourceType))]);
      const recipients = [{ address: p.account.address, publicKey: p.enc.publicKey }, { address: doctor.account.address, publicKey: doctor.enc.publicKey }];
      if (state(i) === 'expiring-soon') recipients.push({ address: lab.account.address, publicKey: lab.enc.publicKey });
      for (const draft of drafts[i]!) {
        // A participant's Observations are also wrapped to the study's compute key (what shareWithStudy does after opting in).
        const forStudy = joins(i) && draft.resourceType === 'Observation' ? [{ address: study!.recipient, publicKey: study!.computeKey }] : [];
        const v = await prepareRecordVersion({
          plaintext: new TextEncoder().encode(JSON.stringify(draft.resource)), patient: p.account.address, resourceType: draft.resourceType, category: categories[draft.resourceType], recipients: [...recipients, ...forStudy],
          escrow: escrow.custodians.length >= 2 ? escrow : undefined,
        });
        v.dataKey.fill(0);
        prepared.push({ ...v, patientIndex: i });
        tick(1);
      }
    }
    stage('uploading ciphertext');
    await pool(prepared, 8, async (v) => { await gateway.uploadCiphertext(v.ciphertext); tick(1); });

    // Round 4: the doctor registers the records; revocations, access requests and one break-glass.
    stage('registering records');
    const registry = { to: addresses.recordRegistry, abi: RecordRegistryAbi } as const;
    const round4: Call[] = prepared.map((v): Call => ({ ...registry, from: doctor.account, functionName: 'addRecord', args: [v.recordId, v.patient, v.category, v.contentId, v.integrityHash], label: 'addRecord' }));
    patients.forEach((p, i) => {
      if (state(i) === 'revoked') round4.push({ ...consent, from: p.account, functionName: 'revoke', args: [grantIdOf.get(`${p.account.address}:revoked`)!], label: 'revoke', gas: 200_000n });
      if (state(i) === 'requested') round4.push({ ...consent, from: hospital.account, functionName: 'requestAccess', args: [p.account.address, terms(hospital.account.address, 1, 0, now + 7 * 86400, p.account.address)], label: 'request' });
    });
    const emergencyPatient = patients[0]!.account.address;
    round4.push({ ...consent, from: hospital.account, functionName: 'openEmergencyAccess', args: [emergencyPatient, commitBreakGlassReason(EmergencyReason.Unconscious, 'demo: unconscious patient admitted to the emergency department').reasonHash], label: 'break-glass' });
    // The node accepts at most 1,000 pending nonces ahead per sender: the doctor's records go in chunks.
    const others = round4.slice(prepared.length);
    for (let i = 0; i < prepared.length || i === 0; i += RECORDS_PER_ROUND) {
      await batch.round([...round4.slice(i, Math.min(i + RECORDS_PER_ROUND, prepared.length)), ...(i === 0 ? others : [])], tick);
    }

    stage('depositing key envelopes');
    const isStudyEnvelope = (e: { recipient: Address }) => study !== undefined && e.recipient.toLowerCase() === study.recipient.toLowerCase();
    await pool(prepared, 8, async (v) => { await gateway.depositEnvelopes(v.recordId, v.version, v.envelopes.filter((e) => !isStudyEnvelope(e)), undefined, v.escrow); tick(1); });

    if (study) {
      // Each participant deposits their study envelopes themselves; then the researcher runs both declared computations once.
      stage('sharing with the study');
      await Promise.all(patients.map(async (p, i) => {
        if (!joins(i)) return;
        const own = new GatewayClient(options.gatewayUrl);
        await own.signIn(p.account, { chainId: options.chainId });
        const envelopes = prepared.filter((v) => v.patientIndex === i).flatMap((v) => v.envelopes.filter(isStudyEnvelope).map((e) => ({ recordId: v.recordId, version: v.version, envelope: Buffer.from(e.envelope).toString('base64') })));
        await depositStudyEnvelopes({ gateway: own, studyId: study!.id, envelopes });
        tick(2);
      }));
      for (const computation of [0, 1]) {
        await runStudyComputation({ gateway: researcherGateway, studyId: study.id, computation, epsilon: 1 });
        tick(1);
      }
    }

    // Demo logins: the providers and one patient per grant state, in the web UI's key backup format.
    stage('writing demo logins');
    const dir = join(options.dataDir, 'demo-keys');
    const scryptN = options.scryptN ?? 2 ** 14;
    const logins: DemoLogin[] = [];
    const save = async (who: string, p: Person) => {
      const file = join(dir, `${who}.json`);
      writeKeyBundle(file, await newBundle(Uint8Array.from(Buffer.from(p.key.slice(2), 'hex')), DEMO_PASSPHRASE, scryptN, p.enc.privateKey), true);
      logins.push({ who, address: getAddress(p.account.address), file, passphrase: DEMO_PASSPHRASE });
    };
    for (const { p, name } of providers) await save(name, p);
    if (study) await save('researcher', researcher);
    for (let i = 0; i < Math.min(count, STATES.length); i++) await save(`patient-${i + 1}-${state(i)}${i === 0 ? '-break-glass' : ''}`, patients[i]!);

    // The expired grants must have ended before the demo is declared ready.
    const wait = expiredUntil + 1 - Math.floor(Date.now() / 1000);
    if (wait > 0 && patients.some((_, i) => state(i) === 'expired')) {
      stage(`waiting ${wait}s for the short grants to expire`);
      await new Promise((r) => setTimeout(r, wait * 1000));
    }
    bar.update(bar.getTotal(), { stage: 'done' });
    const grants = { live: count, 'expiring-soon': 0, expired: 0, revoked: 0, upcoming: 0, requested: 0 } as Record<DemoGrantState, number>;
    patients.forEach((_, i) => { grants[state(i)]++; });
    const summary: DemoSummary = {
      seededAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 100) / 10, patients: count, records: prepared.length, grants,
      breakGlass: { patient: getAddress(emergencyPatient), provider: getAddress(hospital.account.address) }, logins,
      ...(study ? { study: { studyId: Number(study.id), participants: studyParticipants, runs: 2 } } : {}),
    };
    writeFileAtomic(demoMarker(options.dataDir), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    bar.stop();
    restoreLogs();
  }
}
