/**
 * Refusals that the gateway's services raise (the clinical store, escrow custodians, category keys,
 * peer exchange) without knowing about HTTP: each names its kind, and only the HTTP edge
 * (http/errors.ts) turns a kind into a status and, under /fhir, into an OperationOutcome.
 */
import type { GatewayErrorBody } from '../sdk/errors.ts';

/** What a refusal is, in the service's words; http/errors.ts maps each to its HTTP status. */
export type RefusalKind =
  | 'invalid' // the request itself is wrong
  | 'unauthenticated' // who is asking is not established (a peer's signature, a session)
  | 'forbidden' // established, but the rules say no
  | 'not-found'
  | 'conflict' // not possible in the current state
  | 'gone' // existed, erased
  | 'stale' // the caller's expected version is not the current one
  | 'unavailable'; // held by a party that cannot be reached now

/** What a refusal says besides its message, for clients to match on (src/sdk/errors.ts reads it). */
export type RefusalDetails = Partial<Omit<GatewayErrorBody, 'error'>>;

export class Refusal extends Error {
  /** `fhirIssue`: the FHIR issue type (valueset-issue-type) when it says more than the kind's default. */
  constructor(readonly kind: RefusalKind, message: string, readonly fhirIssue?: string, readonly details: RefusalDetails = {}) {
    super(message);
    this.name = new.target.name;
  }
}
