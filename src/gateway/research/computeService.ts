/**
 * The hospital's compute service for research studies. It runs a study's declared computations
 * only, over the records its participants shared with the study's compute key, decrypting inside
 * this process (the compute private key never leaves the gateway's keystore; plaintexts live only
 * for the run). It refuses, with the reason, a study that is not open, a computation that was not
 * declared, an ε below the floor or above the budget left, a researcher no longer accredited and a
 * cohort below the minimum; then it records the run on chain (Studies.recordRun, which enforces the
 * same rules once more) with salted commitments (commitment.ts), keeps the released result, the
 * cohort list and the salt, and writes one access-log entry per included patient (anchored like every
 * entry). The researcher gets the released aggregate, the noisy cohort size and the run id — never
 * the cohort list (GET …/runs/:run/cohort is for auditors and admins).
 */
import { bytesToHex, getAddress, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem';
import { IdentityAbi, StudiesAbi, type MedChainAddresses } from '../../sdk/contracts.ts';
import { cidFromContentId, openRecordVersion } from '../../sdk/records.ts';
import { computationName, fromMicro, MICRO } from '../../sdk/studies.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import { ChainRefusal, type transactionSender } from '../chain/relayer.ts';
import type { Clock } from '../clock.ts';
import type { StudyComputeKey } from '../../keys/keyRing.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import type { AccessLogger } from '../routes/types.ts';
import { cohortTree, newRunSalt, resultHashOf, resultSaltOf } from './commitment.ts';
import { includedIn, MIN_RUN_EPSILON, releaseComputation, type DeclaredComputation, type NoiseReport, type PatientInput, type Released } from './computations.ts';
import { patientInput, type DateWindow } from './fhirValues.ts';
import type { StudyRun, StudyStore } from './studyStore.ts';

/** A run or a study action refused, with the HTTP status and an actionable reason. */
export class StudyRefusal extends Error {
  constructor(readonly status: 403 | 404 | 409 | 422, message: string) {
    super(message);
    this.name = 'StudyRefusal';
  }
}

export interface ComputeServiceOptions {
  client: PublicClient;
  addresses: MedChainAddresses;
  blobs: BlobStore;
  index: SqlExecutor;
  store: StudyStore;
  audit: AccessLogger;
  /** Sends recordRun as the study's compute operator (the gateway's operator key). */
  sender: ReturnType<typeof transactionSender>;
  keys: StudyComputeKey[];
  /** The gateway's clock (server.ts): when a run happened. */
  clock: Clock;
}

export type ChainStudy = Awaited<ReturnType<typeof readStudy>>;

/** A study as the chain has it, with its declared computations in the values' units. */
export async function readStudy(client: PublicClient, addresses: MedChainAddresses, studyId: bigint) {
  const studies = { address: addresses.studies, abi: StudiesAbi } as const;
  const count = await client.readContract({ ...studies, functionName: 'studyCount' });
  if (studyId < 1n || studyId > count) throw new StudyRefusal(404, `no study ${studyId} (there are ${count})`);
  const [study, computations, data, open] = await Promise.all([
    client.readContract({ ...studies, functionName: 'getStudy', args: [studyId] }),
    client.readContract({ ...studies, functionName: 'computationsOf', args: [studyId] }),
    client.readContract({ ...studies, functionName: 'dataOf', args: [studyId] }),
    client.readContract({ ...studies, functionName: 'isOpen', args: [studyId] }),
  ]);
  return {
    studyId, ...study, open, categories: data[0], codes: data[1],
    computations: computations.map((c) => ({
      kind: computationName(c.kind), code: c.code, codeY: /^0x0*$/.test(c.codeY) ? undefined : c.codeY,
      lower: fromMicro(c.lower), upper: fromMicro(c.upper), lowerY: fromMicro(c.lowerY), upperY: fromMicro(c.upperY), bins: c.bins,
    })),
  };
}

export function createComputeService(options: ComputeServiceOptions) {
  const { client, addresses, store, sender } = options;
  const studies = { address: addresses.studies, abi: StudiesAbi } as const;
  const now = () => options.clock.seconds();

  function keyFor(study: ChainStudy): StudyComputeKey {
    const key = options.keys.find((k) => bytesToHex(k.publicKey).toLowerCase() === study.computeKey.toLowerCase());
    if (!key) throw new StudyRefusal(409, `this gateway does not hold study ${study.studyId}'s compute key; runs go to the hospital that holds it`);
    return key;
  }

  function refuseUnlessOpen(study: ChainStudy): void {
    if (study.open) return;
    const why = study.status === 1 ? 'is not approved by the ethics board yet' : study.status === 3 ? 'was closed' : 'has ended';
    throw new StudyRefusal(409, `study ${study.studyId} ${why}: nothing runs on it`);
  }

  /** Decrypts each participant's shared records and derives their input for `c` (participants re-checked on chain). */
  async function inputsOf(study: ChainStudy, c: ChainStudy['computations'][number], window: DateWindow): Promise<Map<Address, PatientInput>> {
    const key = keyFor(study);
    const byPatient = new Map<Address, Array<Record<string, unknown>>>();
    const envelopes = await store.envelopesOf(study.studyId);
    const patients = [...new Set(envelopes.map((e) => e.patient))];
    // The index removes a leaver's envelopes; the chain is asked again so that a lagging index cannot include them.
    const still = await Promise.all(patients.map((p) => client.readContract({ ...studies, functionName: 'isParticipant', args: [study.studyId, p] })));
    const participants = new Set(patients.filter((_, i) => still[i]));
    for (const e of envelopes) {
      if (!participants.has(e.patient)) continue;
      const [v] = await options.index.query<{ content_id: string; integrity_hash: string; patient: string; erased_block: unknown }>(
        `SELECT v.content_id, v.integrity_hash, r.patient, r.erased_block FROM record_versions v JOIN records r ON r.record_id = v.record_id
         WHERE v.record_id = $1 AND v.version = $2`, [e.recordId, e.version]);
      // Only the patient's own, live records count.
      if (!v || v.patient !== e.patient || (v.erased_block !== null && v.erased_block !== undefined) || v.content_id === '0x') continue;
      const ciphertext = await options.blobs.get(cidFromContentId(v.content_id as Hex));
      const opened = await openRecordVersion({
        ciphertext, envelope: e.envelope, privateKey: key.privateKey, recordId: e.recordId, version: e.version, patient: e.patient, integrityHash: v.integrity_hash as Hex,
      }).catch(() => undefined);
      if (!opened || opened.integrityVerified !== true) continue;
      const list = byPatient.get(e.patient) ?? [];
      list.push(JSON.parse(new TextDecoder().decode(opened.plaintext)) as Record<string, unknown>);
      opened.plaintext.fill(0);
      byPatient.set(e.patient, list);
    }
    const inputs = new Map<Address, PatientInput>();
    for (const p of participants) inputs.set(p, patientInput(byPatient.get(p) ?? [], c.code, c.codeY, window));
    return inputs;
  }

  /** Refuses unless `who` is still an accredited provider: a suspension after approval stops runs and results at once. */
  async function refuseUnlessAccredited(study: ChainStudy): Promise<void> {
    const active = await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'isActiveProvider', args: [study.researcher] });
    if (!active) throw new StudyRefusal(403, `study ${study.studyId}'s researcher (${study.researcher}) is not an accredited provider now (suspended or withdrawn): nothing runs and no result is shown until reinstated`);
  }

  /**
   * Runs declared computation `computation` of the study for `actor` (its researcher) with `epsilon`.
   * The answer is what the researcher may see: the released aggregate with its noise report, the
   * noisy cohort size, ε, the run id and the on-chain commitments — not the cohort list nor the salt.
   * @example await compute.run({ studyId: 1n, computation: 0, epsilon: 0.5, actor })
   */
  async function run(request: { studyId: bigint; computation: number; epsilon: number; window?: DateWindow; actor: Address }): Promise<StudyRun & { noise: NoiseReport; result: Released }> {
    const study = await readStudy(client, addresses, request.studyId);
    if (getAddress(request.actor) !== getAddress(study.researcher)) throw new StudyRefusal(403, `only study ${study.studyId}'s researcher (${study.researcher}) runs its computations`);
    await refuseUnlessAccredited(study);
    refuseUnlessOpen(study);
    const c = study.computations[request.computation];
    if (!c) throw new StudyRefusal(422, `computation ${request.computation} is not declared by study ${study.studyId}; it declares ${study.computations.map((d, i) => `${i}: ${d.kind}`).join(', ')}`);
    const epsilonMicro = BigInt(Math.round(request.epsilon * MICRO));
    if (fromMicro(epsilonMicro) < MIN_RUN_EPSILON) throw new StudyRefusal(422, `epsilon must be at least ${MIN_RUN_EPSILON} per run (smaller runs add nothing but probes for differencing); ${request.epsilon} asked`);
    const left = study.epsilonBudget - study.epsilonSpent;
    if (epsilonMicro > left) throw new StudyRefusal(409, `study ${study.studyId}'s privacy budget is spent: ${fromMicro(left)} of ${fromMicro(study.epsilonBudget)} left, ${request.epsilon} asked`);
    if (getAddress(study.computeOperator) !== getAddress(sender.account.address)) {
      throw new StudyRefusal(409, `this gateway (${sender.account.address}) is not study ${study.studyId}'s compute operator (${study.computeOperator})`);
    }

    const inputs = await inputsOf(study, c, request.window ?? {});
    const cohort = [...inputs].filter(([, input]) => includedIn(c.kind, input)).map(([p]) => getAddress(p)).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    if (cohort.length < study.minCohort) {
      // The exact number stays unsaid: below the minimum it would be an un-noised count of who has the data.
      throw new StudyRefusal(422, `cohort too small: fewer participants than the study's minimum of ${study.minCohort} have the data this computation reads (in this date window); nothing was released or spent`);
    }
    const declared: DeclaredComputation = { kind: c.kind, lower: c.lower, upper: c.upper, lowerY: c.lowerY, upperY: c.upperY, bins: c.bins };
    // The released size lies in [minimum, participants], both public; the tree is padded to the participant count.
    const participants = Math.max(study.participants, cohort.length);
    const { result, noise, cohortSize } = releaseComputation(declared, cohort.map((p) => inputs.get(p.toLowerCase() as Address)!), fromMicro(epsilonMicro), { min: study.minCohort, max: participants });
    const salt = newRunSalt();
    const stored = { ...result, noise };
    const resultHash = resultHashOf(resultSaltOf(salt), { studyId: Number(study.studyId), computation: request.computation, cohortSize, result: stored });
    const cohortHash = cohortTree(salt, cohort, participants).root;

    let sent: { hash: Hex; blockNumber: bigint };
    try {
      sent = await sender.send(() => client.simulateContract({
        ...studies, account: sender.account, functionName: 'recordRun',
        args: [study.studyId, BigInt(request.computation), cohortSize, epsilonMicro, resultHash, cohortHash],
      }));
    } catch (error) {
      if (error instanceof ChainRefusal) throw new StudyRefusal(409, `the chain refused the run (${error.errorName}); nothing was released`);
      throw error;
    }
    const receipt = await client.getTransactionReceipt({ hash: sent.hash });
    const [event] = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRun' });
    const runId = Number(event!.args.runId);
    const record: StudyRun = {
      studyId: Number(study.studyId), runId, computation: request.computation, kind: c.kind, actor: getAddress(request.actor), cohortSize,
      epsilon: fromMicro(epsilonMicro), result: stored, resultHash, cohortHash, txHash: sent.hash, time: now(), resultSalt: resultSaltOf(salt),
    };
    await store.addRun({ ...record, cohort, salt, treeSize: participants });
    // One entry per included patient: it is in their audit trail, with an inclusion proof once its period is anchored.
    // The size written there is the released (noisy) one, like everywhere else.
    await Promise.all(cohort.map((patient) => options.audit.append({
      actor: request.actor, patient, action: 'study-run', purpose: 'research', outcome: 'allowed',
      reason: `study ${study.studyId} run ${runId}: ${c.kind} of code ${c.code.slice(0, 10)} over ${cohortSize} participants, epsilon ${record.epsilon}, result ${resultHash}`,
    })));
    return { ...record, result, noise };
  }

  /** Deletes the shared keys of studies that closed or passed their end date (the chain's clock decides). */
  async function sweepEnded(): Promise<number> {
    let removed = 0;
    for (const id of await store.studiesWithEnvelopes()) {
      const open = await client.readContract({ ...studies, functionName: 'isOpen', args: [id] });
      if (!open) removed += await store.removeStudy(id);
    }
    return removed;
  }

  /** What a researcher names when registering a study run here: the operator account and the compute public keys. */
  const identity = () => ({ operator: getAddress(sender.account.address), computeKeys: options.keys.map((k) => bytesToHex(k.publicKey)) });

  /** Whether the study's researcher is still accredited (who-may-see-results asks this too). */
  const researcherAccredited = (study: ChainStudy) => refuseUnlessAccredited(study).then(() => true, (error: unknown) => {
    if (error instanceof StudyRefusal) return false;
    throw error;
  });

  return {
    run, sweepEnded, identity, researcherAccredited, readStudy: (id: bigint) => readStudy(client, addresses, id),
    holdsKeyOf: (study: ChainStudy) => options.keys.some((k) => bytesToHex(k.publicKey).toLowerCase() === study.computeKey.toLowerCase()),
  };
}

export type ComputeService = ReturnType<typeof createComputeService>;
