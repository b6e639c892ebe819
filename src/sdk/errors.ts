/**
 * Errors a MedChain client matches on, by class (as viem's `errors/`): the gateway answers every
 * refusal with one JSON shape, `{ error, code, … }` (plus the contract's `errorName` and `args`
 * when the chain refused a relayed transaction), and `gatewayErrorFrom` turns it into one of these.
 * `describeRevert` reads a contract's custom error out of a viem error, for the three clients
 * (gateway relayer, CLI, web) that used to do it each their own way.
 */
import { BaseError, ContractFunctionRevertedError } from 'viem';

/** The machine-readable `code` of a gateway refusal, by HTTP status when the route names none. */
export const ERROR_CODES: Record<number, string> = {
  400: 'invalid_input', 401: 'unauthenticated', 403: 'access_denied', 404: 'not_found', 405: 'method_not_allowed', 406: 'not_acceptable',
  409: 'conflict', 410: 'gone', 412: 'precondition_failed', 413: 'too_large', 415: 'unsupported_media_type', 422: 'unprocessable',
  429: 'rate_limited', 500: 'internal', 503: 'unavailable',
};

/** What a gateway refusal's JSON body carries (FHIR routes answer an OperationOutcome instead). */
export interface GatewayErrorBody { error: string; code: string; reason?: string; errorName?: string; args?: string[] }

/** Any non-2xx answer of the gateway: its status, the `code` of the body and the message. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly code: string;
  constructor(readonly status: number, message: string, readonly body?: unknown) {
    super(message);
    this.code = (body as Partial<GatewayErrorBody> | undefined)?.code ?? ERROR_CODES[status] ?? 'error';
  }
}

/** 401: no session, or it expired; sign in again (SIWE). */
export class UnauthenticatedError extends GatewayError { override name = 'UnauthenticatedError'; }

/** 403: the chain's consent state does not let this account do this; `reason` says why (e.g. "no live grant"). */
export class AccessDeniedError extends GatewayError {
  override name = 'AccessDeniedError';
  readonly reason: string | undefined;
  constructor(status: number, message: string, body?: unknown) {
    super(status, message, body);
    this.reason = (body as Partial<GatewayErrorBody> | undefined)?.reason;
  }
}

/** 404 / 410: no such thing (or no longer: erased). */
export class NotFoundError extends GatewayError { override name = 'NotFoundError'; }

/** 400 / 413 / 415: the request itself is wrong; the message names the field. */
export class InvalidInputError extends GatewayError { override name = 'InvalidInputError'; }

/** 409: the request conflicts with the current state (already done, or not possible now). */
export class ConflictError extends GatewayError { override name = 'ConflictError'; }

/** 429: too many requests; `retryAfter` seconds when the gateway said. */
export class RateLimitedError extends GatewayError { override name = 'RateLimitedError'; }

/** A relayed transaction the contracts refused: the custom error's name and arguments (e.g. `NotActiveProvider(0x…)`). */
export class ChainRefusedError extends GatewayError {
  override name = 'ChainRefusedError';
  readonly errorName: string;
  readonly args: string[];
  constructor(status: number, message: string, body?: unknown) {
    super(status, message, body);
    const b = body as Partial<GatewayErrorBody> | undefined;
    this.errorName = b?.errorName ?? 'reverted';
    this.args = b?.args ?? [];
  }
}

/** The typed error for a gateway answer (`body` is its parsed JSON, or text). */
export function gatewayErrorFrom(status: number, body: unknown, statusText = ''): GatewayError {
  const b = body as Partial<GatewayErrorBody> & { message?: string; issue?: Array<{ diagnostics?: string }> } | undefined;
  const text = typeof body === 'string' && body ? body.slice(0, 300) : undefined;
  const message = `${status} ${b?.error ?? b?.message ?? b?.issue?.[0]?.diagnostics ?? text ?? statusText}`;
  if (b?.code === 'chain_refused') return new ChainRefusedError(status, message, body);
  if (status === 401) return new UnauthenticatedError(status, message, body);
  if (status === 403) return new AccessDeniedError(status, message, body);
  if (status === 404 || status === 410) return new NotFoundError(status, message, body);
  if (status === 409) return new ConflictError(status, message, body);
  if (status === 429) return new RateLimitedError(status, message, body);
  if (status === 400 || status === 413 || status === 415) return new InvalidInputError(status, message, body);
  return new GatewayError(status, message, body);
}

/** A contract's refusal found in a viem error: the custom error's name and arguments, or the revert reason. */
export interface Revert { errorName: string; args: readonly unknown[] }

/**
 * @example const revert = describeRevert(error); if (revert) console.log(`${revert.errorName}(${revert.args.join(', ')})`)
 */
export function describeRevert(error: unknown): Revert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError)) return undefined;
  return { errorName: revert.data?.errorName ?? revert.reason ?? 'reverted', args: revert.data?.args ?? [] };
}

/** `NotActiveProvider(0x…)`: a revert as people read it. */
export const revertText = (revert: Revert) => `${revert.errorName}${revert.args.length ? `(${revert.args.map(String).join(', ')})` : ''}`;
