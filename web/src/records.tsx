/**
 * Records in the browser: list (via the gateway), open a version (ciphertext + the reader's key
 * envelope from the gateway, decrypted here with the session's X25519 key; integrity checked
 * against the hash registered on chain, read over /rpc, not against the gateway's word), write a
 * new record or version (encrypt → upload ciphertext → register on chain → deposit envelopes).
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Address, Hex } from 'viem';
import { RecordRegistryAbi, recordCategory } from '../../src/sdk/contracts.ts';
import { writeRecordVersion } from '../../src/sdk/writeRecord.ts';
import { GatewayError, type AccessView } from '../../src/sdk/gateway.ts';
import { openVersion, type OpenedVersion } from './lib/openVersion.ts';
import { isRecordType } from '../../src/sdk/recordTypes.ts';
import { sendTx, type Session } from './lib/session.tsx';
import { RECORD_TYPES, buildResource, fileToBase64, validateFields, type RecordFields, type RecordType } from './lib/fhir.ts';
import { ActionButton, Countdown, Empty, ErrorNote, Field, Loading, when } from './ui.tsx';
import { ResourceView, resourceTitle } from './resourceView.tsx';
import { ObservationCharts } from './observationChart.tsx';
import { ProviderName } from './names.tsx';

/** Category hashes people can read: the forms' types, the patient's own Patient resource, reports and documents. */
const KNOWN_TYPES = [...RECORD_TYPES, 'Patient', 'DiagnosticReport', 'DocumentReference', 'MedicationStatement', 'Procedure'];
const CATEGORY_LABELS: Record<string, string> = {
  Patient: 'Personal details', Observation: 'Observations', Condition: 'Conditions', MedicationRequest: 'Medications', AllergyIntolerance: 'Allergies',
  Immunization: 'Immunizations', Binary: 'Attachments', DiagnosticReport: 'Reports', DocumentReference: 'Documents', MedicationStatement: 'Medications taken', Procedure: 'Procedures',
};
// Legacy public hashes first; a patient's blinded categories are learnt from the gateway (listings carry `type`).
const CATEGORY_NAMES = new Map<string, string>(KNOWN_TYPES.map((t) => [recordCategory(t).toLowerCase(), t]));
/** Remembers categories the gateway mapped (blinded per patient, crypto/categoryKey.ts) so grants and records show their type. */
export function rememberCategories(entries: Array<{ category: Hex; type: string | null }>) {
  for (const e of entries) if (e.type) CATEGORY_NAMES.set(e.category.toLowerCase(), e.type);
}
const learnt = new Set<string>();
/** Once per patient: their blinded category of every known type (the patient's own session; their grants show types). */
async function learnOwnCategories(session: Session) {
  if (learnt.has(session.address)) return;
  const categories = await session.gateway.recordCategories(session.address, KNOWN_TYPES.filter(isRecordType));
  rememberCategories(Object.entries(categories).map(([type, category]) => ({ type, category })));
  learnt.add(session.address);
}
/** The resource type a category stands for ("Observation"), or a short hash for one this browser cannot map. */
export const categoryName = (category: Hex) => CATEGORY_NAMES.get(category.toLowerCase()) ?? `other (${category.slice(0, 10)}…)`;
/** The heading for a category in lists ("Observations", "Personal details"). */
export const categoryLabel = (category: Hex) => CATEGORY_LABELS[categoryName(category)] ?? categoryName(category);

export function GatewayUnavailable({ session, what }: { session: Session; what: string }) {
  if (session.gatewayStatus.ok) return null;
  return <p className="state error" role="alert">{what} need the gateway's API, which is not available: {session.gatewayStatus.error}.</p>;
}

function IntegrityBadge({ verified }: { verified: boolean | undefined }) {
  if (verified === true) return <span className="badge ok" data-testid="integrity">Integrity verified on chain</span>;
  if (verified === false) return <span className="badge bad" data-testid="integrity">Does not match the chain</span>;
  return <span className="badge warn">Not checked</span>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Decrypted data held only until `until` (the end of the reader's access window): a timer clears
 * it the second the window closes, so the screen stops showing data the reader may no longer read.
 */
function useExpiringState<T>(until: number | null | undefined): [T | undefined, (v: T | undefined) => void, boolean] {
  const [value, setValue] = useState<T | undefined>();
  const [expired, setExpired] = useState(false);
  const [recheck, setRecheck] = useState(0);
  useEffect(() => {
    if (value === undefined || until === null || until === undefined) return;
    const ms = until * 1000 - Date.now();
    if (ms <= 0) { setValue(undefined); setExpired(true); return; }
    // Timers hold a signed 32-bit delay (HTML §timers): a longer one (a 90-day grant) would fire at
    // once, so wait the longest allowed and look again.
    if (ms > MAX_TIMER_MS) {
      const timer = setTimeout(() => setRecheck((n) => n + 1), MAX_TIMER_MS);
      return () => clearTimeout(timer);
    }
    const timer = setTimeout(() => { setValue(undefined); setExpired(true); }, ms);
    return () => clearTimeout(timer);
  }, [value, until, recheck]);
  // A new access (a fresh grant, break-glass) replaces the "window ended" note.
  useEffect(() => { if (until && until * 1000 > Date.now()) setExpired(false); }, [until]);
  return [value, (v) => { setExpired(false); setValue(v); }, expired];
}

/**
 * One record, opened (decrypted, integrity checked) as soon as it is listed: its latest version is
 * shown for people, the raw FHIR JSON and the older versions one click away.
 */
const MAX_OPEN_RETRIES = 4;
/** Not found yet, conflict, gateway overloaded or unreachable: worth another try; a refusal is not. */
function mayBeTransient(error: unknown): boolean {
  if (!(error instanceof GatewayError)) return error instanceof TypeError; // fetch's network failure
  return error.status === 404 || error.status === 409 || error.status === 429 || error.status >= 500;
}

function RecordItem({ session, recordId, patient, canErase, onOpened, onCleared }: {
  session: Session; recordId: Hex; patient: Address; canErase: boolean; onOpened?: (o: OpenedVersion) => void; onCleared?: (recordId: Hex) => void;
}) {
  const queryClient = useQueryClient();
  const detail = useQuery({ queryKey: ['record', recordId], queryFn: () => session.gateway.getRecord(recordId) });
  const [opened, setOpened, expired] = useExpiringState<OpenedVersion>(detail.data?.access.until);
  const [error, setError] = useState<unknown>();
  const open = useCallback(async (version: number) => {
    setError(undefined);
    try {
      const o = await openVersion(session, recordId, version, patient, detail.data?.access.basis);
      setOpened(o); onOpened?.(o);
      // The audit trail names records by what they are ("your HbA1c (Observation)").
      queryClient.setQueryData(['record-title', recordId.toLowerCase()], { title: resourceTitle(o.resource), type: String(o.resource.resourceType) });
    } catch (e) { setError(e); }
  }, [session, recordId, patient, detail.data?.access.basis, setOpened, onOpened, queryClient]);
  // Opened again when a new version appears or the access changes (a new grant, break-glass).
  const autoOpened = useRef<string | undefined>(undefined);
  const latest = detail.data && !detail.data.erasedAt ? detail.data.latestVersion : undefined;
  // A record is listed once indexed, which can be before its writer has deposited the envelope
  // (a 404) or while the gateway is busy (5xx, network): such failures are tried again, a few times.
  const [retries, setRetries] = useState(0);
  const accessKey = `${latest}:${detail.data?.access.basis}:${detail.data?.access.until}:${retries}`;
  useEffect(() => {
    if (latest === undefined || autoOpened.current === accessKey) return;
    if (detail.data?.access.until && detail.data.access.until * 1000 <= Date.now()) return;
    autoOpened.current = accessKey;
    void open(latest);
  }, [latest, accessKey, open, detail.data?.access.until]);
  useEffect(() => {
    if (error === undefined || retries >= MAX_OPEN_RETRIES || !mayBeTransient(error)) return;
    const timer = setTimeout(() => setRetries((n) => n + 1), 1_000 * 2 ** retries);
    return () => clearTimeout(timer);
  }, [error, retries]);
  // Whatever was drawn from this record (the charts) goes when its decrypted data does.
  useEffect(() => { if (!opened) onCleared?.(recordId); }, [opened, onCleared, recordId]);
  if (detail.isPending) return <li><Loading what="record" /></li>;
  if (detail.error) return <li><ErrorNote error={detail.error} /></li>;
  const d = detail.data;
  return (
    <li className="record" data-testid="record">
      {opened ? <ResourceView resource={opened.resource} /> : !d.erasedAt && !expired && error === undefined ? <Loading what="and decrypting the record" /> : null}
      <div className="row muted small">
        <span>{categoryName(d.category)} · v{opened?.version ?? d.latestVersion} of {d.latestVersion} · added {when(d.createdAt)}</span>
        {opened ? <IntegrityBadge verified={opened.integrityVerified} /> : null}
        {opened?.viaEscrow ? <span className="badge warn" data-testid="via-escrow">opened by escrow release</span> : null}
        {d.erasedAt ? <span className="badge bad">erased {when(d.erasedAt)}</span> : null}
        {d.access.until ? <Countdown until={d.access.until} label="of access left" /> : null}
      </div>
      {error !== undefined ? <ErrorNote error={error} title="Could not open" /> : null}
      {expired ? <p className="state empty" role="status">Your access window ended; the decrypted data was cleared.</p> : null}
      {opened ? (
        <details className="raw">
          <summary>Raw FHIR JSON</summary>
          <pre className="record">{JSON.stringify(opened.resource, null, 2)}</pre>
        </details>
      ) : null}
      {!d.erasedAt && d.versions.length > 1 ? (
        <details>
          <summary>Version history ({d.versions.length})</summary>
          <ul>{[...d.versions].reverse().map((v) => (
            <li key={v.version}>v{v.version} by <ProviderName origin={session.config.origin} address={v.author} you={session.address} /> at {when(v.timestamp)}{' '}
              <button type="button" onClick={() => open(v.version)}>Show v{v.version}</button></li>
          ))}</ul>
        </details>
      ) : !d.erasedAt && d.versions[0] ? <p className="muted small">Written by <ProviderName origin={session.config.origin} address={d.versions[0].author} you={session.address} /></p> : null}
      {canErase && !d.erasedAt ? (
        <ActionButton label="Erase this record" kind="danger" done="Erased" run={async () => {
          if (!window.confirm('Erase this record? Its ciphertext and every key are destroyed; only a tombstone stays on chain.')) return;
          await sendTx(session, { address: session.config.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'eraseRecord', args: [recordId] });
          await session.gateway.erase(recordId);
          setOpened(undefined);
          await queryClient.invalidateQueries({ queryKey: ['record', recordId] });
        }} />
      ) : null}
    </li>
  );
}

/** A patient's records grouped by category, newest first within each. */
export function RecordList({ session, patient, canErase, onOpened, onBasis }: {
  session: Session; patient: Address; canErase: boolean; onOpened?: (o: OpenedVersion) => void; onBasis?: (basis: AccessView['basis']) => void;
}) {
  // One's own records are polled: the gateway lists what its chain indexer has seen, which can be a
  // block behind a save. (Another patient's list is not: once access ends it would only say so.)
  const own = patient.toLowerCase() === session.address.toLowerCase();
  const list = useQuery({ queryKey: ['records', patient], queryFn: async () => {
    const listed = await session.gateway.listRecords(patient);
    rememberCategories(listed.records);
    if (own) await learnOwnCategories(session).catch(() => undefined);
    return listed;
  }, enabled: session.gatewayStatus.ok, refetchInterval: own ? 10_000 : false });
  // What has been decrypted, for the charts of Observations over time.
  const [resources, setResources] = useState<Record<string, Record<string, unknown>>>({});
  useEffect(() => { setResources({}); }, [patient]);
  const opened = useCallback((o: OpenedVersion) => {
    setResources((r) => ({ ...r, [o.recordId]: o.resource }));
    onOpened?.(o);
  }, [onOpened]);
  const cleared = useCallback((id: Hex) => setResources((r) => {
    if (!(id in r)) return r;
    const { [id]: _gone, ...rest } = r;
    return rest;
  }), []);
  const basis = list.data?.records.some((r) => r.access.basis !== 'break-glass') ? 'grant' : list.data?.records[0]?.access.basis;
  useEffect(() => { if (basis) onBasis?.(basis); }, [basis, onBasis]);
  if (!session.gatewayStatus.ok) return <GatewayUnavailable session={session} what="Records" />;
  if (list.isPending) return <Loading what="records" />;
  if (list.error && !list.data) return <ErrorNote error={list.error} title="Could not list records" />;
  if (list.data.records.length === 0) return <Empty>{own ? 'No records yet.' : 'No records of this patient are open to you right now.'}</Empty>;
  const emergency = list.data.records.find((r) => r.access.basis === 'break-glass');
  const groups = new Map<string, typeof list.data.records>();
  for (const r of list.data.records) groups.set(categoryLabel(r.category), [...(groups.get(categoryLabel(r.category)) ?? []), r]);
  const live = new Set(list.data.records.map((r) => r.recordId));
  return (
    <div>
    {/* A failed refresh (e.g. access has ended) keeps the items, whose decrypted data clears itself. */}
    {list.error ? <ErrorNote error={list.error} title="Could not refresh the list" /> : null}
    {emergency ? (
      <p className="banner emergency" role="alert" data-testid="emergency-banner">
        <strong>Emergency access (break-glass).</strong> You read these records without the patient's consent; every read is logged and the patient is alerted.{' '}
        {emergency.access.until ? <Countdown until={emergency.access.until} label="of emergency access left" /> : null}
      </p>
    ) : null}
    <ObservationCharts resources={Object.entries(resources).filter(([id]) => live.has(id as Hex)).map(([, r]) => r)} />
    {[...groups].sort(([a], [b]) => (a === 'Personal details' ? -1 : b === 'Personal details' ? 1 : a.localeCompare(b))).map(([name, records]) => (
      <div key={name}><h3>{name} ({records.length})</h3>
        <ul className="records">{records.map((r) => <RecordItem key={r.recordId} session={session} recordId={r.recordId} patient={patient} canErase={canErase} onOpened={opened} onCleared={cleared} />)}</ul>
      </div>
    ))}
    </div>
  );
}

/** Adds a record (or a new version of one) for a patient: the form, encryption and the three writes. */
export function RecordForm({ session, patient }: { session: Session; patient: Address }) {
  const queryClient = useQueryClient();
  const [type, setType] = useState<RecordType>('Observation');
  const [state, setState] = useState<{ busy?: string; error?: unknown; done?: string }>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const f = new FormData(event.target as HTMLFormElement);
    try {
      setState({ busy: 'encrypting' });
      const file = f.get('file');
      const fields: RecordFields = {
        type, code: String(f.get('code') ?? ''), detail: String(f.get('detail') ?? ''), unit: String(f.get('unit') ?? ''), date: String(f.get('date') ?? ''), note: String(f.get('note') ?? ''),
        attachment: file instanceof File && file.size > 0 ? { contentType: file.type || 'application/octet-stream', data: await fileToBase64(file), title: file.name } : undefined,
      };
      if (fields.attachment && file instanceof File && file.size > 5 * 2 ** 20) throw new Error('attachments are limited to 5 MiB here');
      validateFields(fields);
      const updateOf = String(f.get('recordId') ?? '').trim();
      if (updateOf && !/^0x[0-9a-fA-F]{64}$/.test(updateOf)) throw new Error('the record id to update is a 0x-prefixed 32-byte hex value');
      // The SDK's write flow: seal here, upload, register on chain, deposit envelopes and the
      // break-glass escrow shares (k-of-n among the custodians the gateway names, if any).
      const saved = await writeRecordVersion({
        gateway: session.gateway, client: session.config.client, addresses: session.config.addresses,
        author: { address: session.address, publicKey: session.encryption.publicKey }, patient, resourceType: type,
        plaintext: new TextEncoder().encode(JSON.stringify(buildResource(fields, patient))),
        recordId: updateOf ? updateOf as Hex : undefined,
        send: (call) => sendTx(session, call), onStep: (busy) => setState({ busy }),
      });
      setState({ done: `Saved ${type} ${saved.recordId} v${saved.version}${saved.escrow ? ` (emergency escrow: ${saved.escrow.threshold} of ${saved.escrow.custodians} custodians)` : ''}` });
      // The gateway lists what its chain indexer has seen, which can be a block behind the save:
      // ask again until the new record (or version) is listed, so it appears without a reload.
      for (let i = 0; i < 20; i++) {
        await queryClient.invalidateQueries({ queryKey: ['record', saved.recordId] });
        await queryClient.refetchQueries({ queryKey: ['records', patient] });
        const listed = queryClient.getQueryData<{ records: Array<{ recordId: Hex; latestVersion: number }> }>(['records', patient]);
        if (listed?.records.some((r) => r.recordId === saved.recordId && r.latestVersion >= saved.version)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } catch (error) { setState({ error }); }
  };
  const labels: Record<RecordType, [string, string]> = {
    Observation: ['Observation (e.g. HbA1c)', 'Value'], Condition: ['Condition', 'Details'], MedicationRequest: ['Medication', 'Dosage'],
    AllergyIntolerance: ['Substance', 'Reaction'], Immunization: ['Vaccine', 'Lot number'], Binary: ['Title', 'Description'],
  };
  return (
    <form onSubmit={submit}>
      <Field label="Record type">
        <select value={type} onChange={(e) => setType(e.target.value as RecordType)}>{RECORD_TYPES.map((t) => <option key={t} value={t}>{t === 'Binary' ? 'File attachment' : t}</option>)}</select>
      </Field>
      {type !== 'Binary' ? (
        <>
          <Field label={labels[type][0]}><input name="code" required /></Field>
          <Field label={labels[type][1]}><input name="detail" required={type === 'Observation'} /></Field>
          {type === 'Observation' ? <Field label="Unit"><input name="unit" /></Field> : null}
          <Field label="Date"><input name="date" type="date" required defaultValue={new Date().toISOString().slice(0, 10)} /></Field>
          <Field label="Note"><textarea name="note" rows={2} /></Field>
        </>
      ) : <Field label="File"><input name="file" type="file" required /></Field>}
      <Field label="Record id to update (blank for a new record)"><input name="recordId" spellCheck={false} /></Field>
      <button type="submit" className="primary" disabled={!!state.busy || !session.gatewayStatus.ok}>Encrypt and save</button>
      <p aria-live="polite">{state.busy ? <span className="muted">{state.busy}…</span> : state.done ? <span className="ok">{state.done}</span> : null}</p>
      {state.error !== undefined ? <ErrorNote error={state.error} title="Not saved" /> : null}
      <GatewayUnavailable session={session} what="Saving records" />
    </form>
  );
}
