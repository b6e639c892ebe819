/**
 * FHIR R4 clinical resources at /fhir (Patient, Observation, Condition, DiagnosticReport,
 * MedicationRequest, AllergyIntolerance, Immunization, DocumentReference, Binary), for callers
 * whose keys the hospital holds (fhir/clinical.ts); Provenance from on-chain authorship for anyone
 * who may read the record. Resources are validated against the R4 definitions before anything is
 * written; errors are OperationOutcomes.
 *
 *   POST /fhir/{type}                        create            PUT /fhir/{type}/{id}   update (If-Match: W/"n")
 *   GET  /fhir/{type}/{id}                   read              GET /fhir/{type}/{id}/_history[/{vid}]
 *   GET  /fhir/{type}?patient=&code=&date=&_count=              search (code: system|code, through blind indexes)
 *   GET  /fhir/Patient/{address}/$everything everything the caller may see
 *   GET  /fhir/Provenance?target={type}/{id}  who wrote each version, when, in which transaction
 *   POST /fhir                               Bundle: transaction (all validated and authorized before any write) or batch
 */
import { Hono, type Context } from 'hono';
import type { Hex } from 'viem';
import type { Bundle, BundleEntry, OperationOutcome, Provenance, Resource } from '@medplum/fhirtypes';
import { HttpError, operationOutcome } from '../http/errors.ts';
import { FhirError, validateResource } from '../fhir/validate.ts';
import type { ClinicalStore, StoredVersion } from '../fhir/clinical.ts';
import {
  ADDRESS_SYSTEM, CLINICAL_TYPES, addressFromReference, clinicalDateOf, fhirIdOf, hasCode, isClinicalType, matchesDate, parseDateSearch, patientOf, recordIdOf,
  type ClinicalType,
} from '../fhir/resources.ts';
import { consentFromGrant } from '../fhir/mapping.ts';
import { grantView } from './consent.ts';
import { authorizeAndLog } from './authorize.ts';
import type { DataRouteDeps, GatewayEnv, Session } from './types.ts';
import { Permission, RecordRegistryAbi, recordCategory } from '../../sdk/contracts.ts';

const FHIR_JSON = { 'content-type': 'application/fhir+json' };
const MAX_BUNDLE_ENTRIES = 100;
type Json = Record<string, unknown> & { resourceType: string };

function signedIn(c: Context<GatewayEnv>): Session {
  const s = c.get('session');
  if (!s) throw new HttpError(401, 'sign in first (POST /auth/nonce, then /auth/verify)', 'login');
  if (s.role === 'none') throw new HttpError(403, 'this account has no MedChain role (not registered, or suspended)', 'forbidden');
  return s;
}

function typeOf(c: Context): ClinicalType {
  const type = c.req.param('type') ?? '';
  if (!isClinicalType(type)) throw new HttpError(404, `resource type ${JSON.stringify(type.slice(0, 40))} is not served here (served: ${CLINICAL_TYPES.join(', ')}, Consent, AuditEvent, Provenance)`, 'not-supported');
  return type;
}

function idOf(c: Context, type: ClinicalType): Hex {
  const id = recordIdOf(c.req.param('id') ?? '');
  if (!id) throw new HttpError(404, `no ${type}/${(c.req.param('id') ?? '').slice(0, 70)}`, 'not-found');
  return id;
}

async function fhirBody(c: Context): Promise<Json> {
  const body = await c.req.json().catch(() => { throw new HttpError(400, 'malformed JSON body', 'structure'); });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'expected a FHIR resource (a JSON object)', 'structure');
  return body as Json;
}

/** Validation failures become 4xx OperationOutcomes naming the element paths. */
function validated(resource: Json): Json {
  try {
    return validateResource<Resource>(resource) as unknown as Json;
  } catch (error) {
    if (error instanceof FhirError) throw new HttpError(error.status, error.message, 'invalid');
    throw error;
  }
}

function withMeta(v: StoredVersion, recordId: Hex): Json {
  return { ...v.resource, id: fhirIdOf(recordId), meta: { ...(v.resource.meta as object | undefined), versionId: String(v.version), lastUpdated: new Date(v.timestamp * 1000).toISOString() } };
}

function bundle(c: Context, type: Bundle['type'], resources: Json[]): Bundle {
  const origin = new URL(c.req.url).origin;
  return {
    resourceType: 'Bundle', type, total: type === 'searchset' || type === 'history' ? resources.length : undefined,
    link: [{ relation: 'self', url: c.req.url }],
    entry: resources.map((resource) => ({
      fullUrl: `${origin}/fhir/${resource.resourceType}/${resource.id as string}`, resource: resource as unknown as Resource,
      ...(type === 'searchset' ? { search: { mode: 'match' as const } } : {}),
    })),
  };
}

/** A batch entry that failed: its status and an OperationOutcome. */
function failedEntry(error: HttpError): BundleEntry {
  return { response: { status: String(error.status), outcome: operationOutcome(error.status, error.message, error.fhirIssue) as OperationOutcome } };
}

function expectedVersion(c: Context): number | undefined {
  const ifMatch = c.req.header('if-match');
  if (!ifMatch) return undefined;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(ifMatch.trim());
  if (!m) throw new HttpError(400, 'If-Match must be a version ETag like W/"3"', 'value');
  return Number(m[1]);
}

export function fhirClinicalRoutes(deps: DataRouteDeps & { clinical: ClinicalStore }) {
  const app = new Hono<GatewayEnv>();
  const { clinical } = deps;

  app.get('/Provenance', async (c) => {
    const s = signedIn(c);
    for (const name of Object.keys(c.req.queries())) if (name !== 'target') throw new HttpError(400, `unknown search parameter ${name}`, 'not-supported');
    const target = c.req.query('target') ?? '';
    const m = /^(\w+)\/([0-9a-fA-F]{64})$/.exec(target);
    if (!m || !isClinicalType(m[1]!)) throw new HttpError(400, 'target must be {type}/{id} of a clinical resource', 'value');
    const type = m[1] as ClinicalType;
    const recordId = recordIdOf(m[2]!)!;
    const record = await clinical.chainRecord(recordId, type);
    await authorizeAndLog(deps, s, record, recordId, Permission.Read, 'provenance');
    const rows = await deps.index.query<{ version: number | string; tx_hash: string }>('SELECT version, tx_hash FROM record_versions WHERE record_id = $1', [recordId]);
    const txOf = new Map(rows.map((r) => [Number(r.version), r.tx_hash]));
    const provenance: Json[] = [];
    for (let v = 1; v <= record.latestVersion; v++) {
      const ver = await deps.client.readContract({ address: deps.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getVersion', args: [recordId, v] });
      const p: Provenance = {
        resourceType: 'Provenance', id: `${fhirIdOf(recordId).slice(0, 56)}-v${v}`,
        target: [{ reference: `${type}/${fhirIdOf(recordId)}/_history/${v}` }],
        recorded: new Date(Number(ver.timestamp) * 1000).toISOString(),
        activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: v === 1 ? 'CREATE' : 'UPDATE' }] },
        agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }] }, who: { identifier: { system: ADDRESS_SYSTEM, value: ver.author } } }],
        entity: txOf.has(v) ? [{ role: 'source', what: { identifier: { system: 'urn:ethereum:tx', value: txOf.get(v)! } } }] : undefined,
      };
      provenance.push(p as unknown as Json);
    }
    return c.json(bundle(c, 'searchset', provenance), 200, FHIR_JSON);
  });

  app.get('/Patient/:id/$everything', async (c) => {
    const s = signedIn(c);
    const raw = c.req.param('id');
    let patient = addressFromReference(raw);
    if (!patient) {
      const recordId = recordIdOf(raw);
      if (!recordId) throw new HttpError(404, `no Patient/${raw.slice(0, 70)}`, 'not-found');
      patient = (await clinical.chainRecord(recordId, 'Patient')).patient;
    }
    const found = await clinical.search(s, patient, [...CLINICAL_TYPES]);
    const resources = found.map((f) => withMeta(f, f.recordId));
    const now = await deps.access.clock();
    const grants = await deps.index.query<Parameters<typeof grantView>[0]>('SELECT * FROM grants WHERE patient = $1 ORDER BY grant_id', [patient.toLowerCase()]);
    const consents = grants.map((g) => grantView(g, now)).filter((g) => g.patient === s.address || g.grantee === s.address).map((g) => consentFromGrant(g) as unknown as Json);
    return c.json(bundle(c, 'searchset', [...resources, ...consents]), 200, FHIR_JSON);
  });

  app.get('/:type', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const allowed = ['patient', 'subject', 'code', 'date', '_count'];
    for (const name of Object.keys(c.req.queries())) if (!allowed.includes(name)) throw new HttpError(400, `unknown search parameter ${name}`, 'not-supported');
    const patient = addressFromReference(c.req.query('patient') ?? c.req.query('subject') ?? (s.role === 'patient' ? s.address : undefined));
    if (!patient) throw new HttpError(400, 'the patient search parameter is required (Patient/<address>)', 'required');
    const dates = (c.req.queries('date') ?? []).map((d) => {
      const parsed = parseDateSearch(d);
      if (!parsed) throw new HttpError(400, `date must look like [prefix]YYYY[-MM[-DD[Thh:mm[:ss]]]], got ${JSON.stringify(d.slice(0, 40))}`, 'value');
      return parsed;
    });
    const code = c.req.query('code');
    if (code !== undefined && (code.length === 0 || code.length > 200)) throw new HttpError(400, 'code must be system|code or code', 'value');
    const count = Number(c.req.query('_count') ?? 100);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new HttpError(400, '_count must be 1..1000', 'value');
    const found = (await clinical.search(s, patient, [type], code))
      .filter((f) => (code === undefined || hasCode(f.resource, code)) && dates.every((d) => matchesDate(clinicalDateOf(f.resource), d)))
      .slice(0, count);
    return c.json(bundle(c, 'searchset', found.map((f) => withMeta(f, f.recordId))), 200, FHIR_JSON);
  });

  app.get('/:type/:id', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const id = idOf(c, type);
    const v = await clinical.read(s, type, id);
    return c.json(withMeta(v, id), 200, { ...FHIR_JSON, etag: `W/"${v.version}"`, 'cache-control': 'no-store' });
  });

  app.get('/:type/:id/_history', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const id = idOf(c, type);
    const versions = await clinical.history(s, type, id);
    const history = bundle(c, 'history', versions.map((v) => withMeta(v, id)));
    // A history entry says how each version came to be (bdl-3).
    history.entry = history.entry?.map((entry, i) => ({
      ...entry,
      request: { method: versions[i]!.version === 1 ? 'POST' : 'PUT', url: versions[i]!.version === 1 ? type : `${type}/${fhirIdOf(id)}` },
      response: { status: versions[i]!.version === 1 ? '201 Created' : '200 OK', etag: `W/"${versions[i]!.version}"`, lastModified: new Date(versions[i]!.timestamp * 1000).toISOString() },
    }));
    return c.json(history, 200, FHIR_JSON);
  });

  app.get('/:type/:id/_history/:vid', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const id = idOf(c, type);
    const vid = c.req.param('vid');
    if (!/^\d{1,9}$/.test(vid)) throw new HttpError(404, `no version ${vid.slice(0, 20)}`, 'not-found');
    const v = await clinical.read(s, type, id, Number(vid));
    return c.json(withMeta(v, id), 200, { ...FHIR_JSON, etag: `W/"${v.version}"`, 'cache-control': 'no-store' });
  });

  app.post('/:type', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const resource = await fhirBody(c);
    if (resource.resourceType !== type) throw new HttpError(400, `resourceType ${JSON.stringify(resource.resourceType)} does not match the URL (${type})`, 'invalid');
    clinical.accountOf(s);
    const written = await clinical.create(s, validated(resource));
    const body = withMeta(written, written.recordId);
    return c.json(body, 201, { ...FHIR_JSON, location: `${new URL(c.req.url).origin}/fhir/${type}/${body.id as string}/_history/1`, etag: 'W/"1"' });
  });

  app.put('/:type/:id', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const id = idOf(c, type);
    const resource = await fhirBody(c);
    if (resource.resourceType !== type) throw new HttpError(400, `resourceType ${JSON.stringify(resource.resourceType)} does not match the URL (${type})`, 'invalid');
    if (resource.id !== undefined && resource.id !== fhirIdOf(id)) throw new HttpError(400, 'the resource id does not match the URL', 'invalid');
    clinical.accountOf(s);
    const written = await clinical.update(s, type, id, validated(resource), expectedVersion(c));
    return c.json(withMeta(written, id), 200, { ...FHIR_JSON, etag: `W/"${written.version}"` });
  });

  // Bundles: a transaction's entries are all validated and authorized before the first write, so
  // bad input or missing consent fails the whole Bundle with nothing written; the writes are then
  // separate chain transactions made in order (the contracts have no multi-record call).
  app.post('/', async (c) => {
    const s = signedIn(c);
    const body = await fhirBody(c);
    if (body.resourceType !== 'Bundle') throw new HttpError(400, 'POST /fhir takes a Bundle of type transaction or batch', 'invalid');
    const kind = body.type;
    if (kind !== 'transaction' && kind !== 'batch') throw new HttpError(400, 'Bundle.type must be transaction or batch', 'value');
    const entries = (body.entry as BundleEntry[] | undefined) ?? [];
    if (entries.length === 0 || entries.length > MAX_BUNDLE_ENTRIES) throw new HttpError(400, `a Bundle needs 1..${MAX_BUNDLE_ENTRIES} entries`, 'value');
    validated(body);
    clinical.accountOf(s);
    type Planned = { method: 'POST' | 'PUT'; type: ClinicalType; id?: Hex; resource: Json };
    const plan: Array<Planned | HttpError> = [];
    for (const [i, entry] of entries.entries()) {
      try {
        const method = entry.request?.method;
        const resource = entry.resource as unknown as Json | undefined;
        if ((method !== 'POST' && method !== 'PUT') || !resource) throw new HttpError(400, `entry ${i}: only POST and PUT entries with a resource are supported`, 'not-supported');
        if (!isClinicalType(resource.resourceType)) throw new HttpError(400, `entry ${i}: resource type ${resource.resourceType} is not served here`, 'not-supported');
        const url = entry.request?.url ?? '';
        let id: Hex | undefined;
        if (method === 'PUT') {
          const m = /^(\w+)\/([0-9a-fA-F]{64})$/.exec(url);
          if (!m || m[1] !== resource.resourceType) throw new HttpError(400, `entry ${i}: PUT needs request.url {type}/{id}`, 'value');
          id = recordIdOf(m[2]!);
        } else if (url !== resource.resourceType) throw new HttpError(400, `entry ${i}: POST needs request.url ${resource.resourceType}`, 'value');
        const checked = validated(resource);
        // Authorization before any write: the caller must hold write access to every target now.
        const patient = id ? (await clinical.chainRecord(id, resource.resourceType)).patient : patientOf(checked);
        if (!patient) throw new HttpError(400, `entry ${i}: say whose record this is (subject or patient reference)`, 'required');
        const decision = await deps.access.authorizeRecord({ patient, accessor: s.address, category: recordCategory(resource.resourceType), recordId: id ?? `0x${'00'.repeat(32)}`, permission: Permission.Write });
        if (!decision.allowed) throw new HttpError(403, `entry ${i}: access denied: ${decision.reason}`, 'forbidden');
        plan.push({ method, type: resource.resourceType, id, resource: checked });
      } catch (error) {
        if (kind === 'transaction') throw error;
        plan.push(error instanceof HttpError ? error : new HttpError(400, `entry ${i}: ${(error as Error).message}`));
      }
    }
    const origin = new URL(c.req.url).origin;
    const responses: BundleEntry[] = [];
    for (const p of plan) {
      if (p instanceof HttpError) {
        responses.push(failedEntry(p));
        continue;
      }
      try {
        const written = p.id ? await clinical.update(s, p.type, p.id, p.resource) : await clinical.create(s, p.resource);
        const id = fhirIdOf(written.recordId);
        responses.push({
          fullUrl: `${origin}/fhir/${p.type}/${id}`, resource: withMeta(written, written.recordId) as unknown as Resource,
          response: { status: p.id ? '200 OK' : '201 Created', location: `${p.type}/${id}/_history/${written.version}`, etag: `W/"${written.version}"` },
        });
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        responses.push(failedEntry(error));
      }
    }
    return c.json({ resourceType: 'Bundle', type: kind === 'transaction' ? 'transaction-response' : 'batch-response', entry: responses } satisfies Bundle, 200, FHIR_JSON);
  });

  return app;
}

