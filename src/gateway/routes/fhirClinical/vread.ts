/** `GET /fhir/{type}/{id}/_history/{vid}`: one version of the record. */
import type { Context } from 'hono';
import { fail } from '../../http/errors.ts';
import type { GatewayEnv } from '../types.ts';
import { readHeaders, signedIn, typeOf, withMeta, type FhirClinicalContext } from './shared.ts';

export function vread(ctx: FhirClinicalContext) {
  return async (c: Context<GatewayEnv, '/:type/:id/_history/:vid'>) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const { recordId, patient } = await ctx.recordOf(type, c.req.param('id'));
    const vid = c.req.param('vid');
    if (!/^\d{1,9}$/.test(vid)) fail(404, `no version ${vid.slice(0, 20)}`, { fhirIssue: 'not-found' });
    const v = await ctx.clinical.read(s, type, recordId, Number(vid));
    return c.json(withMeta(v, recordId, patient), 200, readHeaders(v));
  };
}
