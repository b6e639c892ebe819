/** `GET /fhir/{type}/{id}`: the latest version, with its ETag and Last-Modified. */
import type { Context } from 'hono';
import type { GatewayEnv } from '../types.ts';
import { readHeaders, signedIn, typeOf, withMeta, type FhirClinicalContext } from './shared.ts';

export function read(ctx: FhirClinicalContext) {
  return async (c: Context<GatewayEnv, '/:type/:id'>) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const { recordId, patient } = await ctx.recordOf(type, c.req.param('id'));
    const v = await ctx.clinical.read(s, type, recordId);
    return c.json(withMeta(v, recordId, patient), 200, readHeaders(v));
  };
}
