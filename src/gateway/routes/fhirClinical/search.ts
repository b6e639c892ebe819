/**
 * `GET|POST /fhir/{type}[/_search]?…&_count=&_offset=`: a search over the type's declared
 * parameters (fhir/searchParams.ts), decrypted and filtered exactly; `total` counts every match the
 * caller may see. Every clinical search is within one patient.
 */
import type { Context } from 'hono';
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../http/errors.ts';
import { FHIR_JSON, pageOf, searchParamsOf, searchsetPage } from '../../fhir/http.ts';
import { ADDRESS_SYSTEM, matchesDate, parseDateSearch } from '../../fhir/resources.ts';
import { CLINICAL_SEARCH, RESULT_PARAMS, codingsIn, dateFieldOf, tokenMatches } from '../../fhir/searchParams.ts';
import type { GatewayEnv } from '../types.ts';
import { patientReference, signedIn, typeOf, withMeta, type FhirClinicalContext } from './shared.ts';

export function search(ctx: FhirClinicalContext) {
  return async (c: Context<GatewayEnv>) => {
    const s = signedIn(c);
    const type = typeOf(c);
    const declared = CLINICAL_SEARCH[type];
    if (declared.length === 0) fail(400, `${type} is not searchable here (R4 defines no search parameters for it): read it by id`, { fhirIssue: 'not-supported' });
    const params = await searchParamsOf(c);
    for (const name of params.keys()) {
      const base = name.split(':', 1)[0]!;
      if (name.includes(':')) fail(400, `search modifiers are not supported (${name.slice(0, 40)})`, { fhirIssue: 'not-supported' });
      if (!declared.some((p) => p.name === base) && !(RESULT_PARAMS as readonly string[]).includes(base)) {
        fail(400, `unknown search parameter ${name.slice(0, 40)} for ${type} (supported: ${[...declared.map((p) => p.name), ...RESULT_PARAMS].join(', ')})`, { fhirIssue: 'not-supported' });
      }
    }
    const page = pageOf(params);

    // Whose records: every clinical search is within one patient.

    const refs = declared.filter((p) => p.type === 'reference').flatMap((p) => params.getAll(p.name).map((v) => patientReference(p.name, v)));
    if (type === 'Patient') {
      for (const v of params.getAll('_id')) refs.push(patientReference('_id', v));
      for (const v of params.getAll('identifier')) {
        if (!v.startsWith(`${ADDRESS_SYSTEM}|`)) fail(400, `identifier must be ${ADDRESS_SYSTEM}|<address>`, { fhirIssue: 'value' });
        refs.push(patientReference('identifier', v));
      }
    }
    if (new Set(refs).size > 1) fail(400, 'one patient per search', { fhirIssue: 'not-supported' });
    const patient = refs[0] ?? (s.role === 'patient' ? s.address : undefined);
    if (!patient) fail(400, `say whose records: ${type === 'Patient' ? '_id or identifier' : 'the patient parameter'} (Patient/<address>)`, { fhirIssue: 'required' });

    const tokens = declared.filter((p) => p.type === 'token' && p.name !== '_id' && p.name !== 'identifier').map((p) => ({ p, values: params.getAll(p.name) })).filter((t) => t.values.length > 0);
    for (const t of tokens) for (const v of t.values) if (v.length === 0 || v.length > 400) fail(400, `${t.p.name} must be system|code or code`, { fhirIssue: 'value' });
    const dates = declared.filter((p) => p.type === 'date').flatMap((p) => params.getAll(p.name).map((raw) => {
      const parsed = parseDateSearch(raw);
      if (!parsed) fail(400, `${p.name} must look like [prefix]YYYY[-MM[-DD[Thh:mm[:ss]]]], got ${JSON.stringify(raw.slice(0, 40))}`, { fhirIssue: 'value' });
      return { p, parsed };
    }));
    // One system|code value narrows candidates through the blind index before decryption.
    const narrowing = tokens.length === 1 && tokens[0]!.values.length === 1 && !tokens[0]!.values[0]!.includes(',') ? tokens[0]!.values[0] : undefined;
    const found = (await ctx.clinical.search(s, patient, [type], narrowing)).filter((f) =>
      tokens.every((t) => t.values.every((v) => v.split(',').some((one) => tokenMatches(codingsIn(f.resource, t.p.fields), one))))
      && dates.every((d) => matchesDate(dateFieldOf(f.resource, d.p.fields), d.parsed)));
    const shown = found.slice(page.offset, page.offset + page.count).map((f) => withMeta(f, f.recordId, patient) as unknown as Resource);
    return c.json(searchsetPage(ctx.baseUrl(), type, params, page, found.length, shown, ctx.fullUrl), 200, FHIR_JSON);
  };
}
