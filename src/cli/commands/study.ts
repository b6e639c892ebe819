/**
 * `medchain study register|approve|list|show|opt-in|opt-out|run|results` (docs/research.md): a
 * research provider registers a study; an admin approves it (governance, admin threshold); a
 * patient joins (sharing the needed data keys with the study's compute key) or leaves; the
 * researcher runs a declared computation; participants read the results.
 */
import { readFileSync } from 'node:fs';
import { encodeFunctionData, keccak256, parseEventLogs, toBytes } from 'viem';
import { z } from 'zod';
import { IdentityAbi, StudiesAbi, recordCategory } from '../../sdk/contracts.ts';
import { declaredComputation, studyCode, toMicro, type ComputationKind } from '../../sdk/studies.ts';
import { assertStudyComputedHere } from '../../sdk/actions/assertStudyComputedHere.ts';
import { describeStudy } from '../../sdk/actions/describeStudy.ts';
import { getComputeService } from '../../sdk/actions/getComputeService.ts';
import { getStudies } from '../../sdk/actions/getStudies.ts';
import { getStudy } from '../../sdk/actions/getStudy.ts';
import { getStudyParticipation } from '../../sdk/actions/getStudyParticipation.ts';
import { getStudyRuns } from '../../sdk/actions/getStudyRuns.ts';
import { runStudyComputation } from '../../sdk/actions/runStudyComputation.ts';
import { setStudyConsent } from '../../sdk/actions/setStudyConsent.ts';
import { shareWithStudy } from '../../sdk/actions/shareWithStudy.ts';
import { str, type Command } from '../command.ts';
import { CliError } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { emit, isoTime, table } from '../output.ts';
import { encryptionKey, openSession } from '../session.ts';
import { parseTime } from '../terms.ts';

const coded = z.object({ system: z.string().min(1), code: z.string().min(1), display: z.string().min(1) });
/** The study file `study register` reads (JSON). */
const studyFile = z.object({
  title: z.string().min(3).max(200),
  summary: z.string().min(10).max(4_000),
  protocol: z.string().min(1),
  resourceTypes: z.array(z.enum(['Observation', 'Condition'])).min(1),
  codes: z.array(coded).min(1).max(32),
  computations: z.array(z.object({
    kind: z.enum(['Count', 'Mean', 'Histogram', 'Quantiles', 'LinearRegression']),
    code: z.string().min(1), codeY: z.string().optional(),
    lower: z.number().optional(), upper: z.number().optional(), lowerY: z.number().optional(), upperY: z.number().optional(), bins: z.number().int().optional(),
  })).min(1).max(16),
  minCohort: z.number().int().min(5),
  epsilonBudget: z.number().positive(),
  endTime: z.string(),
});

const studyId = (text: string | undefined) => {
  if (!text || !/^\d+$/.test(text) || text === '0') throw new CliError(`a study is its number (see study list), got ${JSON.stringify(text)}`, EXIT.usage);
  return BigInt(text);
};

const describeResult = (r: Record<string, unknown>) =>
  r.kind === 'Mean' ? `mean ${String(r.mean)}` : r.kind === 'Count' ? `count ${String(r.count)}`
    : r.kind === 'LinearRegression' ? `y = ${String(r.intercept)} + ${String(r.slope)}·x`
      : r.kind === 'Quantiles' ? `p25 ${String((r.quantiles as Record<string, number>).p25)} · p50 ${String((r.quantiles as Record<string, number>).p50)} · p75 ${String((r.quantiles as Record<string, number>).p75)}`
        : (r.bins as Array<{ from: number; to: number; count: number }>).map((b) => `[${b.from},${b.to}) ${b.count}`).join(' · ');

export const studyCommands: Command[] = [
  {
    name: 'study register', synopsis: '<study.json>', arity: 1, summary: 'register a study (research providers); it waits for the ethics board',
    help: '  <study.json>              title, summary, protocol, resourceTypes, codes, computations, minCohort, epsilonBudget, endTime (docs/research.md)\n',
    async run({ args, global }) {
      let spec: z.infer<typeof studyFile>;
      try { spec = studyFile.parse(JSON.parse(readFileSync(args[0]!, 'utf8'))); } catch (error) {
        throw new CliError(`${args[0]} is not a study file: ${error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (error as Error).message}`, EXIT.usage);
      }
      const codeOf = (name: string) => {
        const c = spec.codes.find((k) => k.code === name || k.display === name);
        if (!c) throw new CliError(`computation code ${name} is not among the study's codes`, EXIT.usage);
        return c;
      };
      const session = await openSession(global);
      const service = await getComputeService({ gateway: session.gateway });
      if (service.computeKeys.length === 0) throw new CliError('this gateway holds no research compute key; register the study at the hospital that will compute it');
      const receipt = await session.send({
        address: session.addresses.studies, abi: StudiesAbi, functionName: 'registerStudy', args: [{
          titleHash: keccak256(toBytes(spec.title)), protocolHash: keccak256(toBytes(spec.protocol)),
          categories: spec.resourceTypes.map((t) => recordCategory(t)), codes: spec.codes.map((c) => studyCode(c.system, c.code)),
          computations: spec.computations.map((c) => declaredComputation({ ...c, kind: c.kind as ComputationKind, code: codeOf(c.code), codeY: c.codeY ? codeOf(c.codeY) : undefined })),
          minCohort: spec.minCohort, epsilonBudget: toMicro(spec.epsilonBudget), endTime: BigInt(parseTime(spec.endTime, 'endTime')),
          computeKey: service.computeKeys[0]!, computeOperator: service.operator,
        }],
      });
      const id = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyRegistered' })[0]!.args.studyId;
      await describeStudy({ gateway: session.gateway, studyId: id, title: spec.title, summary: spec.summary, codes: spec.codes });
      emit(global.json, { studyId: Number(id), txHash: receipt.transactionHash }, `study ${id} registered; an admin approves it with: medchain study approve ${id}`);
    },
  },
  {
    name: 'study approve', synopsis: '<study>', arity: 1, summary: 'approve a study as the ethics board (admins, governance threshold)',
    async run({ args, global }) {
      const id = studyId(args[0]);
      const session = await openSession(global);
      const data = encodeFunctionData({ abi: StudiesAbi, functionName: 'approveStudy', args: [id] });
      const receipt = await session.send({ address: session.addresses.identity, abi: IdentityAbi, functionName: 'approve', args: [session.addresses.studies, data] });
      const approved = parseEventLogs({ abi: StudiesAbi, logs: receipt.logs, eventName: 'StudyApproved' }).length > 0;
      const [pending] = parseEventLogs({ abi: IdentityAbi, logs: receipt.logs, eventName: 'ActionApproved' });
      emit(global.json, { studyId: Number(id), approved, approvals: Number(pending?.args.approvals ?? 0), threshold: Number(pending?.args.threshold ?? 0) },
        approved ? `study ${id} approved: patients may opt in` : `approval recorded (${pending?.args.approvals} of ${pending?.args.threshold}); more admins must approve`);
    },
  },
  {
    name: 'study list', summary: 'every study: status, participants, budget left',
    async run({ global }) {
      const session = await openSession(global);
      const studies = await getStudies({ gateway: session.gateway });
      emit(global.json, studies, () => table(['id', 'status', 'title', 'participants', 'ε left', 'ends'],
        studies.map((s) => [String(s.studyId), s.status, s.title ?? '(no description yet)', String(s.participants), `${s.budget.left} of ${s.budget.epsilon}`, isoTime(s.endTime)])));
    },
  },
  {
    name: 'study show', synopsis: '<study>', arity: 1, summary: 'a study in plain language: what it computes, its budget, its runs',
    async run({ args, global }) {
      const id = studyId(args[0]);
      const session = await openSession(global);
      const s = await getStudy({ gateway: session.gateway, studyId: id });
      emit(global.json, s, () => [
        `study ${s.studyId}: ${s.title ?? '(no description yet)'} — ${s.status}`,
        s.summary ?? '',
        `data: ${s.codes.map((c) => c.display).join(', ') || '(codes only)'}; at least ${s.minCohort} participants per result; ${s.participants} take part; ends ${isoTime(s.endTime)}`,
        `privacy budget: ε ${s.budget.spent} of ${s.budget.epsilon} spent (${s.budget.left} left)`,
        `declared computations: ${s.computations.map((c) => `${c.index}: ${c.kind}${c.kind === 'Count' ? '' : ` over [${c.lower}, ${c.upper}]`}${c.bins ? `, ${c.bins} bins` : ''}`).join('; ')}`,
        ...s.runList.map((r) => `run ${r.runId} ${isoTime(r.time)} ${r.kind} over ${r.cohortSize}, ε ${r.epsilon}${r.result ? `: ${describeResult(r.result)}` : ' (results are shown to participants)'}`),
      ].filter(Boolean).join('\n'));
    },
  },
  {
    name: 'study opt-in', synopsis: '<study>', arity: 1, summary: 'join a study (signed, relayed by the gateway) and share the data keys it needs with its compute key',
    async run({ args, global }) {
      const id = studyId(args[0]);
      const session = await openSession(global);
      const key = encryptionKey(session);
      await assertStudyComputedHere({ gateway: session.gateway, studyId: id });
      const { txHash } = await setStudyConsent({ gateway: session.gateway, client: session.client, addresses: session.addresses, chainId: session.chainId, patient: session.address, signer: session.key.account, studyId: id, join: true });
      const shared = await shareWithStudy({
        gateway: session.gateway, client: session.client, addresses: session.addresses, patient: session.address,
        privateKeys: [key.privateKey, ...session.key.encryption.slice(1).map((k) => k.privateKey)], studyId: id, resourceTypes: ['Observation', 'Condition'],
      });
      emit(global.json, { studyId: Number(id), txHash, sharedVersions: shared }, `you take part in study ${id}; ${shared} record versions shared with its compute service (leave any time: medchain study opt-out ${id})`);
    },
  },
  {
    name: 'study opt-out', synopsis: '<study>', arity: 1, summary: 'leave a study: the keys you shared with it are deleted',
    async run({ args, global }) {
      const id = studyId(args[0]);
      const session = await openSession(global);
      const { txHash } = await setStudyConsent({ gateway: session.gateway, client: session.client, addresses: session.addresses, chainId: session.chainId, patient: session.address, signer: session.key.account, studyId: id, join: false });
      const mine = await getStudyParticipation({ gateway: session.gateway, studyId: id });
      emit(global.json, { studyId: Number(id), txHash, sharedVersions: mine.sharedVersions }, `you left study ${id}; keys still shared with it: ${mine.sharedVersions}`);
    },
  },
  {
    name: 'study run', synopsis: '<study> <computation>', arity: 2, summary: 'run one of the study\'s declared computations (its researcher)',
    options: { epsilon: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    help: '  --epsilon <ε>             privacy budget this run spends (required, at least 0.05)\n  --from <YYYY-MM> --to <YYYY-MM>  only values dated in these whole months (to: exclusive)\n',
    async run({ args, values, global }) {
      const id = studyId(args[0]);
      if (!/^\d+$/.test(args[1]!)) throw new CliError(`a computation is its index in the study (see study show), got ${JSON.stringify(args[1])}`, EXIT.usage);
      const epsilon = Number(str(values, 'epsilon'));
      if (!(epsilon > 0)) throw new CliError('--epsilon is a positive number, the privacy budget this run spends', EXIT.usage);
      const session = await openSession(global);
      const run = await runStudyComputation({ gateway: session.gateway, studyId: id, computation: Number(args[1]), epsilon, from: str(values, 'from'), to: str(values, 'to') });
      emit(global.json, run, `run ${run.runId}: ${run.kind} over about ${run.cohortSize} participants (noised), ε ${run.epsilon}: ${describeResult(run.result)}`
        + (run.noise.errorBound !== undefined ? ` (Laplace noise, scale ${run.noise.scale.toPrecision(3)}; within ±${run.noise.errorBound} with probability ${1 - run.noise.beta})` : ''));
    },
  },
  {
    name: 'study results', synopsis: '<study>', arity: 1, summary: 'the study\'s released results (participants, its researcher, admins, auditors)',
    async run({ args, global }) {
      const id = studyId(args[0]);
      const session = await openSession(global);
      const runs = await getStudyRuns({ gateway: session.gateway, studyId: id });
      emit(global.json, runs, () => table(['run', 'time', 'computation', 'cohort', 'ε', 'result'],
        runs.map((r) => [String(r.runId), isoTime(r.time), r.kind, String(r.cohortSize), String(r.epsilon), describeResult(r.result)])));
    },
  },
];
