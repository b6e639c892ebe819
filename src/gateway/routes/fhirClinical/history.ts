/** `GET /fhir/{type}/{id}/_history`: every version of the record, as a history Bundle. */
import type { Context } from 'hono';
import type { Bundle } from '@medplum/fhirtypes';
import { FHIR_JSON, historyEntry } from '../../fhir/http.ts';
import { resourceIdOf } from '../../fhir/resources.ts';
import type { GatewayEnv } from '../types.ts';
import { signedIn, typeOf, withMeta, type FhirClinicalContext } from './shared.ts';

export function history(ctx: FhirClinicalContext) {
  return async (c: Context<GatewayEnv, '/:type/:id/_history'>) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const { recordId, patient } = await ctx.recordOf(type, c.req.param('id'));
    const versions = await ctx.clinical.history(s, type, recordId);
    const history: Bundle = {
      resourceType: 'Bundle', type: 'history', total: versions.length,
      link: [{ relation: 'self', url: `${ctx.baseUrl()}/fhir/${type}/${resourceIdOf(type, recordId, patient)}/_history` }],
      entry: versions.map((v) => historyEntry(ctx.baseUrl(), withMeta(v, recordId, patient), v.version, v.timestamp)),
    };
    return c.json(history, 200, FHIR_JSON);
  };
}
