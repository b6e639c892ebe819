/**
 * Authentication of gateway-to-gateway requests (the receiving side of peerRequest.ts). A request
 * is served only when all of these hold, checked in this order:
 *   1. every header is present and well-formed;
 *   2. its timestamp is within ±`skewSeconds` of this gateway's clock;
 *   3. it names this hospital as its target;
 *   4. the signature recovers to a hospital operator listed in consortium.json;
 *   5. that operator is still a registered anchorer on chain (AccessLogAnchor.isAnchorer): an admin
 *      removes a hospital from the exchange by unregistering its operator, without editing files;
 *   6. the nonce was never used by that signer (kept for twice the clock window, so a replay is
 *      refused both inside the window — by the nonce — and after it — by the timestamp).
 * A refusal is a 401 naming the rule, and nothing else: no record, no hint whether one exists.
 */
import { createMiddleware } from 'hono/factory';
import { getAddress, type Address, type Hex } from 'viem';
import type { SqlExecutor } from '../index/handlers.ts';
import type { Clock } from '../clock.ts';
import { PeerRequestRefused } from './errors.ts';
import { PEER_HEADERS, recoverPeerSigner } from './peerRequest.ts';

export const peerAuthMigrations = [
  {
    id: 'peers-1',
    sql: `
CREATE TABLE IF NOT EXISTS peer_nonces (
  signer TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (signer, nonce)
);
CREATE TABLE IF NOT EXISTS peer_replicas (
  content_id TEXT PRIMARY KEY,
  cid TEXT NOT NULL,
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  source TEXT NOT NULL,
  size BIGINT NOT NULL,
  fetched_at BIGINT NOT NULL
);
`,
  },
] as const;

export interface PeerIdentity { name: string; operator: Address }

export type PeerEnv = { Variables: { peer: PeerIdentity } };

export interface PeerAuthOptions {
  self: string;
  chainId: number;
  /** Every consortium hospital (this one included: it may not ask itself, see below). */
  hospitals: PeerIdentity[];
  /** Whether the chain lists this operator as a registered anchorer now. */
  isRegistered: (operator: Address) => Promise<boolean>;
  db: SqlExecutor;
  skewSeconds?: number;
  /** The gateway's clock (server.ts): a request's timestamp must be within `skewSeconds` of it. */
  clock: Clock;
}

export function peerAuth(options: PeerAuthOptions) {
  const skew = options.skewSeconds ?? 60;
  const now = () => options.clock.seconds();
  const byOperator = new Map(options.hospitals.filter((h) => h.name !== options.self).map((h) => [h.operator.toLowerCase(), h]));
  let lastPrune = 0;

  return createMiddleware<PeerEnv>(async (c, next) => {
    const header = (name: string) => c.req.header(name) ?? '';
    const from = header(PEER_HEADERS.from);
    const timestamp = header(PEER_HEADERS.timestamp);
    const nonce = header(PEER_HEADERS.nonce);
    const signature = header(PEER_HEADERS.signature);
    if (!/^0x[0-9a-fA-F]{40}$/.test(from) || !/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{32}$/.test(nonce) || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
      throw new PeerRequestRefused(`sign the request with your hospital's operator key (headers ${Object.values(PEER_HEADERS).join(', ')})`);
    }
    const t = now();
    if (Math.abs(t - Number(timestamp)) > skew) throw new PeerRequestRefused(`timestamp outside ±${skew} s of this gateway's clock (check NTP)`);
    const url = new URL(c.req.url);
    const cid = url.searchParams.get('cid') ?? '-';
    let signer: Address;
    try {
      signer = await recoverPeerSigner({
        chainId: options.chainId, from: from as Address, to: options.self, method: c.req.method, path: `${url.pathname}${url.search}`, cid, timestamp: Number(timestamp), nonce,
      }, signature as Hex);
    } catch {
      throw new PeerRequestRefused('malformed signature');
    }
    // A signature over another target, path, cid or time recovers to some other address.
    if (signer.toLowerCase() !== from.toLowerCase()) throw new PeerRequestRefused('the signature does not match the request (target hospital, method, path, cid, timestamp, nonce)');
    const peer = byOperator.get(signer.toLowerCase());
    if (!peer) throw new PeerRequestRefused('the signer is not the operator of another hospital in consortium.json');
    if (!(await options.isRegistered(signer))) throw new PeerRequestRefused(`${peer.name}'s operator is not a registered anchorer on chain (AccessLogAnchor.setAnchorer)`);
    if (t - lastPrune > skew) {
      lastPrune = t;
      await options.db.query('DELETE FROM peer_nonces WHERE seen_at < $1', [t - 2 * skew]);
    }
    const fresh = await options.db.query('INSERT INTO peer_nonces (signer, nonce, seen_at) VALUES ($1, $2, $3) ON CONFLICT (signer, nonce) DO NOTHING RETURNING nonce',
      [signer.toLowerCase(), nonce, t]);
    if (fresh.length === 0) throw new PeerRequestRefused('nonce already used (a replayed request)');
    c.set('peer', { name: peer.name, operator: getAddress(signer) });
    await next();
  });
}
