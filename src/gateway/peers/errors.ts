/**
 * Errors of gateway-to-gateway exchange. HTTP mapping at the edge (http/errors.ts): a refused peer
 * request is a 401 that names the rule it broke and nothing about records; a record whose bytes
 * only unreachable hospitals hold is a 503 naming them.
 */
import { HttpError } from '../http/errors.ts';

/** A peer request that fails authentication (unsigned, stranger-signed, stale, replayed, for another hospital). */
export class PeerRequestRefused extends HttpError {
  constructor(readonly rule: string) {
    super(401, `peer request refused: ${rule}`);
  }
}

/** What a reader asked for is held only by hospitals this gateway cannot reach now. */
export class PeerUnavailableError extends HttpError {
  constructor(readonly what: string, readonly hospitals: string[]) {
    super(503, `${what} is held at hospital ${hospitals.join(', ')}, which cannot be reached now, and no reachable hospital holds a copy; try again later`);
  }
}

/** A peer answered with bytes whose hash is not the content id registered on chain. */
export class PeerIntegrityError extends HttpError {
  constructor(readonly hospitals: string[]) {
    super(503, `hospital ${hospitals.join(', ')} served bytes that do not match the content id registered on chain; they were discarded`);
  }
}
