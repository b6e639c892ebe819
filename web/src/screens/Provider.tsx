/**
 * Provider: patients under care (live grants as grantee), access requests, reading within the
 * window (decrypted data is cleared by a timer when the access ends), adding or updating records,
 * break-glass with a stated reason (only its hash goes on chain), MedToken balance and score.
 */
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { formatUnits, getAddress, isAddress, type Address } from 'viem';
import { ConsentAbi, EMERGENCY_REASONS, EmergencyReason, IncentivesAbi, MedTokenAbi, ProviderStatus, Role, type EmergencyReasonCode } from '../../../src/sdk/contracts.ts';
import { withPurposeTag } from '../../../src/sdk/blindScope.ts';
import { openBreakGlass } from '../../../src/sdk/actions/breakGlass.ts';
import { useAccountInfo } from '../lib/accountInfo.ts';
import { sendTx, useSession, type Session } from '../lib/session.tsx';
import { TermsFields, defaultTerms, termsOf } from '../consent.tsx';
import { GrantsToMe, MyPatients } from '../careLists.tsx';
import { RecordForm, RecordList } from '../records.tsx';
import { ResearcherStudies } from '../studies.tsx';
import { ActionButton, Addr, Empty, ErrorNote, Field, Loading, Section } from '../ui.tsx';

function Earnings({ session }: { session: Session }) {
  const { client, addresses } = session.config;
  const q = useQuery({
    queryKey: ['earnings', session.address],
    queryFn: async () => {
      const [balance, score, validators] = await Promise.all([
        client.readContract({ address: addresses.token, abi: MedTokenAbi, functionName: 'balanceOf', args: [session.address] }),
        client.readContract({ address: addresses.incentives, abi: IncentivesAbi, functionName: 'contributionScore', args: [session.address] }),
        client.readContract({ address: addresses.incentives, abi: IncentivesAbi, functionName: 'getValidators' }),
      ]);
      return { balance, score, validator: validators.some((v) => v.toLowerCase() === session.address.toLowerCase()) };
    },
    refetchInterval: 10_000,
  });
  if (q.isPending) return <Loading what="balance" />;
  if (q.error) return <ErrorNote error={q.error} />;
  return (
    <dl className="facts">
      <dt>MedToken balance</dt><dd data-testid="med-balance">{formatUnits(q.data.balance, 18)} MED</dd>
      <dt>Contribution score</dt><dd>{String(q.data.score)}</dd>
      <dt>Validator</dt><dd>{q.data.validator ? 'yes — run a QBFT node with this key' : 'no'}</dd>
    </dl>
  );
}

/** Opens any patient's records by address (e.g. under break-glass access); the gateway decides. */
function OpenByAddress({ onPick }: { onPick: (p: Address) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  return (
    <form className="inline" onSubmit={(e) => {
      e.preventDefault();
      if (!isAddress(value.trim(), { strict: false })) { setError('enter a 0x-prefixed 20-byte address'); return; }
      setError(undefined); onPick(getAddress(value.trim()));
    }}>
      <Field label="Open a patient's records by address"><input value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} /></Field>
      <button type="submit">Open</button>
      {error ? <p className="state error" role="alert">{error}</p> : null}
    </form>
  );
}

function RequestAccess({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const [patient, setPatient] = useState('');
  const [terms, setTerms] = useState(defaultTerms);
  return (
    <div>
      <Field label="Patient address"><input value={patient} onChange={(e) => setPatient(e.target.value)} spellCheck={false} /></Field>
      <TermsFields prefix="request" value={terms} onChange={setTerms} />
      <ActionButton label="Send request" kind="primary" done="Requested; the patient decides" run={async () => {
        if (!isAddress(patient.trim(), { strict: false })) throw new Error('enter the patient as a 0x-prefixed 20-byte address');
        const p = getAddress(patient.trim());
        // The purpose goes on chain as the patient's tag for us (the gateway gives a grantee its own tags).
        const t = await withPurposeTag(session.gateway, p, termsOf(terms, session.address));
        await sendTx(session, { address: session.config.addresses.consent, abi: ConsentAbi, functionName: 'requestAccess', args: [p, t] });
        await queryClient.invalidateQueries({ queryKey: ['requests'] });
      }} />
    </div>
  );
}

function BreakGlass({ session, onOpened }: { session: Session; onOpened: (p: Address) => void }) {
  const [patient, setPatient] = useState('');
  const [reason, setReason] = useState<EmergencyReasonCode>(EmergencyReason.Unconscious);
  const [text, setText] = useState('');
  return (
    <div>
      <p>Opens read-only access for the break-glass period. Every opening is visible to the patient and to auditors; misuse leads to suspension.</p>
      <Field label="Patient address"><input value={patient} onChange={(e) => setPatient(e.target.value)} spellCheck={false} /></Field>
      <Field label="Reason">
        <select value={reason} onChange={(e) => setReason(e.target.value as EmergencyReasonCode)}>{EMERGENCY_REASONS.map((k) => <option key={k} value={k}>{k}</option>)}</select>
      </Field>
      <Field label="Stated reason (sealed to the patient and auditors; a salted commitment goes on chain)"><textarea rows={2} value={text} onChange={(e) => setText(e.target.value)} /></Field>
      <ActionButton label="Open emergency access" kind="danger" done="Emergency access open" run={async () => {
        if (!isAddress(patient.trim(), { strict: false })) throw new Error('enter the patient as a 0x-prefixed 20-byte address');
        if (text.trim().length < 10) throw new Error('state the reason in at least 10 characters');
        if (!window.confirm('Open emergency access? This is audited and the patient is alerted.')) return;
        const p = getAddress(patient.trim());
        const { client, addresses } = session.config;
        await openBreakGlass({
          gateway: session.gateway, client, addresses, patient: p, provider: { address: session.address, publicKey: session.encryption.publicKey },
          code: reason, reason: text, send: (call) => sendTx(session, call as never),
        });
        onOpened(p);
      }} />
    </div>
  );
}

export function ProviderScreen() {
  const session = useSession();
  const info = useAccountInfo(session);
  const [open, setOpen] = useState<{ patient: Address; basis?: 'grant' | 'break-glass' } | undefined>();
  const patient = open?.patient;
  const setPatient = (p: Address | undefined, basis?: 'grant' | 'break-glass') => setOpen(p ? { patient: p, basis } : undefined);
  const queryClient = useQueryClient();
  // Break-glass changes the basis of access to the patient's records: read them again.
  const openedEmergency = (p: Address) => {
    setPatient(p, 'break-glass');
    void queryClient.invalidateQueries({ predicate: (q) => ['records', 'record'].includes(String(q.queryKey[0])) });
  };
  if (info.isPending) return <Loading what="your role" />;
  if (info.error) return <ErrorNote error={info.error} />;
  if (info.data.role !== Role.Provider) return <main className="screen"><Empty>This account is not a provider. Apply above; an admin accredits you.</Empty></main>;
  const active = info.data.providerStatus === ProviderStatus.Active;
  return (
    <main className="screen">
      {!active ? <p className="state error" role="alert">Your provider account is {info.data.providerStatus === ProviderStatus.Pending ? 'waiting for accreditation' : 'suspended'}: grants and emergency access do not work until an admin {info.data.providerStatus === ProviderStatus.Pending ? 'accredits' : 'reinstates'} you.</p> : null}
      <Section title="My MedToken"><Earnings session={session} /></Section>
      <Section title="My patients">
        <OpenByAddress onPick={(p) => setPatient(p)} />
        <MyPatients session={session} onPick={setPatient} />
      </Section>
      {patient ? (
        <Section title="Patient records">
          <p>Records of <Addr value={patient} />; data disappears from this screen when your access ends. <button type="button" onClick={() => setPatient(undefined)}>Close</button></p>
          <RecordList session={session} patient={patient} canErase={false} onBasis={(basis) => { if (basis !== open?.basis) setOpen({ patient, basis: basis === 'break-glass' ? 'break-glass' : 'grant' }); }} />
          {/* Break-glass is read-only (Consent: emergency access never grants write). */}
          {open?.basis === 'break-glass' ? null : (
            <>
              <h3>Add or update a record</h3>
              <RecordForm session={session} patient={patient} />
            </>
          )}
        </Section>
      ) : null}
      <Section title="Grants to me"><GrantsToMe session={session} /></Section>
      <Section title="Request access"><RequestAccess session={session} /></Section>
      <Section title="Break-glass"><BreakGlass session={session} onOpened={openedEmergency} /></Section>
      <Section title="My research studies"><ResearcherStudies session={session} /></Section>
    </main>
  );
}
