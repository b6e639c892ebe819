/**
 * Research study routes (REST, under /api, signed in). Studies are registered, approved, joined and
 * left on chain (Studies.sol); the gateway relays patients' signed opt-ins and opt-outs, keeps the
 * keys they share with a study's compute key, runs the declared computations (research/computeService.ts)
 * and shows each study's budget and runs.
 *
 *   GET  /api/studies/compute-service                this hospital's compute operator and compute keys (to name when registering)
 *   GET  /api/studies                                every study: terms, status, budget
 *   GET  /api/studies/:id                            one study's page: terms, plain-language text, budget, runs
 *   PUT  /api/studies/:id/text                       { title, summary, codes? } its researcher; title must hash to the on-chain titleHash
 *   POST /api/studies/:id/opt-in/relay               { patient, deadline, signature } (EIP-712 OptIn)
 *   POST /api/studies/:id/opt-out/relay              { patient, deadline, signature } (EIP-712 OptOut)
 *   POST /api/studies/:id/envelopes                  { envelopes: [{ recordId, version, envelope }] } a participant shares data keys
 *                                                    (only at the hospital holding the study's compute key, only records in its categories)
 *   GET  /api/studies/:id/participation              the caller's: participant?, keys shared, runs that included them (each with an inclusion proof)
 *   POST /api/studies/:id/runs                       { computation, epsilon, from?, to? } its researcher (whole months: YYYY-MM)
 *   GET  /api/studies/:id/runs                       released results (participants, its accredited researcher, admins, auditors)
 *   GET  /api/studies/:id/runs/:run/cohort           the run's cohort list and salt (admins and auditors), root as on chain
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { getAddress, keccak256, toBytes, type Address, type PublicClient } from 'viem';
import { StudiesAbi, type MedChainAddresses } from '../../sdk/contracts.ts';
import { fromMicro, studyCode } from '../../sdk/studies.ts';
import { recordCategory } from '../../sdk/contracts.ts';
import { ChainRefusal } from '../chain/relayer.ts';
import { chainRefused } from '../http/errors.ts';
import type { StudyConsentRelay } from '../research/studyConsentRelay.ts';
import { cohortTree } from '../research/commitment.ts';
import { StudyRefusal, type ChainStudy, type ComputeService } from '../research/computeService.ts';
import type { StudyRun, StudyStore, StudyText } from '../research/studyStore.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import type { CategoryKeys } from '../index/categoryKeys.ts';
import { recordRepository } from '../repository/records.ts';
import type { GatewayEnv } from './types.ts';
import { address, fail, hex32, jsonBody, parse, sessionOf, uint, version } from './validation.ts';

const signature = z.string().regex(/^0x[0-9a-fA-F]{130,}$/, 'expected a 0x-hex signature').max(20_000);
export const relayStudyConsentBody = z.object({ patient: address, deadline: uint, signature });
export const shareStudyEnvelopesBody = z.object({
  envelopes: z.array(z.object({ recordId: hex32, version, envelope: z.string().base64().max(4_000) })).min(1).max(500),
});
/**
 * A run's date window is whole calendar months (UTC): a window one day wider than the last would let
 * a researcher difference two runs down to the few patients measured on that day (docs/research.md).
 */
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a date window is whole months: YYYY-MM (from the first of that month, UTC)');
export const runStudyBody = z.object({
  computation: z.number().int().min(0).max(15),
  epsilon: z.number().positive().max(100),
  from: month.optional(),
  to: month.optional().describe('exclusive: the window ends where this month begins'),
}).refine((b) => !b.from || !b.to || b.from < b.to, { message: 'the window\'s `to` month must come after its `from` month', path: ['to'] });
const monthStart = (m: string) => Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)) - 1, 1);
export const studyTextBody = z.object({
  title: z.string().min(3).max(200),
  summary: z.string().min(10).max(4_000),
  codes: z.array(z.object({ system: z.string().max(200), code: z.string().max(100), display: z.string().max(200) })).max(32).optional(),
});

export interface StudyRouteDeps {
  client: PublicClient;
  addresses: MedChainAddresses;
  relayConsent: StudyConsentRelay;
  compute: ComputeService;
  store: StudyStore;
  index: SqlExecutor;
  indexed: () => Promise<void>;
  /** Maps a patient's blinded record categories back to resource types (index/categoryKeys.ts). */
  categories: Pick<CategoryKeys, 'typeOf'>;
}

const statusName = ['none', 'proposed', 'approved', 'closed'] as const;

function studyView(s: ChainStudy, text: StudyText | undefined, holdsKey: boolean) {
  const ended = s.status === 2 && !s.open;
  return {
    studyId: Number(s.studyId), researcher: s.researcher, status: ended ? 'ended' : statusName[s.status], open: s.open,
    title: text?.title ?? null, summary: text?.summary ?? null, codes: text?.codes ?? [],
    titleHash: s.titleHash, protocolHash: s.protocolHash, minCohort: s.minCohort, participants: s.participants,
    budget: { epsilon: fromMicro(s.epsilonBudget), spent: fromMicro(s.epsilonSpent), left: fromMicro(s.epsilonBudget - s.epsilonSpent) },
    endTime: Number(s.endTime), registeredAt: Number(s.registeredAt), approvedAt: Number(s.approvedAt) || null, closedAt: Number(s.closedAt) || null,
    runs: s.runs, computeOperator: s.computeOperator, computeKey: s.computeKey, computeKeyHeldHere: holdsKey,
    categories: s.categories, dataCodes: s.codes, computations: s.computations.map((c, index) => ({ index, ...c })),
  };
}

export function studyRoutes(deps: StudyRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const studies = { address: deps.addresses.studies, abi: StudiesAbi } as const;
  const idOf = (raw: string) => parse(z.coerce.number().int().min(1).max(2 ** 31), raw);
  const load = async (id: number) => {
    try { return await deps.compute.readStudy(BigInt(id)); } catch (error) {
      if (error instanceof StudyRefusal) fail(error.status as 404, error.message);
      throw error;
    }
  };
  const texts = (id: number) => deps.store.text(BigInt(id));
  const isParticipant = (id: number, who: Address) => deps.client.readContract({ ...studies, functionName: 'isParticipant', args: [BigInt(id), who] });

  app.get('/studies/compute-service', (c) => {
    sessionOf(c);
    return c.json(deps.compute.identity());
  });

  app.get('/studies', async (c) => {
    sessionOf(c);
    const count = Number(await deps.client.readContract({ ...studies, functionName: 'studyCount' }));
    const out = [];
    for (let id = 1; id <= count; id++) {
      const s = await load(id);
      out.push(studyView(s, await texts(id), deps.compute.holdsKeyOf(s)));
    }
    return c.json({ studies: out });
  });

  /** Released results are for participants (present or past included ones), the researcher while accredited, admins and auditors. */
  const seesResults = async (id: number, study: ChainStudy, who: { address: Address; role: string }) =>
    who.role === 'admin' || who.role === 'auditor'
    || (getAddress(study.researcher) === who.address && await deps.compute.researcherAccredited(study))
    || await isParticipant(id, who.address) || (await deps.store.runsIncluding(BigInt(id), who.address)).length > 0;
  /** A run as everyone may see it: what ran, when, over how many (noisy), ε, the hashes — no released values, no salt. */
  const publicRun = ({ actor: _actor, result: _result, resultSalt: _salt, ...run }: StudyRun) => run;
  const resultRun = ({ actor: _actor, ...run }: StudyRun) => run;

  app.get('/studies/:id', async (c) => {
    const who = sessionOf(c);
    const id = idOf(c.req.param('id'));
    const s = await load(id);
    const results = await seesResults(id, s, who);
    // Everyone sees the budget and what ran (kind, cohort size, ε, hashes); the released values only those above.
    const runs = (await deps.store.runs(BigInt(id))).map(results ? resultRun : publicRun);
    return c.json({ ...studyView(s, await texts(id), deps.compute.holdsKeyOf(s)), runList: runs });
  });

  app.put('/studies/:id/text', async (c) => {
    const s = sessionOf(c);
    const id = idOf(c.req.param('id'));
    const body = parse(studyTextBody, await jsonBody(c));
    const study = await load(id);
    if (getAddress(study.researcher) !== s.address) fail(403, 'only the study\'s researcher describes it');
    if (keccak256(toBytes(body.title)) !== study.titleHash.toLowerCase()) fail(422, 'the title does not match the titleHash registered on chain (keccak256 of the UTF-8 title)');
    for (const code of body.codes ?? []) {
      if (!study.codes.some((h) => h.toLowerCase() === studyCode(code.system, code.code))) fail(422, `code ${code.system}|${code.code} is not among the study's declared codes`);
    }
    await deps.store.setText(BigInt(id), body);
    return c.json({ ok: true });
  });

  for (const [path, join] of [['opt-in', true], ['opt-out', false]] as const) {
    app.post(`/studies/:id/${path}/relay`, async (c) => {
      sessionOf(c);
      const id = idOf(c.req.param('id'));
      const body = parse(relayStudyConsentBody, await jsonBody(c));
      await load(id);
      try {
        const { hash } = await deps.relayConsent(join, body.patient, BigInt(id), body.deadline, body.signature as `0x${string}`);
        await deps.indexed();
        return c.json({ txHash: hash });
      } catch (error) {
        if (error instanceof ChainRefusal) throw chainRefused(error.errorName === 'InvalidSignature' || error.errorName === 'SignatureExpired' ? 400 : 409, `the chain refused the ${path}: ${error.errorName}`, error);
        throw error;
      }
    });
  }

  app.post('/studies/:id/envelopes', async (c) => {
    const s = sessionOf(c, { requireRole: true });
    const id = idOf(c.req.param('id'));
    const body = parse(shareStudyEnvelopesBody, await jsonBody(c));
    const study = await load(id);
    if (!study.open) fail(409, `study ${id} is not open: no data keys are accepted`);
    // A key wrapped to a compute key held elsewhere could never be used here: keeping it would only widen what leaks if this gateway does.
    if (!deps.compute.holdsKeyOf(study)) fail(409, `this gateway does not hold study ${id}'s compute key: share your data keys at the hospital that runs the study (its compute operator ${study.computeOperator})`);
    if (!(await isParticipant(id, s.address))) fail(403, `you do not participate in study ${id}; opt in first`);
    // Only the patient's own live records, in the categories the study declared, and only versions that exist.
    const categories = new Set(study.categories.map((k) => k.toLowerCase()));
    for (const e of body.envelopes) {
      const row = await recordRepository(deps.index).byId(e.recordId);
      if (!row || getAddress(row.patient) !== s.address) fail(403, `record ${e.recordId} is not yours`);
      if (row.erased_block !== null && row.erased_block !== undefined) fail(410, `record ${e.recordId} was erased`);
      if (e.version > Number(row.latest_version)) fail(404, `record ${e.recordId} has no version ${e.version}`);
      // Categories on chain are blinded per patient: the study declares resource types' plain categories, so compare by type.
      const type = await deps.categories.typeOf(s.address, row.category as `0x${string}`);
      if (!type || !categories.has(recordCategory(type).toLowerCase())) fail(422, `record ${e.recordId} is not in a category study ${id} declared: it needs only ${study.categories.length} record categories, and a key for anything else is refused`);
    }
    for (const e of body.envelopes) {
      await deps.store.putEnvelope(BigInt(id), { recordId: e.recordId, version: e.version, patient: s.address, envelope: new Uint8Array(Buffer.from(e.envelope, 'base64')) });
    }
    return c.json({ shared: body.envelopes.length });
  });

  app.get('/studies/:id/participation', async (c) => {
    const s = sessionOf(c);
    const id = idOf(c.req.param('id'));
    await load(id);
    const runs = await deps.store.runsIncluding(BigInt(id), s.address);
    return c.json({
      participant: await isParticipant(id, s.address), sharedVersions: await deps.store.countEnvelopes(BigInt(id), s.address),
      // Each with the caller's own leaf of the run's cohort tree: checkable against the chain's cohortHash, opening no other leaf.
      runsIncludingYou: runs.map(({ run: { actor: _actor, ...r }, secrets }) => ({
        ...r, inclusion: secrets.salt && secrets.treeSize !== null ? cohortTree(secrets.salt, secrets.cohort, secrets.treeSize).proofOf(s.address) ?? null : null,
      })),
    });
  });

  app.post('/studies/:id/runs', async (c) => {
    const s = sessionOf(c, { requireRole: true });
    const id = idOf(c.req.param('id'));
    const body = parse(runStudyBody, await jsonBody(c));
    await load(id);
    const window = { from: body.from ? monthStart(body.from) : undefined, to: body.to ? monthStart(body.to) : undefined };
    try {
      const run = await deps.compute.run({ studyId: BigInt(id), computation: body.computation, epsilon: body.epsilon, window, actor: s.address });
      return c.json(run, 201);
    } catch (error) {
      if (error instanceof StudyRefusal) fail(error.status as 409, error.message);
      throw error;
    }
  });

  app.get('/studies/:id/runs', async (c) => {
    const s = sessionOf(c);
    const id = idOf(c.req.param('id'));
    const study = await load(id);
    if (!(await seesResults(id, study, s))) fail(403, 'study results are shown to its participants, its researcher, admins and auditors');
    return c.json({ runs: (await deps.store.runs(BigInt(id))).map(resultRun) });
  });

  app.get('/studies/:id/runs/:run/cohort', async (c) => {
    const s = sessionOf(c);
    if (s.role !== 'admin' && s.role !== 'auditor') fail(403, 'cohort lists are for admins and auditors; a patient sees their own inclusion under /participation');
    const id = idOf(c.req.param('id'));
    const runId = idOf(c.req.param('run'));
    const found = await deps.store.runSecrets(BigInt(id), runId);
    if (!found) fail(404, `study ${id} has no run ${runId}`);
    const { cohort, salt, treeSize } = found.secrets;
    // What an auditor needs to recompute the on-chain commitments (commitment.ts): the list, the salt and the padded tree's size.
    return c.json({
      cohort: cohort.map((a) => getAddress(a)), salt, treeSize, resultSalt: found.run.resultSalt,
      cohortHash: salt && treeSize !== null ? cohortTree(salt, cohort, treeSize).root : found.run.cohortHash,
    });
  });

  return app;
}
