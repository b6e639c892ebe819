/**
 * `GET /fhir/Patient/{address}/$everything`: the patient's clinical resources and Consents the
 * caller may see, as one paged searchset.
 */
import type { Context } from 'hono';
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../http/errors.ts';
import { FHIR_JSON, pageOf, searchsetPage } from '../../fhir/http.ts';
import { CLINICAL_TYPES, addressFromReference } from '../../fhir/resources.ts';
import { grantView } from '../consent.ts';
import { grantRepository } from '../../repository/grants.ts';
import { consentsOf } from '../../fhir/consents.ts';
import type { GatewayEnv } from '../types.ts';
import { signedIn, withMeta, type FhirClinicalContext, type Json } from './shared.ts';

export function everything(ctx: FhirClinicalContext) {
  const consentOf = consentsOf(ctx);
  return async (c: Context<GatewayEnv, '/Patient/:id/$everything'>) => {
    const s = signedIn(c);
    const params = new URL(c.req.url).searchParams;
    for (const name of params.keys()) if (!['_count', '_offset', '_format'].includes(name)) fail(400, `$everything takes _count and _offset, not ${name.slice(0, 40)}`, { fhirIssue: 'not-supported' });
    const page = pageOf(params);
    const patient = addressFromReference(c.req.param('id'));
    if (!patient) fail(404, `no Patient/${c.req.param('id').slice(0, 70)} (a Patient's id is its account address)`, { fhirIssue: 'not-found' });
    const found = await ctx.clinical.search(s, patient, [...CLINICAL_TYPES]);
    const resources = found.map((f) => withMeta(f, f.recordId, patient));
    const now = await ctx.access.clock();
    const grants = await grantRepository(ctx.index).ofPatient(patient);
    // The caller's own consents only (as patient or grantee), so each names its scope's type.
    const consents = await Promise.all(grants.filter((g) => {
      const v = grantView(g, now);
      return v.patient === s.address || v.grantee === s.address;
    }).map(async (g) => await consentOf(g, now, s.address) as unknown as Json));
    const all = [...resources, ...consents];
    return c.json(searchsetPage(ctx.baseUrl(), `Patient/${patient.toLowerCase()}/$everything`, params, page, all.length, all.slice(page.offset, page.offset + page.count) as unknown as Resource[], ctx.fullUrl), 200, FHIR_JSON);
  };
}
