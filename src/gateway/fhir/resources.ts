/**
 * What the gateway needs to know about a clinical FHIR resource without storing it in the clear:
 * the types it serves, whose record a resource is, its codes (for blind-index search tokens) and
 * its clinical date (for `date` search, applied after decryption), and the mapping between FHIR
 * ids and on-chain record ids.
 */
import { getAddress, isAddress, type Address, type Hex } from 'viem';

export const CLINICAL_TYPES = [
  'Patient', 'Observation', 'Condition', 'DiagnosticReport', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'DocumentReference', 'Binary',
] as const;
export type ClinicalType = (typeof CLINICAL_TYPES)[number];
export const isClinicalType = (t: string): t is ClinicalType => (CLINICAL_TYPES as readonly string[]).includes(t);

/** Patients are Ethereum accounts; this identifier system names them in FHIR. */
export const ADDRESS_SYSTEM = 'urn:ethereum:address';

type Json = Record<string, unknown>;
type Coding = { system?: string; code?: string };

/** FHIR ids are limited to 64 characters: a record id is its 32 bytes in hex without the 0x. */
export const fhirIdOf = (recordId: Hex): string => recordId.slice(2).toLowerCase();
export function recordIdOf(fhirId: string): Hex | undefined {
  return /^[0-9a-fA-F]{64}$/.test(fhirId) ? (`0x${fhirId.toLowerCase()}` as Hex) : undefined;
}

/**
 * One identity for a patient in FHIR: the Patient resource's id is the patient's account address
 * (lower case, `0x…`; a valid FHIR id), so `Observation.subject = Patient/0x…`, `?patient=Patient/0x…`,
 * `GET /fhir/Patient/0x…` and `Patient/0x…/$everything` all name the same thing. Other resources
 * are known by their record id.
 */
export const resourceIdOf = (type: string, recordId: Hex, patient: Address): string => (type === 'Patient' ? patient.toLowerCase() : fhirIdOf(recordId));

/** `Patient/0x…`, `0x…` or `urn:ethereum:address|0x…` to a checksummed address. */
export function addressFromReference(value: string | undefined): Address | undefined {
  if (!value) return undefined;
  const raw = value.replace(/^urn:ethereum:address\|/, '').replace(/^Patient\//, '');
  return isAddress(raw) ? getAddress(raw) : undefined;
}

/** Whose record this is: the subject/patient reference, Binary's securityContext, or a Patient's own address identifier. */
export function patientOf(resource: Json): Address | undefined {
  if (resource.resourceType === 'Patient') {
    const ids = (resource.identifier as Array<{ system?: string; value?: string }> | undefined) ?? [];
    return addressFromReference(ids.find((i) => i.system === ADDRESS_SYSTEM)?.value);
  }
  for (const field of ['subject', 'patient', 'securityContext']) {
    const ref = (resource[field] as { reference?: string } | undefined)?.reference;
    if (ref) return addressFromReference(ref);
  }
  return undefined;
}

/** Every coding of the fields search by `code` looks at (and `category`). */
export function codingsOf(resource: Json): Array<{ system: string; code: string }> {
  const out: Array<{ system: string; code: string }> = [];
  const concepts: unknown[] = [];
  for (const field of ['code', 'vaccineCode', 'medicationCodeableConcept', 'type', 'category']) {
    const v = resource[field];
    if (Array.isArray(v)) concepts.push(...v); else if (v) concepts.push(v);
  }
  for (const concept of concepts) {
    for (const c of ((concept as { coding?: Coding[] }).coding ?? [])) {
      if (c.code) out.push({ system: c.system ?? '', code: c.code });
    }
  }
  return out;
}

/** Whether a resource has a coding matching a `code` search value (`system|code`, `|code` or `code`). */
export function hasCode(resource: Json, value: string): boolean {
  const [system, code] = value.includes('|') ? value.split('|', 2) as [string, string] : [undefined, value];
  return codingsOf(resource).some((c) => c.code === code && (system === undefined || c.system === system));
}

/** The resource's clinical date (when it happened, not when it was stored). */
export function clinicalDateOf(resource: Json): string | undefined {
  for (const field of ['effectiveDateTime', 'effectiveInstant', 'issued', 'onsetDateTime', 'recordedDate', 'authoredOn', 'occurrenceDateTime', 'date', 'birthDate']) {
    if (typeof resource[field] === 'string') return resource[field] as string;
  }
  const period = (resource.effectivePeriod ?? resource.onsetPeriod) as { start?: string } | undefined;
  return period?.start;
}

const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le'] as const;

/** A FHIR `date` search value (`ge2024-01-01`, `2024`, …), checked for shape. */
export function parseDateSearch(value: string): { prefix: (typeof DATE_PREFIXES)[number]; value: string } | undefined {
  const prefix = DATE_PREFIXES.find((p) => value.startsWith(p)) ?? 'eq';
  const rest = DATE_PREFIXES.some((p) => value.startsWith(p)) ? value.slice(2) : value;
  if (!/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(rest)) return undefined;
  return { prefix, value: rest };
}

/**
 * Compares at the search value's precision: `2024-03` equals any date in March 2024. Good enough
 * for dates and date-times written the usual ISO way; time zones are compared as written.
 */
export function matchesDate(date: string | undefined, search: { prefix: string; value: string }): boolean {
  if (!date) return false;
  const a = date.slice(0, search.value.length);
  const b = search.value;
  switch (search.prefix) {
    case 'ne': return a !== b;
    case 'gt': return a > b;
    case 'lt': return a < b;
    case 'ge': return a >= b;
    case 'le': return a <= b;
    default: return a === b;
  }
}
