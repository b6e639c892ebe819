/**
 * Research studies for a patient (docs/research.md): each study in plain language (what it computes,
 * how many take part, its privacy budget), take part or leave with one signature the gateway relays
 * (taking part shares the needed data keys with the study's compute key), and the study's latest
 * histogram with the patient's own value — decrypted here, never sent — marked on it (recharts).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Hex } from 'viem';
import { recordCategory } from '../../src/sdk/contracts.ts';
import { walletSigner } from '../../src/sdk/actions/consentSignature.ts';
import { assertStudyComputedHere } from '../../src/sdk/actions/assertStudyComputedHere.ts';
import { getStudies } from '../../src/sdk/actions/getStudies.ts';
import { getStudy } from '../../src/sdk/actions/getStudy.ts';
import { getStudyParticipation } from '../../src/sdk/actions/getStudyParticipation.ts';
import { getStudyRuns } from '../../src/sdk/actions/getStudyRuns.ts';
import { setStudyConsent } from '../../src/sdk/actions/setStudyConsent.ts';
import { shareWithStudy } from '../../src/sdk/actions/shareWithStudy.ts';
import type { StudyRunView, StudyView } from '../../src/sdk/actions/studyRequest.ts';
import type { Session } from './lib/session.tsx';
import { openVersion } from './lib/openVersion.ts';
import { ActionButton, Empty, ErrorNote, Loading, when } from './ui.tsx';

async function setConsent(session: Session, studyId: number, join: boolean) {
  const { client, addresses, chainId } = session.config;
  // Joining here only makes sense where the study's compute key is: check before the patient signs anything.
  if (join) await assertStudyComputedHere({ gateway: session.gateway, studyId: BigInt(studyId) });
  await setStudyConsent({
    gateway: session.gateway, client, addresses, chainId, patient: session.address, signer: walletSigner(session.wallet, session.account), studyId: BigInt(studyId), join,
  });
  if (join) {
    await shareWithStudy({
      gateway: session.gateway, client, addresses, patient: session.address, privateKeys: [session.encryption.privateKey], studyId: BigInt(studyId), resourceTypes: ['Observation', 'Condition'],
    });
  }
}

/** The patient's latest value of one of the study's codes, decrypted in the browser. */
async function ownLatest(session: Session, codes: StudyView['codes']): Promise<number | undefined> {
  const { records } = await session.gateway.listRecords(session.address);
  let best: { t: number; v: number } | undefined;
  for (const r of records.filter((x) => !x.erased && x.category.toLowerCase() === recordCategory('Observation').toLowerCase())) {
    const { resource } = await openVersion(session, r.recordId as Hex, r.latestVersion, session.address);
    const coding = ((resource.code as { coding?: Array<{ system?: string; code?: string }> } | undefined)?.coding ?? []);
    if (!coding.some((c) => codes.some((k) => k.system === c.system && k.code === c.code))) continue;
    const v = (resource.valueQuantity as { value?: unknown } | undefined)?.value;
    const t = Date.parse(String(resource.effectiveDateTime ?? resource.issued ?? '')) || 0;
    if (typeof v === 'number' && (!best || t >= best.t)) best = { t, v };
  }
  return best?.v;
}

function StudyCard({ session, study }: { session: Session; study: StudyView }) {
  const queryClient = useQueryClient();
  const mine = useQuery({
    queryKey: ['study-participation', study.studyId, session.address],
    queryFn: () => getStudyParticipation({ gateway: session.gateway, studyId: BigInt(study.studyId) }),
  });
  const runs = useQuery({
    queryKey: ['study-runs', study.studyId],
    enabled: mine.data?.participant === true || (mine.data?.runsIncludingYou.length ?? 0) > 0,
    queryFn: async () => ({ runs: await getStudyRuns({ gateway: session.gateway, studyId: BigInt(study.studyId) }) }),
  });
  const own = useQuery({ queryKey: ['study-own-value', study.studyId], enabled: !!runs.data, queryFn: () => ownLatest(session, study.codes).then((v) => v ?? null) });
  const consent = useMutation({
    mutationFn: (join: boolean) => setConsent(session, study.studyId, join),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['study-participation', study.studyId] }),
  });
  const histogram = runs.data?.runs.filter((r) => r.result?.bins).at(-1);
  const data = study.codes.map((c) => c.display).join(', ') || 'coded values';
  return (
    <li className="card" data-testid="study">
      <h3>{study.title ?? `Study ${study.studyId}`} <span className="badge">{study.status}</span></h3>
      {study.summary ? <p>{study.summary}</p> : null}
      <p className="muted small">
        Reads your {data}; computes only {study.computations.map((c) => c.kind.toLowerCase()).join(', ')}; a result needs at least {study.minCohort} participants
        ({study.participants} take part); privacy budget ε {study.budget.spent} of {study.budget.epsilon} spent; ends {when(study.endTime)}.
      </p>
      {mine.isPending ? <Loading what="your participation" /> : mine.error ? <ErrorNote error={mine.error} /> : (
        <p>
          {mine.data.participant ? `You take part (${mine.data.sharedVersions} record versions shared with the study's compute service). ` : 'You do not take part. '}
          {mine.data.runsIncludingYou.length > 0 ? `Your values were included in ${mine.data.runsIncludingYou.length} computations, the last on ${when(mine.data.runsIncludingYou.at(-1)!.time)}. ` : ''}
          {mine.data.participant
            ? <ActionButton label="Leave the study" run={() => consent.mutateAsync(false)} />
            : study.open && study.computeKeyHeldHere ? <ActionButton label="Take part" run={() => consent.mutateAsync(true)} />
              : study.open ? <span className="muted small">This hospital does not run this study: take part at the hospital that does.</span> : null}
        </p>
      )}
      {histogram?.result?.bins ? (
        <figure>
          <figcaption className="small">Your value against the cohort ({histogram.cohortSize} participants, noised counts, run {histogram.runId})</figcaption>
          <ResponsiveContainer width="100%" height={200}>
            <BarChart data={histogram.result.bins.map((b) => ({ ...b, label: `${b.from}–${b.to}`, mid: (b.from + b.to) / 2 }))}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Bar dataKey="count" fill="#6b8fbf" />
              {typeof own.data === 'number' ? (
                <ReferenceLine x={histogram.result.bins.map((b) => `${b.from}–${b.to}`)[Math.max(0, histogram.result.bins.findIndex((b) => own.data! >= b.from && own.data! < b.to))]} stroke="#c0392b" label={`you: ${own.data}`} />
              ) : null}
            </BarChart>
          </ResponsiveContainer>
        </figure>
      ) : null}
    </li>
  );
}

export function PatientStudies({ session }: { session: Session }) {
  const q = useQuery({ queryKey: ['studies'], queryFn: async () => ({ studies: await getStudies({ gateway: session.gateway }) }) });
  if (q.isPending) return <Loading what="studies" />;
  if (q.error) return <ErrorNote error={q.error} />;
  const visible = q.data.studies.filter((s) => s.status !== 'proposed');
  if (visible.length === 0) return <Empty>No research study is open at this hospital.</Empty>;
  return <ol className="cards">{visible.map((s) => <StudyCard key={s.studyId} session={session} study={s} />)}</ol>;
}

const resultText = (r: StudyRunView['result'] | undefined) =>
  !r ? '—' : r.mean !== undefined ? `mean ${r.mean}` : r.count !== undefined ? `count ${r.count}` : r.bins ? r.bins.map((b) => `${b.from}–${b.to}: ${b.count}`).join(' · ') : r.kind;

/** A researcher's studies: status, participants, privacy budget spent, and every run with its released result. */
export function ResearcherStudies({ session }: { session: Session }) {
  const q = useQuery({
    queryKey: ['studies-mine', session.address],
    queryFn: async () => {
      const studies = await getStudies({ gateway: session.gateway });
      const mine = studies.filter((s) => s.researcher.toLowerCase() === session.address.toLowerCase());
      return Promise.all(mine.map(async (s) => ({ ...s, runList: (await getStudy({ gateway: session.gateway, studyId: BigInt(s.studyId) })).runList })));
    },
  });
  if (q.isPending) return <Loading what="your studies" />;
  if (q.error) return <ErrorNote error={q.error} />;
  if (q.data.length === 0) return <Empty>You have registered no study (medchain study register, docs/research.md).</Empty>;
  return (
    <ol className="cards">{q.data.map((s) => (
      <li key={s.studyId} className="card" data-testid="researcher-study">
        <h3>{s.title ?? `Study ${s.studyId}`} <span className="badge">{s.status}</span></h3>
        <p className="muted small">{s.participants} participants (minimum {s.minCohort} per result) · privacy budget ε {s.budget.spent} of {s.budget.epsilon} spent, {s.budget.left} left · ends {when(s.endTime)}</p>
        {s.runList.length === 0 ? <Empty>No run yet.</Empty> : (
          <table><thead><tr><th>Run</th><th>When</th><th>Computation</th><th>Cohort</th><th>ε</th><th>Released</th></tr></thead>
            <tbody>{s.runList.map((r) => <tr key={r.runId}><td>{r.runId}</td><td>{when(r.time)}</td><td>{r.kind}</td><td>{r.cohortSize}</td><td>{r.epsilon}</td><td>{resultText(r.result)}</td></tr>)}</tbody>
          </table>
        )}
      </li>
    ))}</ol>
  );
}
