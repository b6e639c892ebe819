/**
 * FHIR R4 clinical resources at /fhir (Patient, Observation, Condition, DiagnosticReport,
 * MedicationRequest, AllergyIntolerance, Immunization, DocumentReference, Binary), for callers
 * whose keys the hospital holds (fhir/clinical.ts); Provenance from on-chain authorship for anyone
 * who may read the record. Resources are validated against the R4 definitions before anything is
 * written; errors are OperationOutcomes. A Patient's id is its account address (resources.ts).
 *
 *   POST /fhir/{type}                      create (201, Location …/_history/1, ETag, Last-Modified, Prefer: return=)
 *   PUT  /fhir/{type}/{id}                 update (If-Match: W/"n"; stale → 412)
 *   GET  /fhir/{type}/{id}[/_history[/{vid}]]                       read, history, vread
 *   GET|POST /fhir/{type}[/_search]?…&_count=&_offset=              search (parameters: fhir/searchParams.ts)
 *   GET  /fhir/Patient/{address}/$everything                        everything the caller may see
 *   GET  /fhir/Provenance?target={type}/{id}   GET /fhir/Provenance/{tx}   who wrote each version, when, in which transaction
 *   POST /fhir (or /fhir/)                 Bundle: transaction (all validated and authorized before any write) or batch
 *   DELETE, PATCH → 405; conditional update / delete → 400
 */
import { Hono, type Context } from 'hono';
import { getAddress, type Address, type Hex } from 'viem';
import type { Bundle, BundleEntry, OperationOutcome, Provenance, Resource } from '@medplum/fhirtypes';
import { HttpError, operationOutcome } from '../http/errors.ts';
import { FhirError, validateResource } from '../fhir/validate.ts';
import type { ClinicalStore, StoredVersion } from '../fhir/clinical.ts';
import { FHIR_JSON, historyEntry, httpDate, pageOf, searchParamsOf, searchsetPage, writeResponse } from '../fhir/http.ts';
import {
  ADDRESS_SYSTEM, CLINICAL_TYPES, addressFromReference, isClinicalType, matchesDate, parseDateSearch, patientOf, recordIdOf, resourceIdOf,
  type ClinicalType,
} from '../fhir/resources.ts';
import { CLINICAL_SEARCH, OTHER_SEARCH, RESULT_PARAMS, codingsIn, dateFieldOf, tokenMatches } from '../fhir/searchParams.ts';
import { consentFromGrant } from '../fhir/mapping.ts';
import { decodePurpose, grantView } from './consent.ts';
import { authorizeAndLog, logDenial } from './authorize.ts';
import type { DataRouteDeps, GatewayEnv, Session } from './types.ts';
import { Permission, RecordRegistryAbi } from '../../sdk/contracts.ts';

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

/** A version as served: its FHIR id (the address for a Patient), versionId and lastUpdated. */
function withMeta(v: StoredVersion, recordId: Hex, patient: Address): Json {
  const type = v.resource.resourceType;
  return {
    ...v.resource, id: resourceIdOf(type, recordId, patient),
    meta: { ...(v.resource.meta as object | undefined), versionId: String(v.version), lastUpdated: new Date(v.timestamp * 1000).toISOString() },
  };
}

/** `If-Match: W/"n"` as n. */
function expectedVersion(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(value.trim());
  if (!m) throw new HttpError(400, 'If-Match must be a version ETag like W/"3"', 'value');
  return Number(m[1]);
}

/** A patient reference in a search (`Patient/0x…`, `0x…`, an absolute …/fhir/Patient/0x…) as an address. */
function patientReference(name: string, raw: string): Address {
  const address = addressFromReference(raw.replace(/^https?:\/\/[^?#]*\/fhir\//, ''));
  if (!address) throw new HttpError(400, `${name} must reference a patient by account address (Patient/0x…), got ${JSON.stringify(raw.slice(0, 80))}`, 'value');
  return address;
}

export function fhirClinicalRoutes(deps: DataRouteDeps & { clinical: ClinicalStore; baseUrl: () => string }) {
  const app = new Hono<GatewayEnv>();
  const { clinical } = deps;
  const fullUrl = (r: Resource | Json) => `${deps.baseUrl()}/fhir/${r.resourceType}/${r.id as string}`;

  /** The record behind `{type}/{id}`: a record id, or for Patient the patient's address. */
  async function recordOf(type: ClinicalType, id: string): Promise<{ recordId: Hex; patient: Address; category: Hex }> {
    if (type === 'Patient') {
      const patient = addressFromReference(id);
      const recordId = patient ? await clinical.patientRecordOf(patient) : undefined;
      if (!patient || !recordId) throw new HttpError(404, `no Patient/${id.slice(0, 70)} (a Patient's id is its account address; this one has no Patient resource)`, 'not-found');
      return { recordId, patient, category: (await clinical.chainRecord(recordId, type)).category };
    }
    const recordId = recordIdOf(id);
    if (!recordId) throw new HttpError(404, `no ${type}/${id.slice(0, 70)}`, 'not-found');
    const record = await clinical.chainRecord(recordId, type);
    return { recordId, patient: record.patient, category: record.category };
  }

  // fhir-kit-client and others post Bundles to the base URL with a trailing slash.
  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && c.req.path === '/fhir/') return bundleHandler(c);
    await next();
  });

  // Provenance: one per version, id = the transaction hash that wrote it (so every fullUrl resolves).
  async function provenanceOf(type: ClinicalType, recordId: Hex, patient: Address, version: number, txHash: string): Promise<Provenance> {
    const ver = await deps.client.readContract({ address: deps.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getVersion', args: [recordId, version] });
    return {
      resourceType: 'Provenance', id: txHash.replace(/^0x/, '').toLowerCase(),
      target: [{ reference: `${type}/${resourceIdOf(type, recordId, patient)}/_history/${version}` }],
      recorded: new Date(Number(ver.timestamp) * 1000).toISOString(),
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: version === 1 ? 'CREATE' : 'UPDATE' }] },
      agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }] }, who: { identifier: { system: ADDRESS_SYSTEM, value: ver.author } } }],
      entity: [{ role: 'source', what: { identifier: { system: 'urn:ethereum:tx', value: txHash } } }],
    };
  }

  async function searchProvenance(c: Context<GatewayEnv>) {
    const s = signedIn(c);
    const params = await searchParamsOf(c);
    const allowed = new Set<string>([...OTHER_SEARCH.Provenance.map((p) => p.name), ...RESULT_PARAMS]);
    for (const name of params.keys()) if (!allowed.has(name)) throw new HttpError(400, `unknown search parameter ${name.slice(0, 40)} for Provenance (supported: ${[...allowed].join(', ')})`, 'not-supported');
    const page = pageOf(params);
    const m = /^(?:.*\/fhir\/)?(\w+)\/([0-9a-zA-Z]{40,64})$/.exec(params.get('target') ?? '');
    if (!m || !isClinicalType(m[1]!)) throw new HttpError(400, 'target must be {type}/{id} of a clinical resource', 'value');
    const type = m[1] as ClinicalType;
    const { recordId, patient } = await recordOf(type, m[2]!);
    const record = await clinical.chainRecord(recordId, type);
    await authorizeAndLog(deps, s, record, recordId, Permission.Read, 'provenance');
    // Versions whose transaction the indexer has seen (moments after the write).
    const rows = await deps.index.query<{ version: number | string; tx_hash: string }>('SELECT version, tx_hash FROM record_versions WHERE record_id = $1 ORDER BY version', [recordId]);
    const shown = await Promise.all(rows.slice(page.offset, page.offset + page.count).map((r) => provenanceOf(type, recordId, patient, Number(r.version), r.tx_hash)));
    return c.json(searchsetPage(deps.baseUrl(), 'Provenance', params, page, rows.length, shown, fullUrl), 200, FHIR_JSON);
  }
  app.get('/Provenance', searchProvenance);
  app.post('/Provenance/_search', searchProvenance);

  app.get('/Provenance/:id', async (c) => {
    const s = signedIn(c);
    const id = c.req.param('id');
    const [row] = /^[0-9a-f]{64}$/i.test(id)
      ? await deps.index.query<{ record_id: Hex; version: number | string; tx_hash: string }>('SELECT record_id, version, tx_hash FROM record_versions WHERE tx_hash = $1', [`0x${id.toLowerCase()}`])
      : [];
    if (!row) throw new HttpError(404, `no Provenance/${id.slice(0, 70)}`, 'not-found');
    const onChain = await deps.client.readContract({ address: deps.addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getRecord', args: [row.record_id] });
    const known = /^0x0{40}$/.test(onChain.patient) ? undefined : await deps.categories.typeOf(getAddress(onChain.patient), onChain.category);
    const type = CLINICAL_TYPES.find((t) => t === known);
    if (!type) throw new HttpError(404, `no Provenance/${id.slice(0, 70)}`, 'not-found');
    const record = await clinical.chainRecord(row.record_id, type);
    await authorizeAndLog(deps, s, record, row.record_id, Permission.Read, 'provenance');
    return c.json(await provenanceOf(type, row.record_id, record.patient, Number(row.version), row.tx_hash), 200, FHIR_JSON);
  });

  app.get('/Patient/:id/$everything', async (c) => {
    const s = signedIn(c);
    const params = new URL(c.req.url).searchParams;
    for (const name of params.keys()) if (!['_count', '_offset', '_format'].includes(name)) throw new HttpError(400, `$everything takes _count and _offset, not ${name.slice(0, 40)}`, 'not-supported');
    const page = pageOf(params);
    const patient = addressFromReference(c.req.param('id'));
    if (!patient) throw new HttpError(404, `no Patient/${c.req.param('id').slice(0, 70)} (a Patient's id is its account address)`, 'not-found');
    const found = await clinical.search(s, patient, [...CLINICAL_TYPES]);
    const resources = found.map((f) => withMeta(f, f.recordId, patient));
    const now = await deps.access.clock();
    const grants = await deps.index.query<Parameters<typeof grantView>[0] & { created_block: number | string }>('SELECT * FROM grants WHERE patient = $1 ORDER BY grant_id', [patient.toLowerCase()]);
    const consents = await Promise.all(grants.filter((g) => {
      const v = grantView(g, now);
      return v.patient === s.address || v.grantee === s.address;
    }).map(async (g) => {
      const view = grantView(g, now, await decodePurpose(deps, g.patient, g.grantee, g.purpose));
      const scopeType = view.scope.kind === 'category' ? await deps.categories.typeOf(view.patient, view.scope.value as Hex) : undefined;
      return consentFromGrant({ ...view, scopeType, grantedAt: Number((await deps.client.getBlock({ blockNumber: BigInt(g.created_block) })).timestamp) }) as unknown as Json;
    }));
    const all = [...resources, ...consents];
    return c.json(searchsetPage(deps.baseUrl(), `Patient/${patient.toLowerCase()}/$everything`, params, page, all.length, all.slice(page.offset, page.offset + page.count) as unknown as Resource[], fullUrl), 200, FHIR_JSON);
  });

  /** A search over the type's declared parameters (searchParams.ts), decrypted and filtered exactly; `total` counts every match the caller may see. */
  async function search(c: Context<GatewayEnv>) {
    const s = signedIn(c);
    const type = typeOf(c);
    const declared = CLINICAL_SEARCH[type];
    if (declared.length === 0) throw new HttpError(400, `${type} is not searchable here (R4 defines no search parameters for it): read it by id`, 'not-supported');
    const params = await searchParamsOf(c);
    for (const name of params.keys()) {
      const base = name.split(':', 1)[0]!;
      if (name.includes(':')) throw new HttpError(400, `search modifiers are not supported (${name.slice(0, 40)})`, 'not-supported');
      if (!declared.some((p) => p.name === base) && !(RESULT_PARAMS as readonly string[]).includes(base)) {
        throw new HttpError(400, `unknown search parameter ${name.slice(0, 40)} for ${type} (supported: ${[...declared.map((p) => p.name), ...RESULT_PARAMS].join(', ')})`, 'not-supported');
      }
    }
    const page = pageOf(params);

    // Whose records: every clinical search is within one patient.

    const refs = declared.filter((p) => p.type === 'reference').flatMap((p) => params.getAll(p.name).map((v) => patientReference(p.name, v)));
    if (type === 'Patient') {
      for (const v of params.getAll('_id')) refs.push(patientReference('_id', v));
      for (const v of params.getAll('identifier')) {
        if (!v.startsWith(`${ADDRESS_SYSTEM}|`)) throw new HttpError(400, `identifier must be ${ADDRESS_SYSTEM}|<address>`, 'value');
        refs.push(patientReference('identifier', v));
      }
    }
    if (new Set(refs).size > 1) throw new HttpError(400, 'one patient per search', 'not-supported');
    const patient = refs[0] ?? (s.role === 'patient' ? s.address : undefined);
    if (!patient) throw new HttpError(400, `say whose records: ${type === 'Patient' ? '_id or identifier' : 'the patient parameter'} (Patient/<address>)`, 'required');

    const tokens = declared.filter((p) => p.type === 'token' && p.name !== '_id' && p.name !== 'identifier').map((p) => ({ p, values: params.getAll(p.name) })).filter((t) => t.values.length > 0);
    for (const t of tokens) for (const v of t.values) if (v.length === 0 || v.length > 400) throw new HttpError(400, `${t.p.name} must be system|code or code`, 'value');
    const dates = declared.filter((p) => p.type === 'date').flatMap((p) => params.getAll(p.name).map((raw) => {
      const parsed = parseDateSearch(raw);
      if (!parsed) throw new HttpError(400, `${p.name} must look like [prefix]YYYY[-MM[-DD[Thh:mm[:ss]]]], got ${JSON.stringify(raw.slice(0, 40))}`, 'value');
      return { p, parsed };
    }));
    // One system|code value narrows candidates through the blind index before decryption.
    const narrowing = tokens.length === 1 && tokens[0]!.values.length === 1 && !tokens[0]!.values[0]!.includes(',') ? tokens[0]!.values[0] : undefined;
    const found = (await clinical.search(s, patient, [type], narrowing)).filter((f) =>
      tokens.every((t) => t.values.every((v) => v.split(',').some((one) => tokenMatches(codingsIn(f.resource, t.p.fields), one))))
      && dates.every((d) => matchesDate(dateFieldOf(f.resource, d.p.fields), d.parsed)));
    const shown = found.slice(page.offset, page.offset + page.count).map((f) => withMeta(f, f.recordId, patient) as unknown as Resource);
    return c.json(searchsetPage(deps.baseUrl(), type, params, page, found.length, shown, fullUrl), 200, FHIR_JSON);
  }
  app.get('/:type', search);
  app.post('/:type/_search', search);

  const readHeaders = (v: StoredVersion) => ({ ...FHIR_JSON, etag: `W/"${v.version}"`, 'last-modified': httpDate(v.timestamp), 'cache-control': 'no-store' });

  app.get('/:type/:id', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const { recordId, patient } = await recordOf(type, c.req.param('id'));
    const v = await clinical.read(s, type, recordId);
    return c.json(withMeta(v, recordId, patient), 200, readHeaders(v));
  });

  app.get('/:type/:id/_history', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const { recordId, patient } = await recordOf(type, c.req.param('id'));
    const versions = await clinical.history(s, type, recordId);
    const history: Bundle = {
      resourceType: 'Bundle', type: 'history', total: versions.length,
      link: [{ relation: 'self', url: `${deps.baseUrl()}/fhir/${type}/${resourceIdOf(type, recordId, patient)}/_history` }],
      entry: versions.map((v) => historyEntry(deps.baseUrl(), withMeta(v, recordId, patient), v.version, v.timestamp)),
    };
    return c.json(history, 200, FHIR_JSON);
  });

  app.get('/:type/:id/_history/:vid', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const { recordId, patient } = await recordOf(type, c.req.param('id'));
    const vid = c.req.param('vid');
    if (!/^\d{1,9}$/.test(vid)) throw new HttpError(404, `no version ${vid.slice(0, 20)}`, 'not-found');
    const v = await clinical.read(s, type, recordId, Number(vid));
    return c.json(withMeta(v, recordId, patient), 200, readHeaders(v));
  });

  app.post('/:type', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    // Declared as conditionalCreate: false in the CapabilityStatement.
    if (c.req.header('if-none-exist') !== undefined) throw new HttpError(400, 'conditional create (If-None-Exist) is not supported: search first, then create', 'not-supported');
    const resource = await fhirBody(c);
    if (resource.resourceType !== type) throw new HttpError(400, `resourceType ${JSON.stringify(resource.resourceType)} does not match the URL (${type})`, 'invalid');
    clinical.accountOf(s);
    const checked = validated(resource);
    if (type === 'Patient') {
      const patient = patientOf(checked);
      if (patient && await clinical.patientRecordOf(patient)) throw new HttpError(409, `Patient/${patient.toLowerCase()} exists: update it with PUT`, 'duplicate');
    }
    const written = await clinical.create(s, checked);
    const body = withMeta(written, written.recordId, patientOf(checked)!);
    return writeResponse(c, 201, deps.baseUrl(), body, written.version, written.timestamp);
  });

  app.put('/:type/:id', async (c) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const resource = await fhirBody(c);
    if (resource.resourceType !== type) throw new HttpError(400, `resourceType ${JSON.stringify(resource.resourceType)} does not match the URL (${type})`, 'invalid');
    // http.html#update: the body SHALL carry an id equal to the URL's.
    if (resource.id === undefined) throw new HttpError(400, 'an update needs the resource id in the body (the same as in the URL)', 'required');
    if (String(resource.id).toLowerCase() !== c.req.param('id').toLowerCase()) throw new HttpError(400, 'the resource id does not match the URL', 'invalid');
    const expected = expectedVersion(c.req.header('if-match'));
    clinical.accountOf(s);
    const checked = validated(resource);
    const { recordId, patient } = await recordOf(type, c.req.param('id'));
    const written = await clinical.update(s, type, recordId, checked, expected);
    return writeResponse(c, 200, deps.baseUrl(), withMeta(written, recordId, patient), written.version, written.timestamp);
  });

  // Not offered: answered as the spec says rather than falling through to a 404.
  app.on(['DELETE', 'PATCH'], '/:type/:id', (c) => {
    c.header('allow', 'GET, PUT');
    throw new HttpError(405, `${c.req.method} is not supported: versions live on chain; a patient erases a record through /api/records/{id}/erase`, 'not-supported');
  });
  app.delete('/:type', () => { throw new HttpError(400, 'conditional delete is not supported', 'not-supported'); });
  app.put('/:type', () => { throw new HttpError(400, 'an update needs an id: PUT /fhir/{type}/{id} (conditional update is not supported)', 'not-supported'); });
  app.patch('/:type', () => { throw new HttpError(400, 'conditional patch is not supported', 'not-supported'); });

  /** A batch entry that failed: its status and an OperationOutcome. */
  function failedEntry(error: HttpError): BundleEntry {
    return { response: { status: String(error.status), outcome: operationOutcome(error.status, error.message, error.fhirIssue) as OperationOutcome } };
  }

  // Bundles: a transaction's entries are all validated and authorized before the first write, so
  // bad input or missing consent fails the whole Bundle with nothing written; the writes are then
  // separate chain transactions made in order (the contracts have no multi-record call).
  async function bundleHandler(c: Context<GatewayEnv>) {
    const s = signedIn(c);
    const body = await fhirBody(c);
    if (body.resourceType !== 'Bundle') throw new HttpError(400, 'POST /fhir takes a Bundle of type transaction or batch', 'invalid');
    const kind = body.type;
    if (kind !== 'transaction' && kind !== 'batch') throw new HttpError(400, 'Bundle.type must be transaction or batch', 'value');
    const entries = (body.entry as BundleEntry[] | undefined) ?? [];
    if (entries.length === 0 || entries.length > MAX_BUNDLE_ENTRIES) throw new HttpError(400, `a Bundle needs 1..${MAX_BUNDLE_ENTRIES} entries`, 'value');
    validated(body);
    clinical.accountOf(s);
    type Planned = { method: 'POST' | 'PUT'; type: ClinicalType; recordId?: Hex; patient: Address; expected?: number; resource: Json };
    const plan: Array<Planned | HttpError> = [];
    for (const [i, entry] of entries.entries()) {
      try {
        const method = entry.request?.method;
        const resource = entry.resource as unknown as Json | undefined;
        if ((method !== 'POST' && method !== 'PUT') || !resource) throw new HttpError(400, `entry ${i}: only POST and PUT entries with a resource are supported`, 'not-supported');
        if (!isClinicalType(resource.resourceType)) throw new HttpError(400, `entry ${i}: resource type ${resource.resourceType} is not served here`, 'not-supported');
        if (entry.request?.ifNoneExist) throw new HttpError(400, `entry ${i}: conditional create (ifNoneExist) is not supported`, 'not-supported');
        const url = (entry.request?.url ?? '').replace(/^https?:\/\/[^?#]*\/fhir\//, '');
        let target: { recordId: Hex; patient: Address; category: Hex } | undefined;
        if (method === 'PUT') {
          const m = /^(\w+)\/([0-9a-zA-Z]{40,64})$/.exec(url);
          if (!m || m[1] !== resource.resourceType) throw new HttpError(400, `entry ${i}: PUT needs request.url {type}/{id}`, 'value');
          if (resource.id !== undefined && String(resource.id).toLowerCase() !== m[2]!.toLowerCase()) throw new HttpError(400, `entry ${i}: the resource id does not match request.url`, 'invalid');
          target = await recordOf(resource.resourceType, m[2]!);
        } else if (url !== resource.resourceType) throw new HttpError(400, `entry ${i}: POST needs request.url ${resource.resourceType}`, 'value');
        const checked = validated(resource);
        // Authorization before any write: the caller must hold write access to every target now.
        const patient = target?.patient ?? patientOf(checked);
        if (!patient) throw new HttpError(400, `entry ${i}: say whose record this is (subject or patient reference)`, 'required');
        const decision = await deps.access.authorizeRecord({ patient, accessor: s.address, category: target?.category ?? await deps.categories.categoryFor(patient, resource.resourceType), recordId: target?.recordId ?? `0x${'00'.repeat(32)}`, permission: Permission.Write });
        if (!decision.allowed) {
          await logDenial(deps, s, patient, target?.recordId, `bundle-${method === 'PUT' ? 'update' : 'create'}`, decision.reason);
          throw new HttpError(403, `entry ${i}: access denied: ${decision.reason}`, 'forbidden', { reason: decision.reason });
        }
        plan.push({ method, type: resource.resourceType, recordId: target?.recordId, patient, expected: expectedVersion(entry.request?.ifMatch), resource: checked });
      } catch (error) {
        if (kind === 'transaction') throw error;
        plan.push(error instanceof HttpError ? error : new HttpError(400, `entry ${i}: ${(error as Error).message}`));
      }
    }
    const responses: BundleEntry[] = [];
    for (const p of plan) {
      if (p instanceof HttpError) {
        responses.push(failedEntry(p));
        continue;
      }
      try {
        const written = p.recordId ? await clinical.update(s, p.type, p.recordId, p.resource, p.expected) : await clinical.create(s, p.resource);
        const resource = withMeta(written, written.recordId, p.patient);
        responses.push({
          fullUrl: fullUrl(resource), resource: resource as unknown as Resource,
          response: { status: p.recordId ? '200 OK' : '201 Created', location: `${fullUrl(resource)}/_history/${written.version}`, etag: `W/"${written.version}"`, lastModified: new Date(written.timestamp * 1000).toISOString() },
        });
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        responses.push(failedEntry(error));
      }
    }
    return c.json({ resourceType: 'Bundle', type: kind === 'transaction' ? 'transaction-response' : 'batch-response', entry: responses } satisfies Bundle, 200, FHIR_JSON);
  }
  app.post('/', bundleHandler);

  return app;
}
