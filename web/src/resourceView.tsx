/**
 * A decrypted FHIR R4 resource rendered for people: an Observation's value, unit and reference
 * range; a Condition's status and onset; medications, allergies, immunizations, reports, the
 * patient's own details; attachments previewed (images, PDFs) and offered for download. Unknown shapes
 * fall back to the raw JSON, which is always one click away.
 */
// React's automatic JSX runtime, named for Node: tsx applies a tsconfig only to the files it
// includes, and web/ is outside the root one, so test/browser/ui.render.test.ts could not render
// this file without these pragmas (esbuild reads them from line comments). Vite compiles it alike.
// @jsxRuntime automatic
// @jsxImportSource react
import { Fragment, useEffect, useMemo, useState, type ReactNode } from 'react';

type R = Record<string, unknown>;
interface Coding { system?: string; code?: string; display?: string }
interface Codeable { text?: string; coding?: Coding[] }
interface Quantity { value?: number; unit?: string; code?: string; comparator?: string }

/** A CodeableConcept as people read it (§CodeableConcept: text, else the first display, else the code). */
export const codeText = (c: unknown): string => {
  const cc = c as Codeable | undefined;
  return cc?.text ?? cc?.coding?.find((x) => x.display)?.display ?? cc?.coding?.[0]?.code ?? '';
};
const quantity = (q: unknown) => {
  const v = q as Quantity | undefined;
  if (v?.value === undefined) return '';
  return `${v.comparator ?? ''}${v.value}${v.unit ?? v.code ? ` ${v.unit ?? v.code}` : ''}`;
};
const day = (s: unknown) => {
  if (typeof s !== 'string') return '';
  const t = Date.parse(s);
  if (Number.isNaN(t)) return s;
  return s.length <= 10 ? new Date(t).toLocaleDateString(undefined, { timeZone: 'UTC' }) : new Date(t).toLocaleString();
};
const statusOf = (c: unknown) => codeText(c) || (typeof c === 'string' ? c : '');

/** The Observation's main value as text (§Observation.value[x]). */
export function observationValue(o: R): string {
  if (o.valueQuantity) return quantity(o.valueQuantity);
  if (o.valueCodeableConcept) return codeText(o.valueCodeableConcept);
  if (o.valueString !== undefined) return String(o.valueString);
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'yes' : 'no';
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  const components = o.component as Array<R> | undefined;
  if (components?.length) return components.map((c) => `${codeText(c.code)} ${observationValue(c)}`).join(', ');
  return '';
}

/** "4.0–5.6 %" (§Observation.referenceRange: low, high, text). */
export function referenceRange(o: R): string {
  const range = (o.referenceRange as Array<{ low?: Quantity; high?: Quantity; text?: string }> | undefined)?.[0];
  if (!range) return '';
  if (range.low?.value !== undefined || range.high?.value !== undefined) {
    const unit = range.high?.unit ?? range.low?.unit ?? '';
    return `${range.low?.value ?? '…'}–${range.high?.value ?? '…'}${unit ? ` ${unit}` : ''}`;
  }
  return range.text ?? '';
}

/** Outside the reference range? (only for quantities with a numeric range) */
function flag(o: R): 'high' | 'low' | undefined {
  const v = (o.valueQuantity as Quantity | undefined)?.value;
  const range = (o.referenceRange as Array<{ low?: Quantity; high?: Quantity }> | undefined)?.[0];
  if (v === undefined || !range) return undefined;
  if (range.high?.value !== undefined && v > range.high.value) return 'high';
  if (range.low?.value !== undefined && v < range.low.value) return 'low';
  return undefined;
}

/** A title for lists and the audit trail: "HbA1c", "Asthma", "Ann Lee". */
export function resourceTitle(r: R): string {
  switch (r.resourceType) {
    case 'Observation': case 'Condition': case 'AllergyIntolerance': case 'DiagnosticReport': case 'Procedure': return codeText(r.code) || String(r.resourceType);
    case 'MedicationRequest': case 'MedicationStatement': return codeText(r.medicationCodeableConcept) || 'Medication';
    case 'Immunization': return codeText(r.vaccineCode) || 'Immunization';
    case 'Patient': return 'Your details';
    case 'Binary': return (r.meta as { tag?: Array<{ display?: string }> } | undefined)?.tag?.[0]?.display ?? 'Attachment';
    case 'DocumentReference': return String(r.description ?? codeText(r.type) ?? 'Document');
    default: return String(r.resourceType ?? 'Record');
  }
}

function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  const shown = rows.filter(([, v]) => v !== '' && v !== undefined && v !== null);
  return <dl className="facts resource">{shown.map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd>{v}</dd></Fragment>)}</dl>;
}

const notes = (r: R) => (r.note as Array<{ text?: string }> | undefined)?.map((n) => n.text).filter(Boolean).join(' ') ?? '';

const decode = (data: unknown): Uint8Array | undefined => {
  if (typeof data !== 'string' || data === '') return undefined;
  try { return Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0)); } catch { return undefined; }
};

/**
 * base64 → bytes → an object URL, for previews and downloads of attachments. Made in an effect and
 * revoked in its cleanup, so the decrypted bytes are released when the record leaves the screen
 * (access window ended, record closed) and StrictMode's re-mount gets a fresh URL, not a revoked one.
 */
function useObjectUrl(bytes: Uint8Array | undefined, type: string): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!bytes) { setUrl(undefined); return; }
    const made = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [bytes, type]);
  return url;
}

const PDF = 'application/pdf';
const isPdf = (type: string) => type.split(';')[0]!.trim().toLowerCase() === PDF;

function Attachment({ contentType, data, title }: { contentType: unknown; data: unknown; title: string }) {
  const type = String(contentType ?? '');
  const pdf = isPdf(type);
  const bytes = useMemo(() => decode(data), [data]);
  const hasData = bytes !== undefined;
  // A PDF's Blob is typed exactly application/pdf whatever the bytes are, so the browser can only
  // hand them to its PDF viewer, never render them as a page of this origin. The frame has no
  // sandbox attribute: Chromium refuses to run its PDF viewer in any sandboxed frame (it shows a
  // "blocked" page); the CSP admits blob: frames and no other (frame-src in src/gateway/http/app.ts).
  const url = useObjectUrl(bytes, pdf ? PDF : type || 'application/octet-stream');
  return (
    <div className="attachment">
      {/* Images are previewed from a data: URL (the page's CSP allows data: images). */}
      {type.startsWith('image/') && hasData ? <img src={`data:${type};base64,${String(data)}`} alt={title} className="preview" /> : null}
      {pdf && hasData ? <iframe src={url} title={`Preview of ${title}`} className="preview pdf" data-testid="pdf-preview" referrerPolicy="no-referrer" /> : null}
      {type.startsWith('text/') && typeof data === 'string' ? <pre className="record">{(() => { try { return atob(data).slice(0, 4000); } catch { return ''; } })()}</pre> : null}
      {hasData ? <a href={url} download={title} data-testid="attachment-download">Download {title} ({type || 'file'})</a> : <span className="muted">No content.</span>}
    </div>
  );
}

export function ResourceView({ resource: r }: { resource: R }) {
  switch (r.resourceType) {
    case 'Observation': {
      const f = flag(r);
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{codeText(r.code)}</strong>: <span className="value" data-testid="observation-value">{observationValue(r)}</span>
            {f ? <span className={`badge ${f === 'high' ? 'bad' : 'warn'}`}>{f}</span> : null}</p>
          <Facts rows={[['Reference range', referenceRange(r)], ['When', day(r.effectiveDateTime ?? (r.effectivePeriod as R | undefined)?.start ?? r.issued)],
            ['Kind', (r.category as unknown[] | undefined)?.map(codeText).join(', ')], ['Status', String(r.status ?? '')], ['Note', notes(r)]]} />
        </div>
      );
    }
    case 'Condition':
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{codeText(r.code)}</strong></p>
          <Facts rows={[['Status', statusOf(r.clinicalStatus)], ['Verification', statusOf(r.verificationStatus)], ['Since', day(r.onsetDateTime ?? (r.onsetPeriod as R | undefined)?.start ?? r.onsetString)],
            ['Resolved', day(r.abatementDateTime)], ['Note', notes(r)]]} />
        </div>
      );
    case 'MedicationRequest': case 'MedicationStatement':
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{codeText(r.medicationCodeableConcept) || 'Medication'}</strong></p>
          <Facts rows={[['How to take it', (r.dosageInstruction as Array<{ text?: string }> | undefined ?? r.dosage as Array<{ text?: string }> | undefined)?.map((d) => d.text).join('; ')],
            ['Status', String(r.status ?? '')], ['Prescribed', day(r.authoredOn ?? r.dateAsserted)], ['Note', notes(r)]]} />
        </div>
      );
    case 'AllergyIntolerance':
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{codeText(r.code)}</strong>{r.criticality === 'high' ? <span className="badge bad">high risk</span> : null}</p>
          <Facts rows={[['Reaction', (r.reaction as Array<{ manifestation?: unknown[] }> | undefined)?.flatMap((x) => (x.manifestation ?? []).map(codeText)).join(', ')],
            ['Status', statusOf(r.clinicalStatus)], ['Recorded', day(r.recordedDate)], ['Note', notes(r)]]} />
        </div>
      );
    case 'Immunization':
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{codeText(r.vaccineCode)}</strong></p>
          <Facts rows={[['Given', day(r.occurrenceDateTime)], ['Status', String(r.status ?? '')], ['Lot', String(r.lotNumber ?? '')], ['Note', notes(r)]]} />
        </div>
      );
    case 'DiagnosticReport':
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{codeText(r.code)}</strong></p>
          <Facts rows={[['Conclusion', String(r.conclusion ?? '')], ['When', day(r.effectiveDateTime ?? r.issued)], ['Status', String(r.status ?? '')],
            ['Results', `${(r.result as unknown[] | undefined)?.length ?? 0} linked`]]} />
          {(r.presentedForm as Array<{ contentType?: string; data?: string; title?: string }> | undefined)?.map((a, i) => <Attachment key={i} contentType={a.contentType} data={a.data} title={a.title ?? 'report'} />)}
        </div>
      );
    case 'Patient': {
      const name = (r.name as Array<{ text?: string; given?: string[]; family?: string }> | undefined)?.[0];
      const address = (r.address as Array<{ line?: string[]; city?: string; postalCode?: string; country?: string }> | undefined)?.[0];
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ')}</strong></p>
          <Facts rows={[['Born', day(r.birthDate)], ['Gender', String(r.gender ?? '')], ['Address', address ? [...(address.line ?? []), address.city, address.postalCode, address.country].filter(Boolean).join(', ') : ''],
            ['Phone', (r.telecom as Array<{ system?: string; value?: string }> | undefined)?.filter((t) => t.system === 'phone').map((t) => t.value).join(', ')]]} />
        </div>
      );
    }
    case 'Binary':
      return <div className="resource-view" data-testid="resource-view"><Attachment contentType={r.contentType} data={r.data} title={resourceTitle(r)} /></div>;
    case 'DocumentReference':
      return (
        <div className="resource-view" data-testid="resource-view">
          <p className="headline"><strong>{resourceTitle(r)}</strong></p>
          {(r.content as Array<{ attachment?: { contentType?: string; data?: string; title?: string } }> | undefined)?.map((c, i) => <Attachment key={i} contentType={c.attachment?.contentType} data={c.attachment?.data} title={c.attachment?.title ?? 'document'} />)}
        </div>
      );
    default:
      return <p className="muted">A {String(r.resourceType)} resource: see the raw FHIR JSON.</p>;
  }
}
