/**
 * Interactions not offered (DELETE, PATCH, conditional update / delete / patch), answered as the
 * spec says — 405 with Allow, or 400 — rather than falling through to a 404.
 */
import type { Context } from 'hono';
import { HttpError } from '../../http/errors.ts';

/** DELETE or PATCH on `{type}/{id}`: 405. */
export function methodNotAllowed(c: Context): never {
  c.header('allow', 'GET, PUT');
  throw new HttpError(405, `${c.req.method} is not supported: versions live on chain; a patient erases a record through /api/records/{id}/erase`, 'not-supported');
}

export function conditionalDelete(): never { throw new HttpError(400, 'conditional delete is not supported', 'not-supported'); }
export function conditionalUpdate(): never { throw new HttpError(400, 'an update needs an id: PUT /fhir/{type}/{id} (conditional update is not supported)', 'not-supported'); }
export function conditionalPatch(): never { throw new HttpError(400, 'conditional patch is not supported', 'not-supported'); }
