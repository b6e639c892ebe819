/**
 * Provenance from on-chain authorship, for anyone who may read the record: one per version, its id
 * the hash of the transaction that wrote it (so every fullUrl resolves).
 *
 *   GET|POST /fhir/Provenance[/_search]?target={type}/{id}   GET /fhir/Provenance/{tx}
 */
import type { Context } from 'hono';
import { getAddress, type Address, type Hex } from 'viem';
import type { Provenance } from '@medplum/fhirtypes';
import { fail } from '../../http/errors.ts';
import { FHIR_JSON, pageOf, searchParamsOf, searchsetPage } from '../../fhir/http.ts';
import { ADDRESS_SYSTEM, CLINICAL_TYPES, isClinicalType, resourceIdOf, type ClinicalType } from '../../fhir/resources.ts';
import { OTHER_SEARCH, RESULT_PARAMS } from '../../fhir/searchParams.ts';
import { authorizeAndLog } from '../../repository/authorize.ts';
import { recordRepository } from '../../repository/records.ts';
import { chainRecords } from '../../repository/chainRecords.ts';
import type { GatewayEnv } from '../types.ts';
import { Permission } from '../../../sdk/contracts.ts';
import { signedIn, type FhirClinicalContext } from './shared.ts';

async function provenanceOf(ctx: FhirClinicalContext, type: ClinicalType, recordId: Hex, patient: Address, version: number, txHash: string): Promise<Provenance> {
  const ver = await chainRecords(ctx).registryVersion(recordId, version);
  return {
    resourceType: 'Provenance', id: txHash.replace(/^0x/, '').toLowerCase(),
    target: [{ reference: `${type}/${resourceIdOf(type, recordId, patient)}/_history/${version}` }],
    recorded: new Date(Number(ver.timestamp) * 1000).toISOString(),
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: version === 1 ? 'CREATE' : 'UPDATE' }] },
    agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }] }, who: { identifier: { system: ADDRESS_SYSTEM, value: ver.author } } }],
    entity: [{ role: 'source', what: { identifier: { system: 'urn:ethereum:tx', value: txHash } } }],
  };
}

export function searchProvenance(ctx: FhirClinicalContext) {
  return async (c: Context<GatewayEnv>) => {
    const s = signedIn(c);
    const params = await searchParamsOf(c);
    const allowed = new Set<string>([...OTHER_SEARCH.Provenance.map((p) => p.name), ...RESULT_PARAMS]);
    for (const name of params.keys()) if (!allowed.has(name)) fail(400, `unknown search parameter ${name.slice(0, 40)} for Provenance (supported: ${[...allowed].join(', ')})`, { fhirIssue: 'not-supported' });
    const page = pageOf(params);
    const m = /^(?:.*\/fhir\/)?(\w+)\/([0-9a-zA-Z]{40,64})$/.exec(params.get('target') ?? '');
    if (!m || !isClinicalType(m[1]!)) fail(400, 'target must be {type}/{id} of a clinical resource', { fhirIssue: 'value' });
    const type = m[1] as ClinicalType;
    const { recordId, patient } = await ctx.recordOf(type, m[2]!);
    const record = await ctx.clinical.chainRecord(recordId, type);
    await authorizeAndLog(ctx, s, record, recordId, Permission.Read, 'provenance');
    // Versions whose transaction the indexer has seen (moments after the write).
    const rows = await recordRepository(ctx.index).versions(recordId);
    const shown = await Promise.all(rows.slice(page.offset, page.offset + page.count).map((r) => provenanceOf(ctx, type, recordId, patient, Number(r.version), r.tx_hash)));
    return c.json(searchsetPage(ctx.baseUrl(), 'Provenance', params, page, rows.length, shown, ctx.fullUrl), 200, FHIR_JSON);
  };
}

export function readProvenance(ctx: FhirClinicalContext) {
  return async (c: Context<GatewayEnv, '/Provenance/:id'>) => {
    const s = signedIn(c);
    const id = c.req.param('id');
    const row = /^[0-9a-f]{64}$/i.test(id) ? await recordRepository(ctx.index).versionByTx(`0x${id.toLowerCase()}`) : undefined;
    if (!row) fail(404, `no Provenance/${id.slice(0, 70)}`, { fhirIssue: 'not-found' });
    const onChain = await chainRecords(ctx).registryRecord(row.record_id);
    const known = /^0x0{40}$/.test(onChain.patient) ? undefined : await ctx.categories.typeOf(getAddress(onChain.patient), onChain.category);
    const type = CLINICAL_TYPES.find((t) => t === known);
    if (!type) fail(404, `no Provenance/${id.slice(0, 70)}`, { fhirIssue: 'not-found' });
    const record = await ctx.clinical.chainRecord(row.record_id, type);
    await authorizeAndLog(ctx, s, record, row.record_id, Permission.Read, 'provenance');
    return c.json(await provenanceOf(ctx, type, row.record_id, record.patient, Number(row.version), row.tx_hash), 200, FHIR_JSON);
  };
}
