/**
 * `POST /fhir/{type}`: validates, then encrypts and registers the resource from the caller's
 * account (201, Location …/_history/1, ETag, Last-Modified, Prefer: return=).
 */
import type { Context } from 'hono';
import { fail } from '../../http/errors.ts';
import { writeResponse } from '../../fhir/http.ts';
import { patientOf } from '../../fhir/resources.ts';
import type { GatewayEnv } from '../types.ts';
import { fhirBody, signedIn, typeOf, validated, withMeta, type FhirClinicalContext } from './shared.ts';

export function create(ctx: FhirClinicalContext) {
  const { clinical } = ctx;
  return async (c: Context<GatewayEnv, '/:type'>) => {
    const s = signedIn(c);
    const type = typeOf(c);
    // Declared as conditionalCreate: false in the CapabilityStatement.
    if (c.req.header('if-none-exist') !== undefined) fail(400, 'conditional create (If-None-Exist) is not supported: search first, then create', { fhirIssue: 'not-supported' });
    const resource = await fhirBody(c);
    if (resource.resourceType !== type) fail(400, `resourceType ${JSON.stringify(resource.resourceType)} does not match the URL (${type})`, { fhirIssue: 'invalid' });
    clinical.accountOf(s);
    const checked = validated(resource);
    if (type === 'Patient') {
      const patient = patientOf(checked);
      if (patient && await clinical.patientRecordOf(patient)) fail(409, `Patient/${patient.toLowerCase()} exists: update it with PUT`, { fhirIssue: 'duplicate' });
    }
    const written = await clinical.create(s, checked);
    const body = withMeta(written, written.recordId, patientOf(checked)!);
    return writeResponse(c, 201, ctx.baseUrl(), body, written.version, written.timestamp);
  };
}
