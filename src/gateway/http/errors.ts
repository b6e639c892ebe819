/**
 * One error policy for every route: a clear message and the right 4xx for bad input, a generic 500
 * for everything else (never a stack trace or an internal message to the client). Under /fhir the
 * body is a FHIR OperationOutcome.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import type { Logger } from 'pino';

/** FHIR issue type codes by HTTP status (http://hl7.org/fhir/valueset-issue-type.html). */
const fhirCode: Record<number, string> = {
  400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 405: 'not-supported', 409: 'conflict', 410: 'deleted',
  413: 'too-costly', 415: 'not-supported', 422: 'processing', 429: 'throttled',
};

export function operationOutcome(status: number, diagnostics: string, code?: string) {
  return {
    resourceType: 'OperationOutcome' as const,
    issue: [{ severity: status >= 500 ? 'fatal' : 'error', code: code ?? fhirCode[status] ?? (status >= 500 ? 'exception' : 'invalid'), diagnostics }],
  };
}

/** An error a route throws on purpose; `code` is an optional FHIR issue type. */
export class HttpError extends HTTPException {
  constructor(status: 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 503, message: string, readonly fhirIssue?: string) {
    super(status, { message });
  }
}

export function errorResponse(c: Context, status: number, message: string, fhirIssue?: string, headers: Record<string, string> = {}) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  if (c.req.path === '/fhir' || c.req.path.startsWith('/fhir/')) {
    return c.json(operationOutcome(status, message, fhirIssue), status as 400, { 'content-type': 'application/fhir+json' });
  }
  return c.json({ error: message }, status as 400);
}

export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof ZodError) {
      return errorResponse(c, 400, error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
    }
    if (error instanceof HTTPException) {
      const response = error.getResponse();
      const headers: Record<string, string> = {};
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter) headers['retry-after'] = retryAfter;
      return errorResponse(c, error.status, error.message || response.statusText || 'request refused', (error as HttpError).fhirIssue, headers);
    }
    // Unexpected: log the error type and message server-side (no bodies, no PHI), answer generically.
    log.error({ err: { type: error.name, message: error.message }, path: c.req.routePath }, 'unhandled error');
    return errorResponse(c, 500, 'internal error');
  };
}
