import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessDeniedError, ChainRefusedError, ConflictError, GatewayError, InvalidInputError, NotFoundError, RateLimitedError, UnauthenticatedError,
  gatewayErrorFrom, revertText,
} from './errors.ts';

test('gatewayErrorFrom gives each refusal its class, code and details', () => {
  const cases: Array<[number, unknown, new (...a: never[]) => GatewayError, string]> = [
    [400, { error: 'x: required', code: 'invalid_input' }, InvalidInputError, 'invalid_input'],
    [401, { error: 'sign in first', code: 'unauthenticated' }, UnauthenticatedError, 'unauthenticated'],
    [403, { error: 'access denied: no-grant', code: 'access_denied', reason: 'no-grant' }, AccessDeniedError, 'access_denied'],
    [404, { error: 'no such record', code: 'not_found' }, NotFoundError, 'not_found'],
    [410, { error: 'erased', code: 'gone' }, NotFoundError, 'gone'],
    [409, { error: 'already', code: 'conflict' }, ConflictError, 'conflict'],
    [429, { error: 'slow down', code: 'rate_limited' }, RateLimitedError, 'rate_limited'],
    [422, { error: 'the chain refused: InvalidSignature', code: 'chain_refused', errorName: 'InvalidSignature', args: [] }, ChainRefusedError, 'chain_refused'],
    [403, { error: 'the chain refused the write: NotActiveProvider', code: 'chain_refused', errorName: 'NotActiveProvider', args: ['0xab'] }, ChainRefusedError, 'chain_refused'],
    [500, { error: 'internal error', code: 'internal' }, GatewayError, 'internal'],
    // A FHIR route's OperationOutcome, and a body that is not JSON: still a message and a code by status.
    [404, { resourceType: 'OperationOutcome', issue: [{ diagnostics: 'Patient/1 not found' }] }, NotFoundError, 'not_found'],
    [502, 'Bad Gateway', GatewayError, 'error'],
  ];
  for (const [status, body, type, code] of cases) {
    const e = gatewayErrorFrom(status, body, 'status text');
    assert.ok(e instanceof type, `${status} ${JSON.stringify(body)} → ${type.name}, got ${e.name}`);
    assert.ok(e instanceof GatewayError);
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    assert.match(e.message, new RegExp(`^${status} \\S`));
  }
  const denied = gatewayErrorFrom(403, { error: 'access denied: expired', code: 'access_denied', reason: 'expired' }) as AccessDeniedError;
  assert.equal(denied.reason, 'expired');
  const refused = gatewayErrorFrom(403, { error: '…', code: 'chain_refused', errorName: 'NotActiveProvider', args: ['0xab'] }) as ChainRefusedError;
  assert.equal(revertText(refused), 'NotActiveProvider(0xab)');
});
