/**
 * What every data route validates and how it refuses: shared zod schemas for ids, addresses and
 * numbers, `parse` (400 with the failing fields), `fail` (a status and a message), and the session
 * check. `fail` (from http/errors.ts, re-exported for the routes) throws the refusal; the error policy there turns it into a response.
 */
import type { Context } from 'hono';
import { fail } from '../http/errors.ts';
import { z } from 'zod';
import { getAddress, type Hex } from 'viem';
import { ScopeKind, type PurposeName } from '../../sdk/contracts.ts';
import type { GatewayEnv, Session } from './types.ts';

export const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed address').transform((s) => getAddress(s));
export const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex value').transform((s) => s.toLowerCase() as Hex);
/**
 * An unsigned integer of `bits` bits, as a decimal string or a (safe) JSON number. Bounded here so
 * an out-of-range value is a 400 naming the field, not an ABI-encoding failure at the chain (500).
 */
export const uintOf = (bits: 64 | 256) => {
  const max = 2n ** BigInt(bits) - 1n;
  return z.union([z.string().regex(/^\d{1,78}$/, 'expected a decimal unsigned integer'), z.number().int().nonnegative()])
    .transform((v) => BigInt(v))
    .refine((v) => v <= max, `expected an unsigned integer of at most ${bits} bits (≤ ${max})`);
};
export const uint = uintOf(256);
export const uint64 = uintOf(64);
export const version = z.coerce.number().int().min(1).max(2 ** 31);

/** A decoded purpose as listings and the access log name it ("treatment"); "unknown" for a tag the gateway cannot decode. */
export const purposeLabel = (purpose: PurposeName | undefined): string => purpose?.toLowerCase() ?? 'unknown';
export const scopeName: Record<number, string> = Object.fromEntries(Object.entries(ScopeKind).map(([k, v]) => [v, k.toLowerCase()]));

export { fail };

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) fail(400, result.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; '));
  return result.data;
}

/** The JSON body, or a 400 when it is not JSON. */
export async function jsonBody(c: Context): Promise<unknown> {
  return c.req.json().catch(() => fail(400, 'malformed JSON body'));
}

/** The signed-in caller, the one session guard of every route (the auth middleware guarantees one on most); `requireRole` also refuses an account with no MedChain role. */
export function sessionOf(c: Context<GatewayEnv>, options: { requireRole?: boolean } = {}): Session {
  const s = c.get('session');
  if (!s) fail(401, 'sign in first (POST /auth/nonce, then /auth/verify)');
  if (options.requireRole && s.role === 'none') fail(403, 'this account has no MedChain role (not registered, or suspended)');
  return s;
}
