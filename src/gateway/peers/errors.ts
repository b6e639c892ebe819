/**
 * Errors of gateway-to-gateway exchange, as service refusals (../refusal.ts). The HTTP edge
 * (http/errors.ts) maps them: a refused peer request is a 401 that names the rule it broke and
 * nothing about records; a record whose bytes only unreachable hospitals hold is a 503 naming them.
 */
import { Refusal } from '../refusal.ts';

/** A peer request that fails authentication (unsigned, stranger-signed, stale, replayed, for another hospital). */
export class PeerRequestRefused extends Refusal {
  constructor(readonly rule: string) {
    super('unauthenticated', `peer request refused: ${rule}`);
  }
}

/** What a reader asked for is held only by hospitals this gateway cannot reach now. */
export class PeerUnavailableError extends Refusal {
  constructor(readonly what: string, readonly hospitals: string[]) {
    super('unavailable', `${what} is held at hospital ${hospitals.join(', ')}, which cannot be reached now, and no reachable hospital holds a copy; try again later`);
  }
}

/** A peer answered with bytes whose hash is not the content id registered on chain. */
export class PeerIntegrityError extends Refusal {
  constructor(readonly hospitals: string[]) {
    super('unavailable', `hospital ${hospitals.join(', ')} served bytes that do not match the content id registered on chain; they were discarded`);
  }
}
