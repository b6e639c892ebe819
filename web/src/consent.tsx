/**
 * Consent in the browser: grants read from chain (Consent.grantsOfPatient / grantsOfGrantee, so
 * the timeline works even while the gateway's index catches up), grouped by state with live
 * count-downs; grant terms chosen in a form; approval either by the patient's EIP-712 signature
 * relayed by the gateway (no gas for the patient) or by a direct transaction.
 */
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Address, Hex } from 'viem';
import { ConsentAbi, GrantState, PURPOSES, Purpose, ScopeKind, ZERO_SCOPE, recordCategory, type GrantTerms, type PurposeName } from '../../src/sdk/contracts.ts';
import { walletSigner } from '../../src/sdk/actions/consentSignature.ts';
import { relayExtend } from '../../src/sdk/actions/relayExtend.ts';
import { relayGrant } from '../../src/sdk/actions/relayGrant.ts';
import { relayRevoke } from '../../src/sdk/actions/relayRevoke.ts';
import { blindTerms, purposeOfTag, withBlindedScope, type GrantDraft } from '../../src/sdk/blindScope.ts';
import { shareWithGrantee as shareVersionsWithGrantee } from '../../src/sdk/shareWithGrantee.ts';
import { sendTx, type Session } from './lib/session.tsx';
import { RECORD_TYPES } from './lib/fhir.ts';
import { categoryName } from './records.tsx';
import { ProviderName } from './names.tsx';
import { GrantWindows } from './grantWindows.tsx';
import { stateAt } from './lib/grantState.ts';
import { ActionButton, Addr, Countdown, Empty, ErrorNote, Field, Loading, useNow, when } from './ui.tsx';

/** `purpose`: the purpose the on-chain tag stands for (decoded with the gateway), or undefined when it could not be. */
export interface GrantRow {
  grantId: bigint; patient: Address; grantee: Address; scopeKind: number; scopeValue: Hex; permissions: number; purpose: PurposeName | undefined; purposeTag: Hex;
  validFrom: number; validUntil: number; revokedAt: number; requestId: bigint; state: number;
}

export const purposeText = (p: PurposeName | undefined) => p?.toLowerCase() ?? 'purpose unknown';

/**
 * The purposes of on-chain tags (blinded per patient and grantee, so the chain does not say): asked
 * of the gateway once per (patient, grantee) pair — the patient may for any grantee, a grantee for
 * itself. Without a signed-in gateway they stay unknown.
 */
export async function purposesOf(session: Session, items: Array<{ patient: Address; grantee: Address; tag: Hex }>): Promise<Array<PurposeName | undefined>> {
  if (!session.gatewayStatus.ok) return items.map(() => undefined);
  const pairs = new Map<string, Promise<PurposeName | undefined>>();
  return Promise.all(items.map((i) => {
    const key = `${i.patient}:${i.grantee}:${i.tag}`;
    if (!pairs.has(key)) pairs.set(key, purposeOfTag(session.gateway, i.patient, i.grantee, i.tag).catch(() => undefined));
    return pairs.get(key)!;
  }));
}
export const scopeText = (kind: number, value: Hex) => (kind === ScopeKind.All ? 'all records' : kind === ScopeKind.Category ? categoryName(value) : `record ${value.slice(0, 10)}…`);
export const permText = (p: number) => [(p & 1) ? 'read' : '', (p & 2) ? 'write' : ''].filter(Boolean).join(' + ');

export function useGrants(session: Session, side: 'patient' | 'grantee', who: Address) {
  const { client, addresses } = session.config;
  return useQuery({
    queryKey: ['grants', side, who],
    queryFn: async (): Promise<GrantRow[]> => {
      const consent = { address: addresses.consent, abi: ConsentAbi } as const;
      const ids = side === 'patient'
        ? await client.readContract({ ...consent, functionName: 'grantsOfPatient', args: [who] })
        : await client.readContract({ ...consent, functionName: 'grantsOfGrantee', args: [who] });
      const rows = await Promise.all([...ids].reverse().map(async (grantId) => {
        const [g, state] = await Promise.all([
          client.readContract({ ...consent, functionName: 'getGrant', args: [grantId] }),
          client.readContract({ ...consent, functionName: 'grantState', args: [grantId] }),
        ]);
        return {
          grantId, patient: g.patient, grantee: g.grantee, scopeKind: g.scopeKind, scopeValue: g.scopeValue, permissions: g.permissions, purposeTag: g.purpose,
          validFrom: Number(g.validFrom), validUntil: Number(g.validUntil), revokedAt: Number(g.revokedAt), requestId: g.requestId, state,
        };
      }));
      const purposes = await purposesOf(session, rows.map((r) => ({ patient: r.patient, grantee: r.grantee, tag: r.purposeTag })));
      return rows.map((r, i) => ({ ...r, purpose: purposes[i] }));
    },
    refetchInterval: 5000,
  });
}

const GROUPS: Array<[string, number]> = [['Active', GrantState.Active], ['Upcoming', GrantState.Upcoming], ['Expired', GrantState.Expired], ['Revoked', GrantState.Revoked]];

export function GrantTimeline({ session, side, who }: { session: Session; side: 'patient' | 'grantee'; who: Address }) {
  const grants = useGrants(session, side, who);
  const queryClient = useQueryClient();
  const now = useNow();
  if (grants.isPending) return <Loading what="grants" />;
  if (grants.error) return <ErrorNote error={grants.error} title="Could not read grants from the chain" />;
  if (grants.data.length === 0) return <Empty>{side === 'patient' ? 'You have not granted anyone access.' : 'No patient has granted you access yet.'}</Empty>;
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['grants'] });
  return (
    <>
    {side === 'patient' ? <GrantWindows session={session} grants={grants.data} now={now} /> : null}
    <div className="grid">{GROUPS.map(([name, state]) => {
      const rows = grants.data.filter((g) => stateAt(g, now) === state);
      return (
        <div key={name}>
          <h3>{name} ({rows.length})</h3>
          {rows.length === 0 ? <p className="muted">None.</p> : (
            <ol className="timeline">{rows.map((g) => (
              <li key={String(g.grantId)} className={name.toLowerCase()} data-testid="grant">
                <div>#{String(g.grantId)} {side === 'patient' ? <>to <ProviderName origin={session.config.origin} address={g.grantee} /></> : <>from <Addr value={g.patient} /></>} · {scopeText(g.scopeKind, g.scopeValue)} · {permText(g.permissions)} · {purposeText(g.purpose)}</div>
                <div className="muted">{when(g.validFrom)} → {when(g.validUntil)}{g.revokedAt ? ` · revoked ${when(g.revokedAt)}` : ''}</div>
                {state === GrantState.Active ? <Countdown until={g.validUntil} /> : state === GrantState.Upcoming ? <Countdown until={g.validFrom} label="until it starts" /> : null}
                {side === 'patient' && (state === GrantState.Active || state === GrantState.Upcoming) ? <GrantActions session={session} grant={g} onDone={refresh} /> : null}
              </li>
            ))}</ol>
          )}
        </div>
      );
    })}</div>
    </>
  );
}

/** `YYYY-MM-DDTHH:MM:SS` in local time, the value format of `<input type="datetime-local">`. */
const localInput = (unix: number) => {
  const d = new Date(unix * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

/** What the SDK's relayed consent actions take from the session: the patient signs with the session's wallet. */
function relayParams(session: Session) {
  const { client, addresses, chainId } = session.config;
  return { gateway: session.gateway, client, addresses, chainId, patient: session.address, signer: walletSigner(session.wallet, session.account) };
}

/**
 * Revoke or extend a live or upcoming grant: by the patient's EIP-712 signature relayed by the
 * gateway (`revokeBySig` / `extendBySig`, no gas) when the gateway is signed in, otherwise by the
 * patient's own transaction. Extending takes a new end time, which must be later than the current one.
 */
function GrantActions({ session, grant, onDone }: { session: Session; grant: GrantRow; onDone: () => Promise<unknown> }) {
  const relayed = session.gatewayStatus.ok;
  const [until, setUntil] = useState(() => localInput(grant.validUntil + 86400));
  const consent = { address: session.config.addresses.consent, abi: ConsentAbi } as const;
  const id = String(grant.grantId);
  return (
    <div className="row grant-actions">
      <ActionButton label="Revoke" kind="danger" done={relayed ? 'Revoked (signature relayed)' : 'Revoked'} run={async () => {
        if (relayed) await relayRevoke({ ...relayParams(session), grantId: grant.grantId });
        else await sendTx(session, { ...consent, functionName: 'revoke', args: [grant.grantId] });
        await onDone();
      }} />
      <Field label={`New end of grant #${id}`}>
        <input type="datetime-local" step={1} value={until} onChange={(e) => setUntil(e.target.value)} />
      </Field>
      <ActionButton label="Extend" done={relayed ? 'Extended (signature relayed)' : 'Extended'} run={async () => {
        const ms = new Date(until).getTime();
        if (!Number.isFinite(ms)) throw new Error('choose the new end date and time');
        const validUntil = BigInt(Math.floor(ms / 1000));
        if (validUntil <= BigInt(grant.validUntil)) throw new Error(`the new end must be after the current one (${when(grant.validUntil)})`);
        if (relayed) await relayExtend({ ...relayParams(session), grantId: grant.grantId, validUntil });
        else await sendTx(session, { ...consent, functionName: 'extend', args: [grant.grantId, validUntil] });
        await onDone();
      }} />
    </div>
  );
}

/**
 * After a grant with read permission that is live now: shares the data key of every version in its
 * scope with the grantee (the SDK's `shareWithGrantee`: re-wrapped to the grantee's on-chain key,
 * deposited with `POST .../share`), so the grantee can open records written before the grant.
 * Returns how many versions were shared. Needs the gateway.
 */
export async function shareWithGrantee(session: Session, terms: GrantTerms): Promise<number> {
  if (!session.gatewayStatus.ok) return 0;
  return shareVersionsWithGrantee({
    gateway: session.gateway, client: session.config.client, addresses: session.config.addresses, patient: session.address,
    privateKeys: [session.encryption.privateKey], terms,
  });
}

export interface TermsInput {
  scope: string; read: boolean; write: boolean; purpose: PurposeName; hours: number; startsIn: number;
  /** A request's single record (scope "record"), kept as asked. */
  recordId?: Hex;
  /** A request's exact end (unix seconds), kept until the patient changes the window. */
  endsAt?: number;
}

export function TermsFields({ value, onChange, prefix }: { value: TermsInput; onChange: (v: TermsInput) => void; prefix: string }) {
  return (
    <fieldset className="terms">
      <legend>Access terms</legend>
      <Field label="Scope">
        <select value={value.scope} onChange={(e) => onChange({ ...value, scope: e.target.value })} id={`${prefix}-scope`}>
          <option value="all">All records</option>
          {value.recordId ? <option value="record">This record only ({value.recordId.slice(0, 10)}…)</option> : null}
          {RECORD_TYPES.map((t) => <option key={t} value={t}>{t === 'Binary' ? 'Attachments' : t} only</option>)}
        </select>
      </Field>
      <div className="row">
        <label><input type="checkbox" checked={value.read} onChange={(e) => onChange({ ...value, read: e.target.checked })} /> Read</label>
        <label><input type="checkbox" checked={value.write} onChange={(e) => onChange({ ...value, write: e.target.checked })} /> Write</label>
      </div>
      <Field label="Purpose">
        <select value={value.purpose} onChange={(e) => onChange({ ...value, purpose: e.target.value as PurposeName })}>{PURPOSES.map((p) => <option key={p} value={p}>{p}</option>)}</select>
      </Field>
      <Field label="Window length (hours)"><input type="number" min={0.01} step="any" value={value.hours} onChange={(e) => onChange({ ...value, hours: Number(e.target.value), endsAt: undefined })} /></Field>
      <Field label="Starts in (hours, 0 = now)"><input type="number" min={0} step="any" value={value.startsIn} onChange={(e) => onChange({ ...value, startsIn: Number(e.target.value), endsAt: undefined })} /></Field>
    </fieldset>
  );
}

/**
 * The terms exactly as they will be signed: who, what, why, and the exact start and end (the end
 * is absolute on chain, so a grant that starts "now" starts when its transaction is mined and ends
 * at this second, not a window-length later).
 */
export function FinalTerms({ session, input, grantee, verb = 'You will grant', purposeAsked }: { session: Session; input: TermsInput; grantee?: Address; verb?: string; purposeAsked?: string }) {
  useNow();
  if (!grantee) return <p className="muted final-terms">Choose who to grant access to.</p>;
  let terms: GrantDraft;
  try { terms = termsOf(input, grantee); } catch (error) { return <p className="state error final-terms" role="alert">{(error as Error).message}</p>; }
  return (
    <p className="final-terms" data-testid="final-terms">
      {verb} <ProviderName origin={session.config.origin} address={grantee} />: <strong>{permText(terms.permissions)}</strong> of <strong>{scopeText(terms.scopeKind, terms.scopeValue)}</strong>,
      {' '}for {purposeAsked ?? terms.purpose.toLowerCase()}, from {terms.validFrom === 0n ? 'the moment it is confirmed' : when(Number(terms.validFrom))} until <strong data-testid="final-end">{when(Number(terms.validUntil))}</strong> exactly.
    </p>
  );
}

export const defaultTerms: TermsInput = { scope: 'all', read: true, write: false, purpose: Purpose.Treatment, hours: 24, startsIn: 0 };

/** The terms of a form's input, the purpose by name (blindTerms / withPurposeTag make the on-chain ones); throws a message the user can act on. */
export function termsOf(input: TermsInput, grantee: Address): GrantDraft {
  if (!input.read && !input.write) throw new Error('choose read, write or both');
  if (!(input.hours > 0) || input.hours > 24 * 366) throw new Error('the window is between a minute and a year');
  if (!(input.startsIn >= 0)) throw new Error('the start cannot be in the past');
  const now = Math.floor(Date.now() / 1000);
  const from = input.startsIn === 0 ? 0 : now + Math.round(input.startsIn * 3600);
  const until = input.endsAt ?? (from || now) + Math.round(input.hours * 3600);
  if (until <= now) throw new Error('the requested window has already ended: choose a new window length');
  const scope = input.scope === 'all' ? { scopeKind: ScopeKind.All, scopeValue: ZERO_SCOPE }
    : input.scope === 'record' && input.recordId ? { scopeKind: ScopeKind.Record, scopeValue: input.recordId }
      : { scopeKind: ScopeKind.Category, scopeValue: recordCategory(input.scope) };
  return {
    grantee, ...scope,
    permissions: (input.read ? 1 : 0) | (input.write ? 2 : 0), purpose: input.purpose, validFrom: BigInt(from), validUntil: BigInt(until),
  };
}

/** Grants by the patient's EIP-712 signature, relayed by the gateway (the patient pays no gas). */
export function grantByRelay(session: Session, terms: GrantTerms, requestId?: bigint) {
  return relayGrant({ ...relayParams(session), terms, requestId });
}

export function Requests({ session }: { session: Session }) {
  const { client, addresses } = session.config;
  const queryClient = useQueryClient();
  const [terms, setTerms] = useState<Record<string, TermsInput>>({});
  const [via, setVia] = useState<'relay' | 'tx'>(session.gatewayStatus.ok ? 'relay' : 'tx');
  const q = useQuery({
    queryKey: ['requests', session.address],
    queryFn: async () => {
      const consent = { address: addresses.consent, abi: ConsentAbi } as const;
      const ids = await client.readContract({ ...consent, functionName: 'requestsOfPatient', args: [session.address] });
      const all = await Promise.all(ids.map(async (id) => ({ id, ...(await client.readContract({ ...consent, functionName: 'getRequest', args: [id] })) })));
      const pending = all.filter((r) => r.status === 1);
      const purposes = await purposesOf(session, pending.map((r) => ({ patient: r.patient, grantee: r.provider, tag: r.terms.purpose })));
      return pending.map((r, i) => ({ ...r, purpose: purposes[i] }));
    },
    refetchInterval: 5000,
  });
  if (q.isPending) return <Loading what="requests" />;
  if (q.error) return <ErrorNote error={q.error} />;
  if (q.data.length === 0) return <Empty>No requests are waiting for you.</Empty>;
  const refresh = () => queryClient.invalidateQueries({ predicate: (x) => ['requests', 'grants'].includes(String(x.queryKey[0])) });
  return (
    <>
      <Field label="Approve by">
        <select value={via} onChange={(e) => setVia(e.target.value as 'relay' | 'tx')}>
          <option value="relay" disabled={!session.gatewayStatus.ok}>Signature relayed by the gateway (no gas)</option>
          <option value="tx">My own transaction</option>
        </select>
      </Field>
      <ul className="events">{q.data.map((r) => {
        const key = String(r.id);
        // The request's own terms until the patient changes one: amending one field keeps the others as asked.
        const startsIn = Math.max(0, Number(r.terms.validFrom) - Math.floor(Date.now() / 1000)) / 3600;
        const proposed: TermsInput = terms[key] ?? { ...defaultTerms, read: (r.terms.permissions & 1) !== 0, write: (r.terms.permissions & 2) !== 0, purpose: r.purpose ?? Purpose.Treatment,
          scope: r.terms.scopeKind === ScopeKind.Category ? categoryName(r.terms.scopeValue) : r.terms.scopeKind === ScopeKind.Record ? 'record' : 'all',
          recordId: r.terms.scopeKind === ScopeKind.Record ? r.terms.scopeValue : undefined,
          startsIn: Number(startsIn.toFixed(4)), endsAt: Number(r.terms.validUntil),
          hours: Number(((Number(r.terms.validUntil) - Math.max(Number(r.terms.validFrom), Math.floor(Date.now() / 1000))) / 3600).toFixed(4)) };
        return (
          <li key={key} data-testid="request">
            <p>Request #{key} from <ProviderName origin={session.config.origin} address={r.provider} /> for {scopeText(r.terms.scopeKind, r.terms.scopeValue)}, {permText(r.terms.permissions)}, {purposeText(r.purpose)} — asked {when(Number(r.createdAt))}</p>
            <TermsFields prefix={`req-${key}`} value={proposed} onChange={(v) => setTerms({ ...terms, [key]: v })} />
            <FinalTerms session={session} input={proposed} grantee={r.provider} verb="Approving grants" purposeAsked={terms[key] === undefined && !r.purpose ? 'the purpose asked (not readable without the gateway)' : undefined} />
            <div className="row">
              <ActionButton label="Approve" kind="primary" done="Approved" run={async () => {
                // Approved as asked: the request's own purpose tag and window (a category scope still
                // becomes the patient's blinded one). Amended: the terms are blinded afresh.
                const t: GrantTerms = terms[key] === undefined
                  ? await withBlindedScope(session.gateway, session.address, { ...r.terms })
                  : await blindTerms(session.gateway, session.address, termsOf(proposed, r.provider));
                if (via === 'relay') await grantByRelay(session, t, r.id);
                else await sendTx(session, { address: addresses.consent, abi: ConsentAbi, functionName: 'approveRequest', args: [r.id, t] });
                if (t.validFrom === 0n) await shareWithGrantee(session, t);
                await refresh();
              }} />
              <ActionButton label="Reject" kind="danger" done="Rejected" run={async () => { await sendTx(session, { address: addresses.consent, abi: ConsentAbi, functionName: 'rejectRequest', args: [r.id] }); await refresh(); }} />
            </div>
          </li>
        );
      })}</ul>
    </>
  );
}
