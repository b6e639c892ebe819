/**
 * Patient: records decrypted in the browser (version history, integrity badge, erase), export as
 * a FHIR Bundle built here from decrypted records (the SDK's exportRecords), grants on a timeline, direct grants, requests
 * waiting for approval, emergency-access alerts (the SDK's listEmergencyAccesses + the live event
 * feed) and the audit trail.
 */
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Address, Hex } from 'viem';
import { ConsentAbi, EMERGENCY_REASONS, Role } from '../../../src/sdk/contracts.ts';
import { blindTerms } from '../../../src/sdk/blindScope.ts';
import { closeBreakGlass } from '../../../src/sdk/actions/breakGlass.ts';
import { allowEmergencyReopen } from '../../../src/sdk/actions/allowEmergencyReopen.ts';
import { listEmergencyAccesses } from '../../../src/sdk/actions/listEmergencyAccesses.ts';
import { exportRecords } from '../../../src/sdk/actions/exportRecords.ts';
import type { LogEntry } from '../../../src/sdk/auditProof.ts';
import { GatewayError } from '../../../src/sdk/errors.ts';
import { proveAuditEntry } from '../../../src/sdk/actions/proveAuditEntry.ts';
import { useAccountInfo } from '../lib/accountInfo.ts';
import { subscribeEvents } from '../lib/events.ts';
import { sendTx, useSession, type Session } from '../lib/session.tsx';
import { PatientStudies } from '../studies.tsx';
import { FinalTerms, GrantTimeline, Requests, TermsFields, defaultTerms, grantByRelay, shareWithGrantee, termsOf } from '../consent.tsx';
import { ProviderPicker } from '../providerPicker.tsx';
import { ProviderName } from '../names.tsx';
import { auditPurpose, auditVerb, denialText, groupAudit } from '../auditText.ts';
import { GatewayUnavailable, RecordForm, RecordList } from '../records.tsx';
import { ActionButton, Countdown, Empty, ErrorNote, Field, Loading, Section, when } from '../ui.tsx';

const REASONS = EMERGENCY_REASONS;

function ExportData({ session }: { session: Session }) {
  return (
    <ActionButton label="Export my data (FHIR Bundle)" done="Downloaded" disabled={!session.gatewayStatus.ok} run={async () => {
      const { bundle } = await exportRecords({
        gateway: session.gateway, client: session.config.client, addresses: session.config.addresses, patient: session.address, privateKeys: [session.encryption.privateKey],
      });
      const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/fhir+json' }));
      Object.assign(document.createElement('a'), { href: url, download: 'medchain-export.json' }).click();
      URL.revokeObjectURL(url);
    }} />
  );
}

function GrantAccess({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const [grantee, setGrantee] = useState<Address | undefined>();
  const [terms, setTerms] = useState(defaultTerms);
  const [via, setVia] = useState<'relay' | 'tx'>(session.gatewayStatus.ok ? 'relay' : 'tx');
  return (
    <div>
      <ProviderPicker session={session} value={grantee} onChange={setGrantee} />
      <TermsFields prefix="grant" value={terms} onChange={setTerms} />
      <Field label="Grant by">
        <select value={via} onChange={(e) => setVia(e.target.value as 'relay' | 'tx')}>
          <option value="relay" disabled={!session.gatewayStatus.ok}>Signature relayed by the hospital (free)</option>
          <option value="tx">My own transaction</option>
        </select>
      </Field>
      <FinalTerms session={session} input={terms} grantee={grantee} />
      <ActionButton label="Grant access" kind="primary" done="Granted" run={async () => {
        if (!grantee) throw new Error('choose a provider first: search by name above');
        // The form names a type and a purpose; on chain they are this patient's blinded category and purpose tag.
        const t = await blindTerms(session.gateway, session.address, termsOf(terms, grantee));
        if (via === 'relay') await grantByRelay(session, t);
        else await sendTx(session, { address: session.config.addresses.consent, abi: ConsentAbi, functionName: 'grant', args: [t] });
        if (t.validFrom === 0n) await shareWithGrantee(session, t);
        await queryClient.invalidateQueries({ queryKey: ['grants'] });
      }} />
    </div>
  );
}

function Emergencies({ session }: { session: Session }) {
  const { client, addresses } = session.config;
  const queryClient = useQueryClient();
  const [feed, setFeed] = useState<{ state: 'live' | 'off' | 'error'; last?: string }>({ state: 'off' });
  const q = useQuery({
    queryKey: ['emergencies', session.address],
    // From the gateway's list when signed in, else from the chain's own events (still authoritative).
    queryFn: () => listEmergencyAccesses({ client, addresses, patient: session.address, gateway: session.gatewayStatus.ok ? session.gateway : undefined }),
    refetchInterval: 15_000,
  });
  const latestOf = (provider: string) => Math.max(...(q.data?.rows ?? []).filter((r) => r.provider === provider).map((r) => r.accessId));
  const token = session.token();
  useEffect(() => {
    if (!token) return;
    return subscribeEvents(session.config.origin, token, (e) => {
      setFeed({ state: 'live', last: e.event });
      if (/Emergency/.test(e.event)) void queryClient.invalidateQueries({ queryKey: ['emergencies'] });
      if (/Grant|Request/.test(e.event)) void queryClient.invalidateQueries({ predicate: (x) => ['grants', 'requests'].includes(String(x.queryKey[0])) });
    }, () => setFeed({ state: 'error' }));
  }, [token, session.config.origin, queryClient]);
  return (
    <>
      <p className="muted" aria-live="polite">Live feed: {feed.state === 'live' ? `connected${feed.last ? ` (last: ${feed.last})` : ''}` : feed.state === 'error' ? 'reconnecting…' : token ? 'connecting…' : 'off (gateway not signed in); refreshed every 15 s'}</p>
      {q.isPending ? <Loading what="emergency accesses" /> : q.error ? <ErrorNote error={q.error} /> : q.data.rows.length === 0 ? <Empty>Nobody has opened emergency access to your records.</Empty> : (
        <ul className="events">{q.data.rows.map((e) => (
          <li key={e.accessId} className={e.live ? 'alert' : ''} role={e.live ? 'alert' : undefined}>
            <strong>{e.live ? 'LIVE emergency access' : 'Emergency access'}</strong> by <ProviderName origin={session.config.origin} address={e.provider} />,{' '}
            {e.live ? <Countdown until={e.until} /> : <span data-testid="emergency-end">{e.closedAt
              ? `closed ${when(e.closedAt)}${e.closedBy ? ` by ${e.closedBy.toLowerCase() === session.address.toLowerCase() ? 'you' : 'the provider'}` : ''}`
              : `ended ${when(e.until)}`}</span>}
            {e.live ? <ActionButton label="Close it now" kind="danger" done="Closed" run={async () => {
              await closeBreakGlass({ addresses, patient: session.address, provider: e.provider as Hex, send: (call) => sendTx(session, call as never) });
              await queryClient.invalidateQueries({ queryKey: ['emergencies'] });
            }} /> : null}
            {!e.live && e.barred && e.accessId === latestOf(e.provider) ? <span data-testid="emergency-barred"> — you closed it: this provider cannot open emergency access to your records again until you allow it
              <ActionButton label="Allow again" done="Allowed" run={async () => {
                await allowEmergencyReopen({ addresses, patient: session.address, provider: e.provider as Hex, send: (call) => sendTx(session, call) });
                await queryClient.invalidateQueries({ queryKey: ['emergencies'] });
              }} /></span> : null}
          </li>
        ))}</ul>
      )}
      <p className="muted">The provider's coded reason ({REASONS.join(', ').toLowerCase()}) and stated reason are sealed to you and the auditors; the chain holds only a salted commitment to them.</p>
    </>
  );
}

/**
 * The access log about the patient (the SDK's gateway.audit) with a per-entry "verify on chain": the
 * gateway's RFC 6962 inclusion proof is checked here against the root and size anchored on chain
 * (the SDK's proveAuditEntry, reading over /rpc), so the patient need not trust the gateway's word.
 */
function AuditTrail({ session }: { session: Session }) {
  const signedIn = session.gateway.signedIn;
  const queryClient = useQueryClient();
  // Record titles arrive as the records are decrypted: draw the sentences again when one does.
  const [, setTitles] = useState(0);
  useEffect(() => queryClient.getQueryCache().subscribe((e) => {
    if (e.type === 'updated' && e.query.queryKey[0] === 'record-title') setTitles((n) => n + 1);
  }), [queryClient]);
  const [checks, setChecks] = useState<Record<number, { ok: boolean; text: string }>>({});
  const q = useQuery({
    queryKey: ['audit', session.address],
    enabled: signedIn,
    queryFn: async (): Promise<{ available: false } | { available: true; entries: LogEntry[] }> => {
      try {
        return { available: true, entries: (await session.gateway.audit({ patient: session.address })).entries };
      } catch (error) {
        if (error instanceof GatewayError && error.status === 404) return { available: false };
        throw error;
      }
    },
    refetchInterval: 15_000,
  });
  const verify = async (entry: LogEntry) => {
    let proven;
    try {
      proven = await proveAuditEntry({ gateway: session.gateway, client: session.config.client, addresses: session.config.addresses, seq: entry.seq, expected: entry });
    } catch (error) {
      if (error instanceof GatewayError && error.status === 404) return setChecks((c) => ({ ...c, [entry.seq]: { ok: false, text: 'not anchored yet: its period closes and is anchored shortly' } }));
      throw error;
    }
    const { proof, verified, anchored } = proven;
    setChecks((c) => ({ ...c, [entry.seq]: verified
      ? { ok: true, text: `proven in period ${proof.periodId}, anchored on chain by ${proof.gateway.slice(0, 10)}…` }
      : { ok: false, text: !anchored ? 'the period is not anchored on chain yet' : 'the proof does NOT match the root anchored on chain' } }));
  };
  if (!signedIn) return <GatewayUnavailable session={session} what="The audit trail and its on-chain verification" />;
  if (q.isPending) return <Loading what="audit trail" />;
  if (q.error) return <ErrorNote error={q.error} />;
  if (!q.data.available) return <Empty>This gateway does not serve the audit trail (GET /api/audit answered 404). The gateway still logs every access.</Empty>;
  if (q.data.entries.length === 0) return <Empty>Nobody has accessed your records.</Empty>;
  const title = (recordId?: string | null) => {
    if (!recordId) return 'your records';
    const known = queryClient.getQueryData<{ title: string; type: string }>(['record-title', recordId.toLowerCase()]);
    return known ? `your ${known.title} (${known.type})` : 'one of your records';
  };
  return (
    <ol className="audit-cards">{groupAudit(q.data.entries).map((event) => {
      const e = event.first;
      const seq = event.entries[event.entries.length - 1]!.seq;
      const you = e.actor.toLowerCase() === session.address.toLowerCase();
      // An escrow release says "emergency" in its verb already.
      const purpose = you || e.outcome === 'denied' || event.entries.some((x) => x.action === 'escrow-release') ? '' : auditPurpose(e.purpose);
      const check = checks[seq];
      return (
        <li key={e.seq} className={`audit-card ${e.outcome}`} data-testid="audit-entry">
          <p className="sentence">
            {you ? 'You' : <ProviderName origin={session.config.origin} address={e.actor} />} {auditVerb(event, title(e.recordId))}{purpose ? ` ${purpose}` : ''}
            {' — '}<strong className={e.outcome === 'allowed' ? 'ok' : 'error'}>{e.outcome === 'allowed' ? 'allowed' : `refused: ${denialText(e.reason)}`}</strong>
          </p>
          <p className="muted small">{when(e.time)}{event.entries.length > 1 ? ` · ${event.entries.length} log entries` : ''}</p>
          <div data-testid="audit-check">{check ? <span className={check.ok ? 'badge ok' : 'badge warn'}>{check.text}</span> : null}
            {check?.ok ? null : <ActionButton label={check ? 'Check again' : 'Verify on chain'} run={() => verify(event.entries[event.entries.length - 1]!)} />}</div>
        </li>
      );
    })}</ol>
  );
}

export function PatientScreen() {
  const session = useSession();
  const info = useAccountInfo(session);
  if (info.isPending) return <Loading what="your role" />;
  if (info.error) return <ErrorNote error={info.error} />;
  if (info.data.role !== Role.Patient) return <main className="screen"><Empty>This account is not registered as a patient; register above to keep records.</Empty></main>;
  return (
    <main className="screen">
      <Section title="Emergency-access alerts"><Emergencies session={session} /></Section>
      <Section title="Requests waiting for you"><Requests session={session} /></Section>
      <Section title="My records">
        <ExportData session={session} />
        <RecordList session={session} patient={session.address} canErase />
      </Section>
      <Section title="My grants"><GrantTimeline session={session} side="patient" who={session.address} /></Section>
      <Section title="Grant a provider access"><GrantAccess session={session} /></Section>
      <Section title="Add a record of my own"><RecordForm session={session} patient={session.address} /></Section>
      <Section title="Research studies"><PatientStudies session={session} /></Section>
      <Section title="Who accessed what"><AuditTrail session={session} /></Section>
    </main>
  );
}
