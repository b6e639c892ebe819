/**
 * FHIR R4 at /fhir (first part): the CapabilityStatement, grants as Consent, the access log as
 * AuditEvent. Searchset Bundles; errors are OperationOutcomes (http/errors.ts). Every resource
 * served is one that validates against the R4 definitions (tested).
 *
 *   GET /fhir/metadata
 *   GET /fhir/Consent?patient=<address>   GET /fhir/Consent/grant-<id>
 *   GET /fhir/AuditEvent?patient=<address>
 */
import { Hono, type Context } from 'hono';
import { getAddress, isAddress } from 'viem';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { HttpError } from '../http/errors.ts';
import type { AccessLog } from '../audit/accessLog.ts';
import { auditEventFromEntry, capabilityStatement, consentFromGrant } from '../fhir/mapping.ts';
import { grantView } from './consent.ts';
import type { DataRouteDeps, GatewayEnv } from './types.ts';

const FHIR_JSON = { 'content-type': 'application/fhir+json' };

/** Accepts `0x…`, `Patient/0x…` or `urn:ethereum:address|0x…`. */
function patientParam(c: Context, allowed: string[]): string {
  for (const name of [...c.req.queries() ? Object.keys(c.req.queries()) : []]) {
    if (!allowed.includes(name)) throw new HttpError(400, `unknown search parameter ${name}`, 'not-supported');
  }
  const raw = c.req.query('patient');
  if (!raw) throw new HttpError(400, 'the patient search parameter is required', 'required');
  const value = raw.replace(/^urn:ethereum:address\|/, '').replace(/^Patient\//, '');
  if (!isAddress(value)) throw new HttpError(400, `patient must be an Ethereum address, got ${JSON.stringify(raw.slice(0, 60))}`, 'value');
  return getAddress(value);
}

function searchset(c: Context, resources: Resource[]): Bundle {
  return {
    resourceType: 'Bundle', type: 'searchset', total: resources.length,
    link: [{ relation: 'self', url: c.req.url }],
    entry: resources.map((resource) => ({ fullUrl: `${new URL(c.req.url).origin}/fhir/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } })),
  };
}

export function fhirRoutes(deps: DataRouteDeps & { accessLog: AccessLog }) {
  const app = new Hono<GatewayEnv>();
  const privileged = (role: string) => role === 'admin' || role === 'auditor';

  app.get('/metadata', (c) => c.json(capabilityStatement(new URL(c.req.url).origin), 200, FHIR_JSON));

  const signedIn = (c: Context<GatewayEnv>) => {
    const s = c.get('session');
    if (!s) throw new HttpError(401, 'sign in first (POST /auth/nonce, then /auth/verify)', 'login');
    return s;
  };

  app.get('/Consent', async (c) => {
    const s = signedIn(c);
    const patient = patientParam(c, ['patient', '_count']);
    const rows = await deps.index.query<Parameters<typeof grantView>[0]>('SELECT * FROM grants WHERE patient = $1 ORDER BY grant_id', [patient.toLowerCase()]);
    const now = await deps.access.clock();
    // The patient, auditors and admins see all of a patient's consents; a grantee sees those made to them.
    const visible = rows.map((r) => grantView(r, now)).filter((g) => g.patient === s.address || g.grantee === s.address || privileged(s.role));
    return c.json(searchset(c, visible.map(consentFromGrant)), 200, FHIR_JSON);
  });

  app.get('/Consent/:id', async (c) => {
    const s = signedIn(c);
    const match = /^grant-(\d{1,18})$/.exec(c.req.param('id'));
    if (!match) throw new HttpError(404, `no Consent ${c.req.param('id').slice(0, 40)}`, 'not-found');
    const [row] = await deps.index.query<Parameters<typeof grantView>[0]>('SELECT * FROM grants WHERE grant_id = $1', [Number(match[1])]);
    if (!row) throw new HttpError(404, `no Consent grant-${match[1]}`, 'not-found');
    const g = grantView(row, await deps.access.clock());
    if (g.patient !== s.address && g.grantee !== s.address && !privileged(s.role)) throw new HttpError(403, 'this consent is not yours', 'forbidden');
    return c.json(consentFromGrant(g), 200, FHIR_JSON);
  });

  app.get('/AuditEvent', async (c) => {
    const s = signedIn(c);
    const patient = patientParam(c, ['patient', '_count']);
    if (patient !== s.address && !privileged(s.role)) throw new HttpError(403, 'you may read only the audit trail about you', 'forbidden');
    const count = Number(c.req.query('_count') ?? 100);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new HttpError(400, '_count must be 1..1000', 'value');
    const entries = await deps.accessLog.entries({ patient, limit: count });
    return c.json(searchset(c, entries.map(auditEventFromEntry)), 200, FHIR_JSON);
  });

  return app;
}
