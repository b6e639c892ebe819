/**
 * One error policy for every route: a clear message and the right 4xx for bad input, a generic 500
 * for everything else (never a stack trace or an internal message to the client). Under /fhir the
 * body is a FHIR OperationOutcome. Routes refuse with `fail` (an HttpError); services throw a
 * `Refusal` (../refusal.ts) and this edge maps its kind to the status.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import type { Logger } from 'pino';
import { ERROR_CODES } from '../../sdk/errors.ts';
import { ChainRefusal } from '../chain/relayer.ts';
import { Refusal, type RefusalDetails, type RefusalKind } from '../refusal.ts';

/** FHIR issue type codes by HTTP status (http://hl7.org/fhir/valueset-issue-type.html). */
const fhirCode: Record<number, string> = {
  400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 405: 'not-supported', 406: 'not-supported', 409: 'conflict', 410: 'deleted', 412: 'conflict',
  413: 'too-costly', 415: 'not-supported', 422: 'processing', 429: 'throttled',
};

export function operationOutcome(status: number, diagnostics: string, code?: string) {
  return {
    resourceType: 'OperationOutcome' as const,
    issue: [{ severity: status >= 500 ? 'fatal' : 'error', code: code ?? fhirCode[status] ?? (status >= 500 ? 'exception' : 'invalid'), diagnostics }],
  };
}

export type RefusalStatus = 400 | 401 | 403 | 404 | 405 | 406 | 409 | 410 | 412 | 413 | 415 | 422 | 429 | 503;
export type { RefusalDetails };

/** The HTTP status of each kind of service refusal. */
export const STATUS_OF_KIND: Record<RefusalKind, RefusalStatus> = {
  invalid: 400, unauthenticated: 401, forbidden: 403, 'not-found': 404, conflict: 409, gone: 410, stale: 412, unavailable: 503,
};

/** An error a route throws on purpose; `fhirIssue` is an optional FHIR issue type. */
export class HttpError extends HTTPException {
  constructor(status: RefusalStatus, message: string, readonly fhirIssue?: string, readonly details: RefusalDetails = {}) {
    super(status, { message });
  }
}

/** How to refuse with `fail`: body details for clients, and the FHIR issue type when the status's default says too little. */
export type FailOptions = RefusalDetails & { fhirIssue?: string };

/** Refuses the request: the one way routes do (errorHandler below writes the answer). */
export function fail(status: RefusalStatus, message: string, options: FailOptions = {}): never {
  const { fhirIssue, ...details } = options;
  throw new HttpError(status, message, fhirIssue, details);
}

/** A refusal as the edge answers it, whichever layer raised it (a route's HttpError or a service's Refusal); undefined for anything else. */
export function refusalOf(error: unknown): { status: number; message: string; fhirIssue?: string; details: RefusalDetails } | undefined {
  if (error instanceof Refusal) return { status: STATUS_OF_KIND[error.kind], message: error.message, fhirIssue: error.fhirIssue, details: error.details };
  if (error instanceof HttpError) return { status: error.status, message: error.message, fhirIssue: error.fhirIssue, details: error.details };
  return undefined;
}

/** A refusal of the contracts, relayed: the client gets the custom error's name and arguments. */
export function chainRefused(status: RefusalStatus, message: string, refusal: ChainRefusal): HttpError {
  return new HttpError(status, message, status === 403 ? 'forbidden' : 'processing', { code: 'chain_refused', errorName: refusal.errorName, args: refusal.args.map(String) });
}

export function errorResponse(c: Context, status: number, message: string, fhirIssue?: string, headers: Record<string, string> = {}, details: RefusalDetails = {}) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  // A bearer-token challenge on every 401 (RFC 6750 §3; RFC 9110 §11.6.1: a 401 SHALL carry one).
  if (status === 401) c.header('www-authenticate', 'Bearer realm="medchain"');
  if (c.req.path === '/fhir' || c.req.path.startsWith('/fhir/')) {
    return c.json(operationOutcome(status, message, fhirIssue), status as 400, { 'content-type': 'application/fhir+json; charset=utf-8' });
  }
  return c.json({ error: message, code: ERROR_CODES[status] ?? 'error', ...details }, status as 400);
}

/** A message fit for the log: its first line, with hex values (ids, addresses, hashes, calldata) and long base32/64 runs (CIDs) blanked. */
export function logSafe(message: string): string {
  return message.split('\n', 1)[0]!.replace(/0x[0-9a-fA-F]{6,}/g, '0x…').replace(/\b[0-9a-fA-F]{32,}\b/g, '…').replace(/\b[A-Za-z0-9+/_-]{40,}\b/g, '…').slice(0, 200);
}

export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof ZodError) {
      return errorResponse(c, 400, error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
    }
    if (error instanceof Refusal) return errorResponse(c, STATUS_OF_KIND[error.kind], error.message, error.fhirIssue, {}, error.details);
    if (error instanceof HTTPException) {
      const response = error.getResponse();
      const headers: Record<string, string> = {};
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter) headers['retry-after'] = retryAfter;
      const refusal = error instanceof HttpError ? error : undefined;
      return errorResponse(c, error.status, error.message || response.statusText || 'request refused', refusal?.fhirIssue, headers, refusal?.details);
    }
    if (error instanceof ChainRefusal) return errorResponse(c, 422, `the chain refused: ${error.errorName}`, 'processing', {}, { code: 'chain_refused', errorName: error.errorName, args: error.args.map(String) });
    // Unexpected: log the error type and the first line of its message server-side, answer generically.
    // Library errors (viem's) append call arguments, calldata and addresses: ids stay out of logs.
    log.error({ err: { type: error.name, message: logSafe(error.message) }, path: c.req.routePath }, 'unhandled error');
    return errorResponse(c, 500, 'internal error');
  };
}
