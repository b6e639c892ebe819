/**
 * The FHIR RESTful API's HTTP rules (http://hl7.org/fhir/R4/http.html), shared by every /fhir
 * route: JSON only (`_format`, Accept and Content-Type negotiation: 406 / 415 otherwise),
 * `application/fhir+json; charset=utf-8` on every response, searchset paging with `_count` /
 * `_offset` and next/previous links, and write responses with Location, ETag, Last-Modified and
 * `Prefer: return=`. URLs are built from the configured public URL, never from the request's Host.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { fail } from '../http/errors.ts';

export const FHIR_CONTENT_TYPE = 'application/fhir+json; charset=utf-8';
export const FHIR_JSON = { 'content-type': FHIR_CONTENT_TYPE };
type Json = Record<string, unknown> & { resourceType: string };

const JSON_TYPES = /^(application\/fhir\+json|application\/json|application\/json\+fhir|json|\*\/\*|application\/\*)$/i;
const XML_TYPES = /xml/i;

/** 406 for `_format` or an Accept header that asks only for something other than JSON; 415 for a body that is not JSON. */
export const contentNegotiation: MiddlewareHandler = async (c, next) => {
  const format = c.req.query('_format');
  if (format !== undefined && !JSON_TYPES.test(format.trim())) {
    fail(406, `_format ${JSON.stringify(format.slice(0, 40))} is not served: this server speaks FHIR JSON only (_format=json)`, { fhirIssue: 'not-supported' });
  }
  const accept = c.req.header('accept');
  if (accept && format === undefined) {
    const types = accept.split(',').map((t) => t.split(';', 1)[0]!.trim()).filter(Boolean);
    if (types.length > 0 && !types.some((t) => JSON_TYPES.test(t) || t === 'text/*' || t === 'application/fhir+ndjson')) {
      fail(406, `Accept ${JSON.stringify(accept.slice(0, 60))}: this server speaks FHIR JSON only (application/fhir+json)`, { fhirIssue: 'not-supported' });
    }
  }
  if (c.req.method === 'POST' || c.req.method === 'PUT') {
    const type = (c.req.header('content-type') ?? '').split(';', 1)[0]!.trim();
    const form = type === 'application/x-www-form-urlencoded' && c.req.path.endsWith('/_search');
    if (type && !form && (XML_TYPES.test(type) || !JSON_TYPES.test(type))) {
      fail(415, `Content-Type ${JSON.stringify(type.slice(0, 60))} is not accepted: send application/fhir+json`, { fhirIssue: 'not-supported' });
    }
  }
  await next();
  // The FHIR JSON MIME type with its charset on every answer (http.html#mime-type: SHALL).
  if (/^application\/(fhir\+)?json/.test(c.res.headers.get('content-type') ?? '')) c.res.headers.set('content-type', FHIR_CONTENT_TYPE);
};

/** A Unix time as an HTTP-date (RFC 9110 §5.6.7), for Last-Modified. */
export const httpDate = (unixSeconds: number) => new Date(unixSeconds * 1000).toUTCString();

export interface Page { count: number; offset: number }
const MAX_COUNT = 1000;
const DEFAULT_COUNT = 50;

/** `_count` (1..1000, default 50) and `_offset` (our paging cursor) of a search. */
export function pageOf(params: URLSearchParams): Page {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    const n = Number(raw);
    if (!/^\d{1,9}$/.test(raw) || n < min || n > max) fail(400, `${name} must be a whole number ${min}..${max}`, { fhirIssue: 'value' });
    return n;
  };
  return { count: num('_count', DEFAULT_COUNT, 0, MAX_COUNT), offset: num('_offset', 0, 0, 1e9) };
}

/**
 * A searchset of one page of `all` matches: `total` counts every match the caller may see, links
 * self / first / next / previous page through them (the links carry the search, `_count` and
 * `_offset`). `path` is the FHIR path searched (`Observation`), `params` the search as received.
 */
export function searchsetPage(base: string, path: string, params: URLSearchParams, page: Page, total: number, resources: Resource[], fullUrlOf: (r: Resource) => string): Bundle {
  const link = (offset: number) => {
    const q = new URLSearchParams(params);
    q.delete('_offset');
    q.delete('_format');
    q.set('_count', String(page.count));
    if (offset > 0) q.set('_offset', String(offset));
    return `${base}/fhir/${path}?${q.toString()}`;
  };
  const links: NonNullable<Bundle['link']> = [{ relation: 'self', url: link(page.offset) }, { relation: 'first', url: link(0) }];
  if (page.count > 0 && page.offset + page.count < total) links.push({ relation: 'next', url: link(page.offset + page.count) });
  if (page.offset > 0) links.push({ relation: 'previous', url: link(Math.max(0, page.offset - Math.max(page.count, 1))) });
  return {
    resourceType: 'Bundle', type: 'searchset', total, link: links,
    entry: resources.map((resource) => ({ fullUrl: fullUrlOf(resource), resource, search: { mode: 'match' as const } })),
  };
}

/** Search parameters from the query and, for POST [type]/_search, the form body (http.html#search). */
export async function searchParamsOf(c: Context): Promise<URLSearchParams> {
  const params = new URL(c.req.url).searchParams;
  if (c.req.method === 'POST') {
    const type = (c.req.header('content-type') ?? '').split(';', 1)[0]!.trim();
    if (type !== 'application/x-www-form-urlencoded' && type !== '') fail(415, 'POST _search takes application/x-www-form-urlencoded parameters', { fhirIssue: 'not-supported' });
    const form = new URLSearchParams(await c.req.text());
    for (const [k, v] of form) params.append(k, v);
  }
  return params;
}

type Prefer = 'minimal' | 'representation' | 'OperationOutcome';
function preferOf(c: Context): Prefer {
  const m = /return=(minimal|representation|OperationOutcome)/.exec(c.req.header('prefer') ?? '');
  return (m?.[1] as Prefer | undefined) ?? 'representation';
}

/**
 * The answer to a create or update (http.html#create, #update, #ops): Location with the version,
 * ETag, Last-Modified, and the body the client asked for with `Prefer: return=`.
 */
export function writeResponse(c: Context, status: 200 | 201, base: string, resource: Json, version: number, timestamp: number) {
  const headers: Record<string, string> = {
    ...FHIR_JSON, location: `${base}/fhir/${resource.resourceType}/${resource.id as string}/_history/${version}`, etag: `W/"${version}"`, 'last-modified': httpDate(timestamp),
  };
  const prefer = preferOf(c);
  if (prefer === 'minimal') return c.body(null, status, headers);
  if (prefer === 'OperationOutcome') {
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: `${status === 201 ? 'created' : 'updated'} ${resource.resourceType}/${resource.id as string} version ${version}` }],
    };
    return c.json(outcome, status, headers);
  }
  return c.json(resource, status, headers);
}

/** A history Bundle entry's request and response (bdl-3: every history entry says how it came to be). */
export function historyEntry(base: string, resource: Json, version: number, timestamp: number): BundleEntry {
  const type = resource.resourceType;
  const id = resource.id as string;
  return {
    fullUrl: `${base}/fhir/${type}/${id}`, resource: resource as unknown as Resource,
    request: { method: version === 1 ? 'POST' : 'PUT', url: version === 1 ? type : `${type}/${id}` },
    response: { status: version === 1 ? '201 Created' : '200 OK', etag: `W/"${version}"`, lastModified: new Date(timestamp * 1000).toISOString() },
  };
}
