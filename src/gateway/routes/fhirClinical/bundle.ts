/**
 * `POST /fhir` (or `/fhir/`): a Bundle of type transaction or batch. A transaction's entries are
 * all validated and authorized before the first write, so bad input or missing consent fails the
 * whole Bundle with nothing written; the writes are then separate chain transactions made in order
 * (the contracts have no multi-record call).
 */
import type { Context } from 'hono';
import type { Address, Hex } from 'viem';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { fail, operationOutcome, refusalOf } from '../../http/errors.ts';
import { FHIR_JSON } from '../../fhir/http.ts';
import { isClinicalType, patientOf, type ClinicalType } from '../../fhir/resources.ts';
import { logDenial } from '../../repository/authorize.ts';
import type { GatewayEnv } from '../types.ts';
import { Permission } from '../../../sdk/contracts.ts';
import { expectedVersion, fhirBody, signedIn, validated, withMeta, type FhirClinicalContext, type Json } from './shared.ts';

const MAX_BUNDLE_ENTRIES = 100;

/** A batch entry refused (by this route or by the clinical store), as the edge would answer it. */
type Failed = { failed: NonNullable<ReturnType<typeof refusalOf>> };

/** A batch entry that failed: its status and an OperationOutcome. */
function failedEntry({ failed }: Failed): BundleEntry {
  return { response: { status: String(failed.status), outcome: operationOutcome(failed.status, failed.message, failed.fhirIssue) as OperationOutcome } };
}

export function bundle(ctx: FhirClinicalContext) {
  const { clinical, fullUrl } = ctx;
  return async (c: Context<GatewayEnv>) => {
    const s = signedIn(c);
    const body = await fhirBody(c);
    if (body.resourceType !== 'Bundle') fail(400, 'POST /fhir takes a Bundle of type transaction or batch', { fhirIssue: 'invalid' });
    const kind = body.type;
    if (kind !== 'transaction' && kind !== 'batch') fail(400, 'Bundle.type must be transaction or batch', { fhirIssue: 'value' });
    const entries = (body.entry as BundleEntry[] | undefined) ?? [];
    if (entries.length === 0 || entries.length > MAX_BUNDLE_ENTRIES) fail(400, `a Bundle needs 1..${MAX_BUNDLE_ENTRIES} entries`, { fhirIssue: 'value' });
    validated(body);
    clinical.accountOf(s);
    type Planned = { method: 'POST' | 'PUT'; type: ClinicalType; recordId?: Hex; patient: Address; expected?: number; resource: Json };
    const plan: Array<Planned | Failed> = [];
    for (const [i, entry] of entries.entries()) {
      try {
        const method = entry.request?.method;
        const resource = entry.resource as unknown as Json | undefined;
        if ((method !== 'POST' && method !== 'PUT') || !resource) fail(400, `entry ${i}: only POST and PUT entries with a resource are supported`, { fhirIssue: 'not-supported' });
        if (!isClinicalType(resource.resourceType)) fail(400, `entry ${i}: resource type ${resource.resourceType} is not served here`, { fhirIssue: 'not-supported' });
        if (entry.request?.ifNoneExist) fail(400, `entry ${i}: conditional create (ifNoneExist) is not supported`, { fhirIssue: 'not-supported' });
        const url = (entry.request?.url ?? '').replace(/^https?:\/\/[^?#]*\/fhir\//, '');
        let target: { recordId: Hex; patient: Address; category: Hex } | undefined;
        if (method === 'PUT') {
          const m = /^(\w+)\/([0-9a-zA-Z]{40,64})$/.exec(url);
          if (!m || m[1] !== resource.resourceType) fail(400, `entry ${i}: PUT needs request.url {type}/{id}`, { fhirIssue: 'value' });
          if (resource.id !== undefined && String(resource.id).toLowerCase() !== m[2]!.toLowerCase()) fail(400, `entry ${i}: the resource id does not match request.url`, { fhirIssue: 'invalid' });
          target = await ctx.recordOf(resource.resourceType, m[2]!);
        } else if (url !== resource.resourceType) fail(400, `entry ${i}: POST needs request.url ${resource.resourceType}`, { fhirIssue: 'value' });
        const checked = validated(resource);
        // Authorization before any write: the caller must hold write access to every target now.
        const patient = target?.patient ?? patientOf(checked);
        if (!patient) fail(400, `entry ${i}: say whose record this is (subject or patient reference)`, { fhirIssue: 'required' });
        const decision = await ctx.access.authorizeRecord({ patient, accessor: s.address, category: target?.category ?? await ctx.categories.categoryFor(patient, resource.resourceType), recordId: target?.recordId ?? `0x${'00'.repeat(32)}`, permission: Permission.Write });
        if (!decision.allowed) {
          await logDenial(ctx, s, patient, target?.recordId, `bundle-${method === 'PUT' ? 'update' : 'create'}`, decision.reason);
          fail(403, `entry ${i}: access denied: ${decision.reason}`, { fhirIssue: 'forbidden', reason: decision.reason });
        }
        plan.push({ method, type: resource.resourceType, recordId: target?.recordId, patient, expected: expectedVersion(entry.request?.ifMatch), resource: checked });
      } catch (error) {
        if (kind === 'transaction') throw error;
        plan.push({ failed: refusalOf(error) ?? { status: 400, message: `entry ${i}: ${(error as Error).message}`, details: {} } });
      }
    }
    const responses: BundleEntry[] = [];
    for (const p of plan) {
      if ('failed' in p) {
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
        const failed = refusalOf(error);
        if (!failed) throw error;
        responses.push(failedEntry({ failed }));
      }
    }
    return c.json({ resourceType: 'Bundle', type: kind === 'transaction' ? 'transaction-response' : 'batch-response', entry: responses } satisfies Bundle, 200, FHIR_JSON);
  };
}
