/**
 * What every clinical FHIR operation (one per file beside this one) shares: the session guard, the
 * resource type and body of a request, validation against the R4 definitions, `If-Match`, patient
 * references, the record behind `{type}/{id}` and how a stored version is served (id, meta, headers).
 */
import type { Context } from 'hono';
import type { Address, Hex } from 'viem';
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../http/errors.ts';
import { sessionOf } from '../validation.ts';
import { FhirError, validateResource } from '../../fhir/validate.ts';
import type { ClinicalStore, StoredVersion } from '../../fhir/clinical.ts';
import { FHIR_JSON, httpDate } from '../../fhir/http.ts';
import { CLINICAL_TYPES, addressFromReference, isClinicalType, recordIdOf, resourceIdOf, type ClinicalType } from '../../fhir/resources.ts';
import type { DataRouteDeps, GatewayEnv, Session } from '../types.ts';

export type Json = Record<string, unknown> & { resourceType: string };

export type FhirClinicalDeps = DataRouteDeps & { clinical: ClinicalStore; baseUrl: () => string };

/** The deps plus the two helpers that need them: an operation takes this one object. */
export interface FhirClinicalContext extends FhirClinicalDeps {
  /** The absolute URL of a resource (Bundle entries' fullUrl). */
  fullUrl: (r: Resource | Json) => string;
  /** The record behind `{type}/{id}`: a record id, or for Patient the patient's address. */
  recordOf: (type: ClinicalType, id: string) => Promise<{ recordId: Hex; patient: Address; category: Hex }>;
}

export function fhirClinicalContext(deps: FhirClinicalDeps): FhirClinicalContext {
  const { clinical } = deps;
  return {
    ...deps,
    fullUrl: (r) => `${deps.baseUrl()}/fhir/${r.resourceType}/${r.id as string}`,
    async recordOf(type, id) {
      if (type === 'Patient') {
        const patient = addressFromReference(id);
        const recordId = patient ? await clinical.patientRecordOf(patient) : undefined;
        if (!patient || !recordId) fail(404, `no Patient/${id.slice(0, 70)} (a Patient's id is its account address; this one has no Patient resource)`, { fhirIssue: 'not-found' });
        return { recordId, patient, category: (await clinical.chainRecord(recordId, type)).category };
      }
      const recordId = recordIdOf(id);
      if (!recordId) fail(404, `no ${type}/${id.slice(0, 70)}`, { fhirIssue: 'not-found' });
      const record = await clinical.chainRecord(recordId, type);
      return { recordId, patient: record.patient, category: record.category };
    },
  };
}

/** Clinical resources are for accounts with a MedChain role (routes/validation.ts has the one session guard). */
export const signedIn = (c: Context<GatewayEnv>): Session => sessionOf(c, { requireRole: true });

export function typeOf(c: Context): ClinicalType {
  const type = c.req.param('type') ?? '';
  if (!isClinicalType(type)) fail(404, `resource type ${JSON.stringify(type.slice(0, 40))} is not served here (served: ${CLINICAL_TYPES.join(', ')}, Consent, AuditEvent, Provenance)`, { fhirIssue: 'not-supported' });
  return type;
}

export async function fhirBody(c: Context): Promise<Json> {
  const body = await c.req.json().catch(() => { fail(400, 'malformed JSON body', { fhirIssue: 'structure' }); });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail(400, 'expected a FHIR resource (a JSON object)', { fhirIssue: 'structure' });
  return body as Json;
}

/** Validation failures become 4xx OperationOutcomes naming the element paths. */
export function validated(resource: Json): Json {
  try {
    return validateResource<Resource>(resource) as unknown as Json;
  } catch (error) {
    if (error instanceof FhirError) fail(error.status, error.message, { fhirIssue: 'invalid' });
    throw error;
  }
}

/** A version as served: its FHIR id (the address for a Patient), versionId and lastUpdated. */
export function withMeta(v: StoredVersion, recordId: Hex, patient: Address): Json {
  const type = v.resource.resourceType;
  return {
    ...v.resource, id: resourceIdOf(type, recordId, patient),
    meta: { ...(v.resource.meta as object | undefined), versionId: String(v.version), lastUpdated: new Date(v.timestamp * 1000).toISOString() },
  };
}

/** Headers of a read or vread: the version's ETag and Last-Modified, never cached. */
export const readHeaders = (v: StoredVersion) => ({ ...FHIR_JSON, etag: `W/"${v.version}"`, 'last-modified': httpDate(v.timestamp), 'cache-control': 'no-store' });

/** `If-Match: W/"n"` as n. */
export function expectedVersion(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(value.trim());
  if (!m) fail(400, 'If-Match must be a version ETag like W/"3"', { fhirIssue: 'value' });
  return Number(m[1]);
}

/** A patient reference in a search (`Patient/0x…`, `0x…`, an absolute …/fhir/Patient/0x…) as an address. */
export function patientReference(name: string, raw: string): Address {
  const address = addressFromReference(raw.replace(/^https?:\/\/[^?#]*\/fhir\//, ''));
  if (!address) fail(400, `${name} must reference a patient by account address (Patient/0x…), got ${JSON.stringify(raw.slice(0, 80))}`, { fhirIssue: 'value' });
  return address;
}
