/**
 * FHIR R4 at /fhir (first part): the CapabilityStatement, grants as Consent, the access log as
 * AuditEvent (IHE BALP). Searchsets are paged (`_count`, `_offset`, next/previous links) with
 * `total` counting every match the caller may see; POST [type]/_search works like GET; errors are
 * OperationOutcomes (http/errors.ts). Every resource served validates against R4 (tested).
 *
 *   GET /fhir/metadata
 *   GET|POST /fhir/Consent[/_search]?patient=&actor=      GET /fhir/Consent/grant-<id>
 *   GET|POST /fhir/AuditEvent[/_search]?patient=          GET /fhir/AuditEvent/log-<seq>
 */
import { Hono, type Context } from 'hono';
import { getAddress, isAddress, type Address, type Hex } from 'viem';
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../http/errors.ts';
import { sessionOf } from './validation.ts';
import type { AccessLog } from '../audit/accessLog.ts';
import type { LogEntry } from '../../sdk/auditProof.ts';
import { capabilityStatement } from '../fhir/capability.ts';
import { FHIR_JSON, pageOf, searchParamsOf, searchsetPage } from '../fhir/http.ts';
import { auditEventFromEntry } from '../fhir/mapping.ts';
import { resourceIdOf } from '../fhir/resources.ts';
import { OTHER_SEARCH, RESULT_PARAMS } from '../fhir/searchParams.ts';
import { grantView } from './consent.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';
import { mayReadAuditAbout, mayViewConsent } from '../auth/policy.ts';
import { recordRepository } from '../repository/records.ts';
import { grantRepository } from '../repository/grants.ts';
import { consentsOf } from '../fhir/consents.ts';


/** `0x…`, `Patient/0x…` or `urn:ethereum:address|0x…` as an address, or a 400 naming the parameter. */
function addressParam(name: string, raw: string): Address {
  const value = raw.replace(/^urn:ethereum:address\|/, '').replace(/^(Patient|Practitioner|Device|Organization)\//, '');
  if (!isAddress(value)) fail(400, `${name} must be an account address (Patient/0x…), got ${JSON.stringify(raw.slice(0, 60))}`, { fhirIssue: 'value' });
  return getAddress(value);
}

/** Refuses parameters the type does not declare (the CapabilityStatement's table). */
function checkParams(params: URLSearchParams, type: keyof typeof OTHER_SEARCH): void {
  const allowed = new Set<string>([...OTHER_SEARCH[type].map((p) => p.name), ...RESULT_PARAMS]);
  for (const name of params.keys()) if (!allowed.has(name)) fail(400, `unknown search parameter ${name.slice(0, 40)} for ${type} (supported: ${[...allowed].join(', ')})`, { fhirIssue: 'not-supported' });
}

export function fhirRoutes(deps: DataRouteDeps & { accessLog: AccessLog; baseUrl: () => string }) {
  const app = new Hono<GatewayEnv>();
  const fullUrl = (r: Resource) => `${deps.baseUrl()}/fhir/${r.resourceType}/${r.id}`;
  const grants = grantRepository(deps.index);

  app.get('/metadata', (c) => c.json(capabilityStatement(deps.baseUrl(), deps.clock.ms()), 200, FHIR_JSON));

  const signedIn = (c: Context<GatewayEnv>) => sessionOf(c);

  const consentOf = consentsOf(deps);

  async function searchConsent(c: Context<GatewayEnv>) {
    const s = signedIn(c);
    const params = await searchParamsOf(c);
    checkParams(params, 'Consent');
    const page = pageOf(params);
    const rawPatient = params.get('patient') ?? (s.role === 'patient' ? s.address : undefined);
    if (!rawPatient) fail(400, 'the patient search parameter is required (Patient/<address>)', { fhirIssue: 'required' });
    const patient = addressParam('patient', rawPatient);
    const actor = params.get('actor');
    const grantee = actor ? addressParam('actor', actor) : undefined;
    const rows = await grants.ofPatient(patient);
    const now = await deps.access.clock();
    // The patient, auditors and admins see all of a patient's consents; a grantee sees those made to them.
    const visible = rows.filter((r) => {
      const g = grantView(r, now);
      return mayViewConsent(s, g.patient, g.grantee) && (!grantee || g.grantee === grantee);
    });
    const shown = await Promise.all(visible.slice(page.offset, page.offset + page.count).map((r) => consentOf(r, now, s.address)));
    return c.json(searchsetPage(deps.baseUrl(), 'Consent', params, page, visible.length, shown, fullUrl), 200, FHIR_JSON);
  }
  app.get('/Consent', searchConsent);
  app.post('/Consent/_search', searchConsent);

  app.get('/Consent/:id', async (c) => {
    const s = signedIn(c);
    const match = /^grant-(\d{1,15})$/.exec(c.req.param('id'));
    if (!match) fail(404, `no Consent ${c.req.param('id').slice(0, 40)}`, { fhirIssue: 'not-found' });
    const row = await grants.byId(Number(match[1]));
    if (!row) fail(404, `no Consent grant-${match[1]}`, { fhirIssue: 'not-found' });
    const now = await deps.access.clock();
    const g = grantView(row, now);
    if (!mayViewConsent(s, g.patient, g.grantee)) fail(403, 'this consent is not yours', { fhirIssue: 'forbidden' });
    return c.json(await consentOf(row, now, s.address), 200, FHIR_JSON);
  });

  /** BALP AuditEvents, with each record entity as a FHIR reference to its resource. */
  async function auditEvents(entries: LogEntry[]) {
    const ids = [...new Set(entries.map((e) => e.recordId).filter((id): id is string => !!id))];
    const records = new Map<string, { category: string; patient: string }>();
    if (ids.length > 0) {
      const rows = await recordRepository(deps.index).byIds(ids);
      for (const r of rows) records.set(r.record_id.toLowerCase(), r);
    }
    return Promise.all(entries.map(async (e) => {
      const record = e.recordId ? records.get(e.recordId.toLowerCase()) : undefined;
      const recordType = record ? await deps.categories.typeOf(getAddress(record.patient), record.category as Hex) : undefined;
      return auditEventFromEntry(e, {
        serverUrl: deps.baseUrl(), recordType,
        recordFhirId: recordType && record ? resourceIdOf(recordType, e.recordId as `0x${string}`, record.patient as Address) : undefined,
      });
    }));
  }

  async function searchAuditEvents(c: Context<GatewayEnv>) {
    const s = signedIn(c);
    const params = await searchParamsOf(c);
    checkParams(params, 'AuditEvent');
    const page = pageOf(params);
    const raw = params.get('patient') ?? (s.role === 'patient' ? s.address : undefined);
    if (!raw) fail(400, 'the patient search parameter is required (Patient/<address>)', { fhirIssue: 'required' });
    const patient = addressParam('patient', raw);
    if (!mayReadAuditAbout(s, patient)) fail(403, 'you may read only the audit trail about you', { fhirIssue: 'forbidden' });
    const total = await deps.accessLog.count({ patient });
    const entries = page.count === 0 ? [] : await deps.accessLog.entries({ patient, limit: page.count, offset: page.offset });
    return c.json(searchsetPage(deps.baseUrl(), 'AuditEvent', params, page, total, await auditEvents(entries), fullUrl), 200, FHIR_JSON);
  }
  app.get('/AuditEvent', searchAuditEvents);
  app.post('/AuditEvent/_search', searchAuditEvents);

  app.get('/AuditEvent/:id', async (c) => {
    const s = signedIn(c);
    const match = /^log-(\d{1,15})$/.exec(c.req.param('id'));
    const entry = match ? await deps.accessLog.entry(Number(match[1])) : undefined;
    if (!entry) fail(404, `no AuditEvent ${c.req.param('id').slice(0, 40)}`, { fhirIssue: 'not-found' });
    if (!mayReadAuditAbout(s, entry.patient)) fail(403, 'you may read only the audit trail about you', { fhirIssue: 'forbidden' });
    const [event] = await auditEvents([entry]);
    return c.json(event, 200, FHIR_JSON);
  });

  return app;
}
