/**
 * Interactions not offered (DELETE, PATCH, conditional update / delete / patch), answered as the
 * spec says — 405 with Allow, or 400 — rather than falling through to a 404.
 */
import type { Context } from 'hono';
import { fail } from '../../http/errors.ts';

/** DELETE or PATCH on `{type}/{id}`: 405. */
export function methodNotAllowed(c: Context): never {
  c.header('allow', 'GET, PUT');
  fail(405, `${c.req.method} is not supported: versions live on chain; a patient erases a record through /api/records/{id}/erase`, { fhirIssue: 'not-supported' });
}

export function conditionalDelete(): never { fail(400, 'conditional delete is not supported', { fhirIssue: 'not-supported' }); }
export function conditionalUpdate(): never { fail(400, 'an update needs an id: PUT /fhir/{type}/{id} (conditional update is not supported)', { fhirIssue: 'not-supported' }); }
export function conditionalPatch(): never { fail(400, 'conditional patch is not supported', { fhirIssue: 'not-supported' }); }
