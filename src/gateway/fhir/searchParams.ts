/**
 * The search parameters /fhir implements, per resource type: one table that the router uses to
 * accept and apply parameters and that the CapabilityStatement is generated from, so the two cannot
 * disagree. Only parameters that exist in R4 for that type, each with its canonical definition
 * (http://hl7.org/fhir/R4/searchparameter-registry.html).
 */
import type { ClinicalType } from './resources.ts';

const SP = 'http://hl7.org/fhir/SearchParameter/';

export type SearchParamType = 'reference' | 'token' | 'date';
export interface SearchParam {
  name: string;
  type: SearchParamType;
  /** Canonical URL of the R4 SearchParameter. */
  definition: string;
  documentation?: string;
  /**
   * What the parameter looks at in the decrypted resource: for `reference` the patient reference
   * (every clinical search is within one patient), for `token` the CodeableConcept fields, for
   * `date` the date (or period) fields in order.
   */
  fields: string[];
}

const patient: SearchParam = { name: 'patient', type: 'reference', definition: `${SP}clinical-patient`, fields: ['patient'], documentation: 'Patient/<address> (the patient\'s account address); required unless the caller is the patient' };
const subject = (type: string): SearchParam => ({ name: 'subject', type: 'reference', definition: `${SP}${type}-subject`, fields: ['subject'], documentation: 'Patient/<address>; the same as patient' });
const token = (name: string, definition: string, fields: string[]): SearchParam => ({
  name, type: 'token', definition: `${SP}${definition}`, fields, documentation: 'system|code, |code or code; system|code is matched through blind-index tokens first, then exactly',
});
const date = (name: string, definition: string, fields: string[]): SearchParam => ({ name, type: 'date', definition: `${SP}${definition}`, fields, documentation: 'prefixes eq ne gt lt ge le; compared at the precision given' });

/** Clinical resource types and their search parameters (Binary has none in R4 and is not searchable here). */
export const CLINICAL_SEARCH: Record<ClinicalType, SearchParam[]> = {
  Patient: [
    { name: '_id', type: 'token', definition: `${SP}Resource-id`, fields: ['id'], documentation: 'the patient\'s account address' },
    { name: 'identifier', type: 'token', definition: `${SP}Patient-identifier`, fields: ['identifier'], documentation: 'urn:ethereum:address|<address>' },
  ],
  Observation: [patient, subject('Observation'), token('code', 'clinical-code', ['code']), date('date', 'clinical-date', ['effectiveDateTime', 'effectiveInstant', 'effectivePeriod'])],
  Condition: [patient, subject('Condition'), token('code', 'clinical-code', ['code']), date('recorded-date', 'Condition-recorded-date', ['recordedDate']), date('onset-date', 'Condition-onset-date', ['onsetDateTime', 'onsetPeriod'])],
  DiagnosticReport: [patient, subject('DiagnosticReport'), token('code', 'clinical-code', ['code']), date('date', 'clinical-date', ['effectiveDateTime', 'effectivePeriod'])],
  MedicationRequest: [patient, subject('MedicationRequest'), token('code', 'clinical-code', ['medicationCodeableConcept']), date('authoredon', 'MedicationRequest-authoredon', ['authoredOn'])],
  AllergyIntolerance: [patient, token('code', 'clinical-code', ['code']), date('date', 'clinical-date', ['recordedDate'])],
  Immunization: [patient, token('vaccine-code', 'Immunization-vaccine-code', ['vaccineCode']), date('date', 'clinical-date', ['occurrenceDateTime'])],
  DocumentReference: [patient, subject('DocumentReference'), token('type', 'clinical-type', ['type']), date('date', 'DocumentReference-date', ['date'])],
  Binary: [],
};

/** Parameters of the non-clinical types, implemented in routes/fhir.ts and routes/fhirClinical/. */
export const OTHER_SEARCH: Record<'Consent' | 'AuditEvent' | 'Provenance', SearchParam[]> = {
  Consent: [
    { ...patient, fields: ['patient'] },
    { name: 'actor', type: 'reference', definition: `${SP}Consent-actor`, fields: ['provision.actor.reference'], documentation: 'the grantee: its account address, urn:ethereum:address|<address>' },
  ],
  AuditEvent: [{ name: 'patient', type: 'reference', definition: `${SP}AuditEvent-patient`, fields: ['entity.what'], documentation: 'Patient/<address>; required' }],
  Provenance: [{ name: 'target', type: 'reference', definition: `${SP}Provenance-target`, fields: ['target'], documentation: '{type}/{id} of a clinical resource; required' }],
};

/** Result parameters accepted on every search (not search parameters: not declared per type). */
export const RESULT_PARAMS = ['_count', '_offset', '_format'] as const;

/** The value of a date-like field (a period by its start). */
export function dateFieldOf(resource: Record<string, unknown>, fields: string[]): string | undefined {
  for (const field of fields) {
    const v = resource[field];
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && typeof (v as { start?: unknown }).start === 'string') return (v as { start: string }).start;
  }
  return undefined;
}

/** Every coding of the given CodeableConcept fields. */
export function codingsIn(resource: Record<string, unknown>, fields: string[]): Array<{ system?: string; code?: string; value?: string }> {
  const out: Array<{ system?: string; code?: string; value?: string }> = [];
  for (const field of fields) {
    const v = resource[field];
    for (const item of Array.isArray(v) ? v : v ? [v] : []) {
      if (field === 'identifier') out.push({ system: (item as { system?: string }).system, code: (item as { value?: string }).value });
      else for (const c of ((item as { coding?: Array<{ system?: string; code?: string }> }).coding ?? [])) out.push(c);
    }
  }
  return out;
}

/** Whether a token search value (`system|code`, `|code`, `code`) matches one of the codings. */
export function tokenMatches(codings: Array<{ system?: string; code?: string }>, value: string): boolean {
  const [system, code] = value.includes('|') ? (value.split('|', 2) as [string, string]) : [undefined, value];
  return codings.some((c) => c.code === code && (system === undefined || (system === '' ? !c.system : c.system === system)));
}
