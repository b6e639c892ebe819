/**
 * The hospital's compute service for research studies. It runs a study's declared computations
 * only, over the records its participants shared with the study's compute key, decrypting inside
 * this process (the compute private key never leaves the gateway's keystore; plaintexts live only
 * for the run). It refuses, with the reason, a study that is not open, a computation that was not
 * declared, a budget too small and a cohort below the minimum; then it records the run on chain
 * (Studies.recordRun, which enforces the same rules once more), keeps the released result and the
 * cohort list, and writes one access-log entry per included patient (anchored like every entry).
 */
import { bytesToHex, encodeAbiParameters, getAddress, keccak256, parseEventLogs, toBytes, type Address, type Hex, type PublicClient } from 'viem';
import { StudiesAbi, type MedChainAddresses } from '../../sdk/contracts.ts';
import { cidFromContentId, openRecordVersion } from '../../sdk/records.ts';
import { computationName, fromMicro, MICRO } from '../../sdk/studies.ts';
import type { BlobStore } from '../../storage/BlobStore.ts';
import { ChainRefusal, type transactionSender } from '../chain/relayer.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import type { AccessLogger } from '../routes/types.ts';
import { includedIn, releaseComputation, type DeclaredComputation, type NoiseReport, type PatientInput, type Released } from './computations.ts';
import { patientInput, type DateWindow } from './fhirValues.ts';
import type { StudyRun, StudyStore } from './studyStore.ts';

/** An X25519 key pair the hospital holds for studies (keys/study-compute.json under `medchain start`). */
export interface StudyComputeKey { publicKey: Uint8Array; privateKey: Uint8Array }

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
  now?: () => number;
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

/** keccak256 of the ABI-encoded sorted cohort list (checkable by anyone holding the list). */
export function cohortHashOf(cohort: Address[]): Hex {
  return keccak256(encodeAbiParameters([{ type: 'address[]' }], [cohort.map((a) => getAddress(a))]));
}

/** keccak256 of the released result's canonical JSON. */
export function resultHashOf(studyId: bigint, computation: number, result: Released): Hex {
  return keccak256(toBytes(JSON.stringify({ studyId: studyId.toString(), computation, result })));
}

export function createComputeService(options: ComputeServiceOptions) {
  const { client, addresses, store, sender } = options;
  const studies = { address: addresses.studies, abi: StudiesAbi } as const;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

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

  /**
   * Runs declared computation `computation` of the study for `actor` (its researcher) with `epsilon`.
   * @example await compute.run({ studyId: 1n, computation: 0, epsilon: 0.5, actor })
   */
  async function run(request: { studyId: bigint; computation: number; epsilon: number; window?: DateWindow; actor: Address }): Promise<StudyRun & { noise: NoiseReport; result: Released }> {
    const study = await readStudy(client, addresses, request.studyId);
    if (getAddress(request.actor) !== getAddress(study.researcher)) throw new StudyRefusal(403, `only study ${study.studyId}'s researcher (${study.researcher}) runs its computations`);
    refuseUnlessOpen(study);
    const c = study.computations[request.computation];
    if (!c) throw new StudyRefusal(422, `computation ${request.computation} is not declared by study ${study.studyId}; it declares ${study.computations.map((d, i) => `${i}: ${d.kind}`).join(', ')}`);
    const epsilonMicro = BigInt(Math.round(request.epsilon * MICRO));
    if (epsilonMicro <= 0n) throw new StudyRefusal(422, 'epsilon must be at least 0.000001');
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
    const { result, noise } = releaseComputation(declared, cohort.map((p) => inputs.get(p.toLowerCase() as Address)!), fromMicro(epsilonMicro));
    const resultHash = resultHashOf(study.studyId, request.computation, result);
    const cohortHash = cohortHashOf(cohort);

    let sent: { hash: Hex; blockNumber: bigint };
    try {
      sent = await sender.send(() => client.simulateContract({
        ...studies, account: sender.account, functionName: 'recordRun',
        args: [study.studyId, BigInt(request.computation), cohort.length, epsilonMicro, resultHash, cohortHash],
      }));
    } catch (error) {
      if (error instanceof ChainRefusal) throw new StudyRefusal(409, `the chain refused the run (${error.errorName}); nothing was released`);
      throw error;
    }
    const receipt = await client.getTransactionReceipt({ hash: sent.hash });
    const [event] = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRun' });
    const runId = Number(event!.args.runId);
    const record: StudyRun & { cohort: Address[] } = {
      studyId: Number(study.studyId), runId, computation: request.computation, kind: c.kind, actor: getAddress(request.actor), cohortSize: cohort.length,
      epsilon: fromMicro(epsilonMicro), result: { ...result, noise }, resultHash, cohortHash, txHash: sent.hash, time: now(), cohort,
    };
    await store.addRun(record);
    // One entry per included patient: it is in their audit trail, with an inclusion proof once its period is anchored.
    await Promise.all(cohort.map((patient) => options.audit.append({
      actor: request.actor, patient, action: 'study-run', purpose: 'research', outcome: 'allowed',
      reason: `study ${study.studyId} run ${runId}: ${c.kind} of code ${c.code.slice(0, 10)} over ${cohort.length} participants, epsilon ${record.epsilon}, result ${resultHash}`,
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

  return { run, sweepEnded, identity, readStudy: (id: bigint) => readStudy(client, addresses, id), holdsKeyOf: (study: ChainStudy) => options.keys.some((k) => bytesToHex(k.publicKey).toLowerCase() === study.computeKey.toLowerCase()) };
}

export type ComputeService = ReturnType<typeof createComputeService>;
