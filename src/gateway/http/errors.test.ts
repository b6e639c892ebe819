import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import pino from 'pino';
import { STATUS_OF_KIND, errorHandler, fail, refusalOf } from './errors.ts';
import { Refusal, type RefusalKind } from '../refusal.ts';
import { PeerUnavailableError } from '../peers/errors.ts';

/** A real Hono app with the gateway's error policy, whose routes throw what the query names. */
function app() {
  const a = new Hono();
  a.onError(errorHandler(pino({ level: 'silent' })));
  const raise = (kind: string, issue?: string) => { throw new Refusal(kind as RefusalKind, `refused as ${kind}`, issue, kind === 'forbidden' ? { reason: 'no live grant' } : {}); };
  a.get('/api/refusal/:kind', (c) => raise(c.req.param('kind')));
  a.get('/fhir/refusal/:kind', (c) => raise(c.req.param('kind'), c.req.query('issue')));
  a.get('/api/fail', () => fail(409, 'already done', { code: 'already_done' }));
  a.get('/fhir/fail', () => fail(400, '_count must be a whole number', { fhirIssue: 'value' }));
  a.get('/api/boom', () => { throw new Error('secret 0xdeadbeefdeadbeef at /var/lib'); });
  return a;
}

test('a service refusal reaches the client with the status of its kind, the one JSON shape, and no stack', async () => {
  for (const [kind, status] of Object.entries(STATUS_OF_KIND)) {
    const res = await app().request(`/api/refusal/${kind}`);
    assert.equal(res.status, status, kind);
    const body = await res.json() as Record<string, unknown>;
    assert.equal(body.error, `refused as ${kind}`);
    assert.equal(typeof body.code, 'string');
    assert.ok(!JSON.stringify(body).includes('at '), 'no stack trace');
    if (kind === 'forbidden') assert.equal(body.reason, 'no live grant');
    if (kind === 'unauthenticated') assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
  }
});

test('under /fhir the same refusal is an OperationOutcome carrying the service\'s issue type', async () => {
  const res = await app().request('/fhir/refusal/gone?issue=deleted');
  assert.equal(res.status, 410);
  assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
  assert.deepEqual(await res.json(), { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'deleted', diagnostics: 'refused as gone' }] });
  const plain = await (await app().request('/fhir/refusal/not-found')).json() as { issue: Array<{ code: string }> };
  assert.equal(plain.issue[0]!.code, 'not-found', 'without an issue type the status names it');
});

test('fail() is the routes\' refusal: details in the body, the FHIR issue type in OperationOutcomes only', async () => {
  const res = await app().request('/api/fail');
  assert.equal(res.status, 409);
  assert.deepEqual(await res.json(), { error: 'already done', code: 'already_done' });
  const fhir = await app().request('/fhir/fail');
  assert.equal(fhir.status, 400);
  assert.equal((await fhir.json() as { issue: Array<{ code: string }> }).issue[0]!.code, 'value');
  const boom = await app().request('/api/boom');
  assert.equal(boom.status, 500);
  assert.deepEqual(await boom.json(), { error: 'internal error', code: 'internal' });
});

test('refusalOf reads both layers alike, and nothing else', () => {
  assert.deepEqual(refusalOf(new PeerUnavailableError('record r', ['a'])), { status: 503, message: 'record r is held at hospital a, which cannot be reached now, and no reachable hospital holds a copy; try again later', fhirIssue: undefined, details: {} });
  let thrown: unknown;
  try { fail(404, 'no such record', { fhirIssue: 'not-found' }); } catch (error) { thrown = error; }
  assert.deepEqual(refusalOf(thrown), { status: 404, message: 'no such record', fhirIssue: 'not-found', details: {} });
  assert.equal(refusalOf(new Error('x')), undefined);
});
