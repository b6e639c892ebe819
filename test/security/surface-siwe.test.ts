/**
 * Sign-In with Ethereum against the official EIP-4361 vectors (spruceid/siwe, see
 * test/gateway/vectors/siwe/README.md) — parsing, validation and signature verification, positive
 * and negative — run through the gateway's own checks (src/gateway/auth/siweMessage.ts); then the
 * attack of issue 14 item 11 over real HTTP: a signed message with an unparseable or past time,
 * a future Not Before or a far-future Issued At does not sign in, and burns no nonce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyMessage, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage, type SiweMessage } from 'viem/siwe';
import { checkSignIn, parseSignInMessage, SiweMessageError } from '../../src/gateway/auth/siweMessage.ts';
import { gatewayHarness, httpCall } from '../gateway/harness.ts';

const vectors = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../gateway/vectors/siwe', `${name}.json`), 'utf8')) as Record<string, unknown>;

/**
 * Valid EIP-4361 messages the gateway refuses on purpose, each for a stated reason (never the other
 * way round: no invalid message is accepted). viem's parser reads domains as host[:port] only.
 */
const DELIBERATELY_REFUSED: Record<string, RegExp> = {
  'domain is RFC 3986 authority with userinfo': /domain|EIP-4361/, // user@host: a gateway is never addressed with userinfo
  'domain is RFC 3986 authority with userinfo and port': /domain|EIP-4361/,
  'domain ipv6': /domain|EIP-4361/, // [::cafe]: the gateway's configured domains are host names or IPv4
};

/**
 * The message text a vector's fields spell, as viem lays it out, with every value verbatim: times
 * and the address as written in the vector (viem would reformat them), a missing field's line left
 * out (viem would write "undefined" or the current time).
 */
function messageOf(fields: Record<string, unknown>): string {
  const dates = ['issuedAt', 'expirationTime', 'notBefore'] as const;
  const placeholder = (key: string) => new Date(Date.UTC(2000, 0, 1, 0, 0, 0, dates.indexOf(key as never) + 1));
  let text = createSiweMessage({
    ...(fields as unknown as SiweMessage), scheme: (fields.scheme as string | null) ?? undefined, nonce: (fields.nonce as string | undefined) ?? 'MISSINGNONCE',
    issuedAt: placeholder('issuedAt'),
    expirationTime: fields.expirationTime ? placeholder('expirationTime') : undefined,
    notBefore: fields.notBefore ? placeholder('notBefore') : undefined,
  });
  if (fields.nonce === undefined) text = text.replace('\nNonce: MISSINGNONCE', '');
  if (fields.issuedAt === undefined) text = text.replace(`\nIssued At: ${placeholder('issuedAt').toISOString()}`, '');
  for (const key of dates) if (fields[key]) text = text.replace(placeholder(key).toISOString(), String(fields[key]));
  return text.replace(/^(.*\n)0x[0-9a-fA-F]{40}\n/, `$1${String(fields.address)}\n`);
}

test('EIP-4361 parsing vectors: every positive parses to its fields, every negative is refused', () => {
  for (const [name, v] of Object.entries(vectors('parsing_positive')) as Array<[string, { message: string; fields: Record<string, unknown> }]>) {
    if (DELIBERATELY_REFUSED[name]) {
      assert.throws(() => parseSignInMessage(v.message), (e: unknown) => e instanceof SiweMessageError && DELIBERATELY_REFUSED[name]!.test(e.message), name);
      continue;
    }
    const fields = parseSignInMessage(v.message);
    const expected = v.fields;
    for (const key of ['domain', 'address', 'statement', 'uri', 'version', 'chainId', 'nonce', 'requestId', 'resources', 'scheme'] as const) {
      assert.deepEqual(fields[key], expected[key] ?? undefined, `${name}: ${key}`);
    }
    for (const key of ['issuedAt', 'expirationTime', 'notBefore'] as const) {
      assert.equal(fields[key]?.getTime(), expected[key] ? new Date(String(expected[key])).getTime() : undefined, `${name}: ${key}`);
    }
  }
  let refused = 0;
  for (const [name, message] of Object.entries(vectors('parsing_negative')) as Array<[string, string]>) {
    assert.throws(() => parseSignInMessage(message), (e: unknown) => e instanceof SiweMessageError && e.kind === 'malformed', name);
    refused++;
  }
  // Field sets that cannot form a valid message: viem refuses to write them, or the message they spell is refused.
  for (const [name, fields] of Object.entries(vectors('parsing_negative_objects')) as Array<[string, Record<string, unknown>]>) {
    let text: string | undefined;
    try { text = messageOf(fields); } catch { refused++; continue; }
    assert.throws(() => parseSignInMessage(text!), SiweMessageError, name);
    refused++;
  }
  assert.equal(refused, Object.keys(vectors('parsing_negative')).length + Object.keys(vectors('parsing_negative_objects')).length);
});

type VerificationVector = Record<string, unknown> & { signature: Hex; domain: string; chainId: number; issuedAt: string; time?: string; domainBinding?: string; matchNonce?: string };

const policyOf = (v: VerificationVector) => ({
  domains: [v.domainBinding ?? v.domain], chainId: v.chainId, now: new Date(v.time ?? v.issuedAt).getTime(), nonce: v.matchNonce,
});

const NEGATIVE_REASON: Record<string, RegExp> = {
  'expired message': /expired/, 'domain binding': /not this gateway/, 'custom time': /expired/, 'custom nonce': /nonce/,
  'malformed signature': /signature/, 'wrong signature': /signature/, 'not yet valid': /not valid yet/,
  'invalid issuedAt': /Issued At is not an RFC 3339/, 'invalid notBefore': /Not Before is not an RFC 3339/, 'invalid expirationTime': /Expiration Time is not an RFC 3339/,
};

test('EIP-4361 verification vectors: positives sign in, negatives are refused (domain, nonce, time, signature, dates)', async () => {
  for (const [name, v] of Object.entries(vectors('verification_positive')) as Array<[string, VerificationVector]>) {
    const message = messageOf(v);
    if (name === 'expired message') {
      // Verified at a `time` two years before its Issued At: the gateway refuses a message issued
      // after the moment it is checked (more than the clock skew); the vector's own checks pass.
      await assert.rejects(checkSignIn({ message, signature: v.signature }, policyOf(v), verifyMessage), /issued in the future/);
      const fields = await checkSignIn({ message, signature: v.signature }, { ...policyOf(v), issuedAtSkewMs: Infinity }, verifyMessage);
      assert.equal(fields.address, v.address);
      continue;
    }
    const fields = await checkSignIn({ message, signature: v.signature }, policyOf(v), verifyMessage);
    assert.equal(fields.address, v.address, name);
  }
  for (const [name, v] of Object.entries(vectors('verification_negative')) as Array<[string, VerificationVector]>) {
    const why = NEGATIVE_REASON[name];
    assert.ok(why, `a reason is expected for ${name}`);
    await assert.rejects(checkSignIn({ message: messageOf(v), signature: v.signature }, policyOf(v), verifyMessage),
      (e: unknown) => e instanceof SiweMessageError && why.test(e.message), name);
  }
});

test('attack: signed messages with an unparseable or past expiry, a future Not Before or a far-future Issued At do not sign in', async () => {
  const h = await gatewayHarness();
  try {
    const url = new URL(h.gateway.url);
    const account = privateKeyToAccount(h.f.keys.patient);
    const nonce = async () => (await httpCall(h.gateway.url, 'POST', '/auth/nonce', { body: {} })).json!.nonce as string;
    const base = async () => createSiweMessage({ address: account.address, chainId: 31337, domain: url.host, nonce: await nonce(), uri: url.origin, version: '1', issuedAt: new Date() });
    const hour = 3_600_000;
    const attacks: Array<[string, (m: string) => string, number, RegExp]> = [
      ['Expiration Time: 2000-01-01 (not a date-time)', (m) => `${m}\nExpiration Time: 2000-01-01`, 400, /Expiration Time is not an RFC 3339/],
      ['Expiration Time in the past', (m) => `${m}\nExpiration Time: 2000-01-01T00:00:00Z`, 401, /expired/],
      ['Expiration Time on 31 February', (m) => `${m}\nExpiration Time: 2100-02-31T00:00:00Z`, 400, /not an RFC 3339/],
      ['Not Before in the future', (m) => `${m}\nNot Before: ${new Date(Date.now() + hour).toISOString()}`, 401, /not valid yet/],
      ['Issued At a day ahead', (m) => m.replace(/Issued At: .*/, `Issued At: ${new Date(Date.now() + 24 * hour).toISOString()}`), 401, /issued in the future/],
      ['Issued At unparseable', (m) => m.replace(/Issued At: .*/, 'Issued At: yesterday'), 400, /Issued At/],
    ];
    const used: string[] = [];
    for (const [name, tamper, status, expected] of attacks) {
      const message = tamper(await base());
      used.push(/Nonce: (\w+)/.exec(message)![1]!);
      const r = await httpCall(h.gateway.url, 'POST', '/auth/verify', { body: { message, signature: await account.signMessage({ message }) } });
      assert.equal(r.status, status, `${name}: ${r.text}`);
      assert.match(String(r.json!.error), expected, name);
      assert.equal(r.json!.token, undefined, name);
    }
    // Nothing changed: no session was created and every nonce is still unused.
    const sessions = await h.gateway.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM auth_sessions');
    assert.equal(Number(sessions[0]!.n), 0);
    const open = await h.gateway.db.query<{ nonce: string }>('SELECT nonce FROM auth_nonces');
    for (const n of used) assert.ok(open.some((r) => r.nonce === n), 'nonce not burnt');
    // The honest message still signs in.
    const good = createSiweMessage({ address: account.address, chainId: 31337, domain: url.host, nonce: used[0]!, uri: url.origin, version: '1', issuedAt: new Date(), expirationTime: new Date(Date.now() + 60_000) });
    assert.equal((await httpCall(h.gateway.url, 'POST', '/auth/verify', { body: { message: good, signature: await account.signMessage({ message: good }) } })).status, 200);
  } finally {
    await h.close();
  }
});
