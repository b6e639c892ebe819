/**
 * A provider's patients and the grants made to it, a page at a time from the gateway's index
 * (GET /api/care/patients, /api/care/grants): a demo doctor has hundreds of patients, which the
 * browser must not read from chain state call by call. Patients appear by the name in their own
 * Patient resource, decrypted here while the grant allows.
 */
import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { Address } from 'viem';
import { care, type GrantStateName } from './lib/api.ts';
import type { Session } from './lib/session.tsx';
import { PatientName } from './names.tsx';
import { GrantTimeline, scopeText, permText, useGrants } from './consent.tsx';
import { stateAt } from './lib/grantState.ts';
import { GrantState } from '../../src/sdk/contracts.ts';
import { Addr, Countdown, Empty, ErrorNote, Loading, useNow, when } from './ui.tsx';
import { GatewayUnavailable } from './records.tsx';

const PAGE = 20;

export function Pager({ offset, total, onOffset, what }: { offset: number; total: number; onOffset: (o: number) => void; what: string }) {
  if (total <= PAGE && offset === 0) return null;
  return (
    <nav className="row pager" aria-label={`${what} pages`}>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - PAGE))}>Previous</button>
      <span aria-live="polite">{offset + 1}–{Math.min(offset + PAGE, total)} of {total}</span>
      <button type="button" disabled={offset + PAGE >= total} onClick={() => onOffset(offset + PAGE)}>Next</button>
    </nav>
  );
}

export function MyPatients({ session, onPick }: { session: Session; onPick: (p: Address, basis: 'grant' | 'break-glass') => void }) {
  const [offset, setOffset] = useState(0);
  const q = useQuery({
    queryKey: ['care-patients', session.address, offset], enabled: session.gatewayStatus.ok, placeholderData: keepPreviousData,
    queryFn: () => care.patients(session, { limit: PAGE, offset }), refetchInterval: 15_000,
  });
  if (!session.gatewayStatus.ok) return <><GatewayUnavailable session={session} what="Names, paging and records" /><ChainPatients session={session} onPick={onPick} /></>;
  if (q.isPending) return <Loading what="patients" />;
  if (q.error && !q.data) return <ErrorNote error={q.error} title="Could not list your patients" />;
  if (q.data.total === 0) return <Empty>No live grants: no patient's records are open to you right now.</Empty>;
  return (
    <>
      <p className="muted" data-testid="patient-count">{q.data.total} patient{q.data.total === 1 ? '' : 's'} whose records are open to you now, soonest-ending first.</p>
      <ul className="people">{q.data.patients.map((p) => (
        <li key={p.patient} data-testid="patient">
          <PatientName session={session} patient={p.patient} record={p.patientRecord} basis={p.basis} />
          {p.basis === 'break-glass' ? <span className="badge bad">break-glass</span> : null} <Countdown until={p.until} />{' '}
          <button type="button" onClick={() => onPick(p.patient, p.basis)}>Open records</button>
        </li>
      ))}</ul>
      <Pager offset={offset} total={q.data.total} onOffset={setOffset} what="Patients" />
    </>
  );
}

const STATES: GrantStateName[] = ['active', 'upcoming', 'expired', 'revoked'];

/** The grants made to this provider, one state at a time, each patient by name while readable. */
export function GrantsToMe({ session }: { session: Session }) {
  const [state, setState] = useState<GrantStateName>('active');
  const [offset, setOffset] = useState(0);
  const q = useQuery({
    queryKey: ['care-grants', session.address, state, offset], enabled: session.gatewayStatus.ok, placeholderData: keepPreviousData,
    queryFn: () => care.grants(session, { as: 'grantee', state, limit: PAGE, offset }), refetchInterval: 15_000,
  });
  if (!session.gatewayStatus.ok) return <GrantTimeline session={session} side="grantee" who={session.address} />;
  if (q.isPending) return <Loading what="grants" />;
  if (q.error && !q.data) return <ErrorNote error={q.error} title="Could not list grants" />;
  const counts = q.data.counts;
  return (
    <>
      <div className="tabs row" role="group" aria-label="Grant state">
        {STATES.map((s) => (
          <button key={s} type="button" aria-pressed={state === s} onClick={() => { setState(s); setOffset(0); }}>
            {s[0]!.toUpperCase() + s.slice(1)} ({counts[s]})
          </button>
        ))}
      </div>
      {q.data.grants.length === 0 ? <Empty>No {state} grants.</Empty> : (
        <ol className="timeline">{q.data.grants.map((g) => (
          <li key={g.grantId} className={g.state} data-testid="grant">
            <div>#{g.grantId} from <PatientName session={session} patient={g.patient} record={g.patientRecord} /> · {scopeText(g.scope.kind === 'all' ? 0 : g.scope.kind === 'category' ? 1 : 2, g.scope.value)} · {permText((g.read ? 1 : 0) | (g.write ? 2 : 0))} · {g.purpose}</div>
            <div className="muted">{when(g.validFrom)} → {when(g.validUntil)}</div>
            {g.state === 'active' ? <Countdown until={g.validUntil} /> : g.state === 'upcoming' ? <Countdown until={g.validFrom} label="until it starts" /> : null}
          </li>
        ))}</ol>
      )}
      <Pager offset={offset} total={counts[state]} onOffset={setOffset} what="Grants" />
    </>
  );
}

/**
 * Without the gateway's API: the live grants read from chain (Consent.grantsOfGrantee, then each
 * grant; viem splits the calls into batches the /rpc passthrough accepts). Fine for a handful of
 * patients; the paginated index above is what scales.
 */
function ChainPatients({ session, onPick }: { session: Session; onPick: (p: Address, basis: 'grant' | 'break-glass') => void }) {
  const grants = useGrants(session, 'grantee', session.address);
  const now = useNow();
  if (grants.isPending) return <Loading what="patients" />;
  if (grants.error) return <ErrorNote error={grants.error} title="Could not read your grants from the chain" />;
  const live = grants.data.filter((g) => stateAt(g, now) === GrantState.Active);
  const patients = [...new Map(live.map((g) => [g.patient, Math.max(...live.filter((x) => x.patient === g.patient).map((x) => x.validUntil))])).entries()];
  if (patients.length === 0) return <Empty>No live grants: no patient's records are open to you right now.</Empty>;
  return (
    <ul className="people">{patients.map(([p, until]) => (
      <li key={p} data-testid="patient"><Addr value={p} /> <code className="small">{p}</code> · <Countdown until={until} /> <button type="button" onClick={() => onPick(p, 'grant')}>Open records</button></li>
    ))}</ul>
  );
}
