/**
 * Sign-In with Ethereum (EIP-4361) message checks, without I/O: strict parsing, then validation
 * against this gateway (domain, chain, times), then the signature through an injected verifier.
 * Run against the official EIP-4361 vectors (test/gateway/vectors/siwe/).
 *
 * Parsing is viem's (`parseSiweMessage`, `createSiweMessage`); viem's parser is lenient (it
 * matches a pattern anywhere and turns a bad date into an Invalid Date), so a message is accepted
 * only if viem re-creates it byte for byte from the parsed fields — which rejects missing,
 * reordered, duplicated or extra lines, a non-EIP-55 address, a statement with a line break, a
 * bad URI, nonce or version — and only if each time is an RFC 3339 date-time of a real calendar
 * day (EIP-4361 §Message Format: `date-time` of RFC 3339 §5.6). Hand-written code is limited to
 * that date check, which neither viem nor JS `Date` does (`new Date('2022-02-31T…')` is 3 March).
 */
import { getAddress, type Address, type Hex } from 'viem';
import { createSiweMessage, parseSiweMessage, type SiweMessage } from 'viem/siwe';

/** Why a message was refused: `malformed` (400, not an EIP-4361 message) or `rejected` (401). */
export class SiweMessageError extends Error {
  constructor(readonly kind: 'malformed' | 'rejected', message: string) {
    super(message);
    this.name = 'SiweMessageError';
  }
}

const malformed = (message: string): never => { throw new SiweMessageError('malformed', message); };
const rejected = (message: string): never => { throw new SiweMessageError('rejected', message); };

// RFC 3339 §5.6 date-time: full-date "T" partial-time time-offset (EIP-4361 requires the "T").
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time of a real calendar day and time, or undefined. */
export function parseRfc3339(value: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const TIME_LINES = { issuedAt: 'Issued At', expirationTime: 'Expiration Time', notBefore: 'Not Before' } as const;

/** Parses an EIP-4361 message strictly; throws `SiweMessageError('malformed')` otherwise. */
export function parseSignInMessage(message: string): SiweMessage {
  const fields = parseSiweMessage(message);
  for (const field of ['domain', 'address', 'uri', 'version', 'chainId', 'nonce', 'issuedAt'] as const) {
    if (fields[field] === undefined) malformed(`not a Sign-In with Ethereum message (EIP-4361): no ${field}`);
  }
  // The times as written: each must be RFC 3339; the canonical form below uses their ISO spelling.
  let canonicalInput = message;
  for (const [field, label] of Object.entries(TIME_LINES)) {
    const lines = message.split('\n').filter((line) => line.startsWith(`${label}: `));
    if (lines.length > 1) malformed(`${label} appears twice`);
    if (lines.length === 0) continue;
    const raw = lines[0]!.slice(label.length + 2);
    const date = parseRfc3339(raw);
    if (!date) malformed(`${label} is not an RFC 3339 date-time: ${JSON.stringify(raw.slice(0, 40))}`);
    if ((fields as Record<string, unknown>)[field] === undefined) malformed(`${label} is out of place`);
    canonicalInput = canonicalInput.replace(`\n${label}: ${raw}`, `\n${label}: ${date!.toISOString()}`);
  }
  let canonical: string;
  try {
    canonical = createSiweMessage(fields as SiweMessage);
  } catch (error) {
    const field = (error as { shortMessage?: string }).shortMessage ?? 'a field';
    return malformed(`not a Sign-In with Ethereum message (EIP-4361): ${field}`);
  }
  if (canonical !== canonicalInput) malformed('not a Sign-In with Ethereum message (EIP-4361): lines missing, out of order, or not in canonical form (EIP-55 address, one-line statement)');
  return fields as SiweMessage;
}

export interface SignInPolicy {
  /** Hosts (with port) this gateway answers as; the message's domain must be one of them. */
  domains: string[];
  chainId: number;
  /** The verification time (ms since the epoch). */
  now: number;
  /** When set, the message must carry this nonce (the gateway checks its own nonces in SQL instead). */
  nonce?: string;
  /** How far Issued At may lie ahead of `now` (clock skew); default 60 s. */
  issuedAtSkewMs?: number;
}

/** Checks a parsed message against this gateway and the time; throws `SiweMessageError('rejected')`. */
export function validateSignInMessage(fields: SiweMessage, policy: SignInPolicy): void {
  if (!policy.domains.includes(fields.domain)) rejected(`message is for ${fields.domain}, not this gateway`);
  if (fields.chainId !== policy.chainId) rejected(`message is for chain ${fields.chainId}, this gateway serves chain ${policy.chainId}`);
  if (policy.nonce !== undefined && fields.nonce !== policy.nonce) rejected('unknown, used or expired nonce: ask for a new one');
  const t = policy.now;
  if (fields.expirationTime && t >= fields.expirationTime.getTime()) rejected('message expired');
  if (fields.notBefore && t < fields.notBefore.getTime()) rejected('message not valid yet');
  if (t + (policy.issuedAtSkewMs ?? 60_000) < fields.issuedAt!.getTime()) rejected('message issued in the future');
}

export type MessageVerifier = (args: { address: Address; message: string; signature: Hex }) => Promise<boolean>;

/** Parse, validate, then verify the signature (EOA or smart account through `verify`); returns the fields. */
export async function checkSignIn(input: { message: string; signature: Hex }, policy: SignInPolicy, verify: MessageVerifier): Promise<SiweMessage> {
  const fields = parseSignInMessage(input.message);
  validateSignInMessage(fields, policy);
  const valid = await verify({ address: getAddress(fields.address), message: input.message, signature: input.signature }).catch(() => false);
  if (!valid) rejected('signature does not match the address');
  return fields;
}
