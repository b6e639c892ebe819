/**
 * Sign-In with Ethereum (EIP-4361) and short-lived sessions.
 *
 *   POST /auth/nonce   -> { nonce, expiresAt }          single use, 5 minutes
 *   POST /auth/verify  { message, signature } -> { token, address, role, expiresAt }
 *   POST /auth/logout
 *
 * The message must be a well-formed EIP-4361 message (siweMessage.ts: strict parse, RFC 3339 times),
 * name this gateway's domain and chain, carry an unused unexpired nonce, and be within its validity
 * times (an unparseable time refuses the message, never is ignored); the signature is checked by viem (EOAs, and ERC-1271/6492 smart
 * accounts through the chain). Nonces and sessions live in SQL, so a restart reopens no replay.
 * Session tokens are random and stored only as their SHA-256. The role is read from chain state
 * and re-read every few seconds, so a suspension takes effect at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { getAddress, type Address, type Hex, type PublicClient } from 'viem';
import { generateSiweNonce, type SiweMessage } from 'viem/siwe';
import { checkSignIn, SiweMessageError } from './siweMessage.ts';
import type { GatewayRole } from '../chain/access.ts';
import type { Clock } from '../clock.ts';
import type { SqlExecutor } from '../index/handlers.ts';
import type { GatewayEnv, Session } from '../routes/types.ts';
import { fail } from '../http/errors.ts';

export const authMigrations = [
  {
    id: 'auth-1',
    sql: `
CREATE TABLE IF NOT EXISTS auth_nonces (nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_sessions (token_hash TEXT PRIMARY KEY, address TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS auth_sessions_expiry ON auth_sessions (expires_at);
`,
  },
] as const;

export interface SiweOptions {
  db: SqlExecutor;
  client: PublicClient;
  chainId: number;
  /** The host (and port) users see in the message, e.g. "127.0.0.1:8080" or "medchain.hospital.example". */
  domains: string[];
  resolveRole: (address: Address) => Promise<GatewayRole>;
  sessionSeconds?: number;
  nonceSeconds?: number;
  roleCacheMs?: number;
  /** The gateway's clock (server.ts): message times in ms, nonce and session expiry in seconds. */
  clock: Clock;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The sign-in request body (also published in /openapi.json). */
export const verifyBody = z.object({ message: z.string().min(1).max(4096), signature: z.string().regex(/^0x[0-9a-fA-F]+$/, 'expected a 0x-hex signature').max(20_000) });

export function siweAuth(options: SiweOptions) {
  const { clock } = options;
  const sessionSeconds = options.sessionSeconds ?? 15 * 60;
  const nonceSeconds = options.nonceSeconds ?? 5 * 60;
  const roles = new Map<Address, { role: GatewayRole; at: number }>();
  const roleOf = async (address: Address): Promise<GatewayRole> => {
    const cached = roles.get(address);
    if (cached && clock.ms() - cached.at < (options.roleCacheMs ?? 5_000)) return cached.role;
    const role = await options.resolveRole(address);
    roles.set(address, { role, at: clock.ms() });
    return role;
  };
  const unauthorized = (message: string): never => { fail(401, message, { fhirIssue: 'login' }); };

  const routes = new Hono<GatewayEnv>();
  routes.post('/nonce', async (c) => {
    const nonce = generateSiweNonce();
    const expiresAt = clock.seconds() + nonceSeconds;
    await options.db.query('DELETE FROM auth_nonces WHERE expires_at < $1', [clock.seconds()]);
    await options.db.query('INSERT INTO auth_nonces (nonce, expires_at) VALUES ($1, $2)', [nonce, expiresAt]);
    return c.json({ nonce, expiresAt: new Date(expiresAt * 1000).toISOString() });
  });

  routes.post('/verify', async (c) => {
    const body = verifyBody
      .parse(await c.req.json().catch(() => { fail(400, 'malformed JSON body'); }));
    const t = clock.ms();
    let fields: SiweMessage;
    try {
      fields = await checkSignIn({ message: body.message, signature: body.signature as Hex }, { domains: options.domains, chainId: options.chainId, now: t },
        (args) => options.client.verifyMessage(args));
    } catch (error) {
      if (error instanceof SiweMessageError) fail(error.kind === 'malformed' ? 400 : 401, error.message, { fhirIssue: error.kind === 'malformed' ? 'invalid' : 'login' });
      throw error;
    }
    // Single use: the nonce is consumed only by a valid sign-in, atomically.
    const consumed = await options.db.query<{ nonce: string }>('DELETE FROM auth_nonces WHERE nonce = $1 AND expires_at >= $2 RETURNING nonce', [fields.nonce, Math.floor(t / 1000)]);
    if (consumed.length === 0) unauthorized('unknown, used or expired nonce: ask for a new one');
    const address = getAddress(fields.address);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = Math.floor(t / 1000) + sessionSeconds;
    await options.db.query('INSERT INTO auth_sessions (token_hash, address, expires_at) VALUES ($1, $2, $3)', [hashToken(token), address, expiresAt]);
    roles.delete(address);
    return c.json({ token, address, role: await roleOf(address), expiresAt: new Date(expiresAt * 1000).toISOString() });
  });

  // Verified sessions by token hash (the SQL row's address, checksummed, and expiry): every
  // request carries its token, and a SQL point query plus an EIP-55 checksum (keccak) per request
  // was a measurable share of an authorized read (bench/gateway.ts). An entry never outlives the
  // session's expiry, is dropped at once by a logout here, and is re-read from SQL after
  // SESSION_RECHECK_MS so a logout through another gateway process sharing the database (PostgreSQL)
  // takes effect within that. Only sessions SQL confirmed are kept: an unknown token always asks SQL.
  const SESSION_RECHECK_MS = 5_000;
  const SESSION_CACHE_MAX = 10_000;
  const sessions = new Map<string, { address: Address; expiresAtMs: number; checkedAt: number }>();

  routes.post('/logout', async (c) => {
    const token = bearer(c.req.header('authorization'));
    if (token) {
      const tokenHash = hashToken(token);
      sessions.delete(tokenHash);
      await options.db.query('DELETE FROM auth_sessions WHERE token_hash = $1', [tokenHash]);
      // A request that read the row before the delete may have cached it again meanwhile.
      sessions.delete(tokenHash);
    }
    return c.json({ signedOut: true });
  });

  /** The session a token names, from the cache or SQL (undefined when unknown or expired). */
  async function sessionFor(token: string): Promise<{ address: Address; expiresAtMs: number } | undefined> {
    const tokenHash = hashToken(token);
    const t = clock.ms();
    const cached = sessions.get(tokenHash);
    if (cached && cached.expiresAtMs > t && t - cached.checkedAt < SESSION_RECHECK_MS) return cached;
    sessions.delete(tokenHash);
    const [row] = await options.db.query<{ address: string; expires_at: number | string }>('SELECT address, expires_at FROM auth_sessions WHERE token_hash = $1', [tokenHash]);
    if (!row || Number(row.expires_at) * 1000 <= t) return undefined;
    const entry = { address: getAddress(row.address), expiresAtMs: Number(row.expires_at) * 1000, checkedAt: t };
    if (sessions.size >= SESSION_CACHE_MAX) sessions.delete(sessions.keys().next().value!); // the oldest
    sessions.set(tokenHash, entry);
    return entry;
  }

  /** Sets `session` when a valid bearer token is present; a present but invalid one is refused (401). */
  const session: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (token) {
      const found = await sessionFor(token);
      if (!found) unauthorized('session expired or unknown: sign in again');
      const address = found!.address;
      c.set('session', { address, role: await roleOf(address) } satisfies Session);
    }
    await next();
  };

  /** Refuses requests without a session (401). */
  const requireSession: MiddlewareHandler<GatewayEnv> = async (c, next) => {
    if (!c.get('session')) unauthorized('sign in first (POST /auth/nonce, then /auth/verify)');
    await next();
  };

  return { routes, session, requireSession };
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(header ?? '');
  return match?.[1];
}
