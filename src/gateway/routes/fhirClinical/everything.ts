/**
 * `GET /fhir/Patient/{address}/$everything`: the patient's clinical resources and Consents the
 * caller may see, as one paged searchset.
 */
import type { Context } from 'hono';
import type { Hex } from 'viem';
import type { Resource } from '@medplum/fhirtypes';
import { HttpError } from '../../http/errors.ts';
import { FHIR_JSON, pageOf, searchsetPage } from '../../fhir/http.ts';
import { CLINICAL_TYPES, addressFromReference } from '../../fhir/resources.ts';
import { consentFromGrant } from '../../fhir/mapping.ts';
import { decodePurpose, grantView } from '../consent.ts';
import { grantRepository } from '../../repository/grants.ts';
import { blockTimes } from '../../repository/blockTimes.ts';
import type { GatewayEnv } from '../types.ts';
import { signedIn, withMeta, type FhirClinicalContext, type Json } from './shared.ts';

export function everything(ctx: FhirClinicalContext) {
  const blockTime = blockTimes(ctx.client);
  return async (c: Context<GatewayEnv, '/Patient/:id/$everything'>) => {
    const s = signedIn(c);
    const params = new URL(c.req.url).searchParams;
    for (const name of params.keys()) if (!['_count', '_offset', '_format'].includes(name)) throw new HttpError(400, `$everything takes _count and _offset, not ${name.slice(0, 40)}`, 'not-supported');
    const page = pageOf(params);
    const patient = addressFromReference(c.req.param('id'));
    if (!patient) throw new HttpError(404, `no Patient/${c.req.param('id').slice(0, 70)} (a Patient's id is its account address)`, 'not-found');
    const found = await ctx.clinical.search(s, patient, [...CLINICAL_TYPES]);
    const resources = found.map((f) => withMeta(f, f.recordId, patient));
    const now = await ctx.access.clock();
    const grants = await grantRepository(ctx.index).ofPatient(patient);
    const consents = await Promise.all(grants.filter((g) => {
      const v = grantView(g, now);
      return v.patient === s.address || v.grantee === s.address;
    }).map(async (g) => {
      const view = grantView(g, now, await decodePurpose(ctx, g.patient, g.grantee, g.purpose));
      const scopeType = view.scope.kind === 'category' ? await ctx.categories.typeOf(view.patient, view.scope.value as Hex) : undefined;
      return consentFromGrant({ ...view, scopeType, grantedAt: await blockTime(Number(g.created_block)) }) as unknown as Json;
    }));
    const all = [...resources, ...consents];
    return c.json(searchsetPage(ctx.baseUrl(), `Patient/${patient.toLowerCase()}/$everything`, params, page, all.length, all.slice(page.offset, page.offset + page.count) as unknown as Resource[], ctx.fullUrl), 200, FHIR_JSON);
  };
}
