/** `PUT /fhir/{type}/{id}`: a new version (If-Match: W/"n"; a stale version → 412). */
import type { Context } from 'hono';
import { fail } from '../../http/errors.ts';
import { writeResponse } from '../../fhir/http.ts';
import type { GatewayEnv } from '../types.ts';
import { expectedVersion, fhirBody, signedIn, typeOf, validated, withMeta, type FhirClinicalContext } from './shared.ts';

export function update(ctx: FhirClinicalContext) {
  const { clinical } = ctx;
  return async (c: Context<GatewayEnv, '/:type/:id'>) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const resource = await fhirBody(c);
    if (resource.resourceType !== type) fail(400, `resourceType ${JSON.stringify(resource.resourceType)} does not match the URL (${type})`, { fhirIssue: 'invalid' });
    // http.html#update: the body SHALL carry an id equal to the URL's.
    if (resource.id === undefined) fail(400, 'an update needs the resource id in the body (the same as in the URL)', { fhirIssue: 'required' });
    if (String(resource.id).toLowerCase() !== c.req.param('id').toLowerCase()) fail(400, 'the resource id does not match the URL', { fhirIssue: 'invalid' });
    const expected = expectedVersion(c.req.header('if-match'));
    clinical.accountOf(s);
    const checked = validated(resource);
    const { recordId, patient } = await ctx.recordOf(type, c.req.param('id'));
    const written = await clinical.update(s, type, recordId, checked, expected);
    return writeResponse(c, 200, ctx.baseUrl(), withMeta(written, recordId, patient), written.version, written.timestamp);
  };
}
