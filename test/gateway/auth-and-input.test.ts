/**
 * Sign-In with Ethereum and bad input over real HTTP: every refusal is a clear 4xx, changes
 * nothing, and leaks no internals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { gatewayHarness, httpCall } from './harness.ts';

test('Sign-In with Ethereum: nonce, domain, chain, expiry, signature and replay are all checked', async () => {
  const h = await gatewayHarness();
  try {
    const url = new URL(h.gateway.url);
    const account = privateKeyToAccount(h.f.keys.patient);
    const nonce = async () => (await httpCall(h.gateway.url, 'POST', '/auth/nonce', { body: {} })).json!.nonce as string;
    const message = async (over: Partial<Parameters<typeof createSiweMessage>[0]> = {}) => createSiweMessage({
      address: account.address, chainId: 31337, domain: url.host, nonce: await nonce(), uri: url.origin, version: '1',
      issuedAt: new Date(), expirationTime: new Date(Date.now() + 60_000), ...over,
    });
    const verify = (m: string, signature: string) => httpCall(h.gateway.url, 'POST', '/auth/verify', { body: { message: m, signature } });

    const good = await message();
    const ok = await verify(good, await account.signMessage({ message: good }));
    assert.equal(ok.status, 200);
    assert.equal(ok.json!.role, 'patient');
    assert.equal(ok.json!.address, account.address);
    const replay = await verify(good, await account.signMessage({ message: good }));
    assert.equal(replay.status, 401);
    assert.match(String(replay.json!.error), /nonce/);

    const cases: Array<[string, string, RegExp]> = [];
    const wrongDomain = await message({ domain: 'evil.example' });
    cases.push([wrongDomain, await account.signMessage({ message: wrongDomain }), /not this gateway/]);
    const wrongChain = await message({ chainId: 1 });
    cases.push([wrongChain, await account.signMessage({ message: wrongChain }), /chain 1/]);
    const expired = await message({ issuedAt: new Date(Date.now() - 120_000), expirationTime: new Date(Date.now() - 60_000) });
    cases.push([expired, await account.signMessage({ message: expired }), /expired/]);
    const notYet = await message({ notBefore: new Date(Date.now() + 60_000) });
    cases.push([notYet, await account.signMessage({ message: notYet }), /not valid yet/]);
    const forged = await message();
    cases.push([forged, await privateKeyToAccount(generatePrivateKey()).signMessage({ message: forged }), /signature/]);
    const unknownNonce = createSiweMessage({ address: account.address, chainId: 31337, domain: url.host, nonce: 'abcdefgh12345678', uri: url.origin, version: '1' });
    cases.push([unknownNonce, await account.signMessage({ message: unknownNonce }), /nonce/]);
    for (const [m, signature, expected] of cases) {
      const r = await verify(m, signature);
      assert.equal(r.status, 401, m);
      assert.match(String(r.json!.error), expected);
    }
    // A message that failed for its signature did not burn its nonce for the real signer.
    const retried = await verify(forged, await account.signMessage({ message: forged }));
    assert.equal(retried.status, 200);

    assert.equal((await verify('hello', '0x12')).status, 400);
    assert.equal((await httpCall(h.gateway.url, 'POST', '/auth/verify', { body: '{not json' })).status, 400);
    assert.equal((await httpCall(h.gateway.url, 'GET', '/api/grants?patient=0x0', { token: 'x'.repeat(43) })).status, 401, 'unknown token');

    // Logout ends the session.
    const token = ok.json!.token as string;
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records?patient=${account.address}`, { token })).status, 200);
    await httpCall(h.gateway.url, 'POST', '/auth/logout', { token, body: {} });
    assert.equal((await httpCall(h.gateway.url, 'GET', `/api/records?patient=${account.address}`, { token })).status, 401);
  } finally {
    await h.close();
  }
});

test('bad input gets a clear 4xx, no stack traces, and changes nothing', async () => {
  const h = await gatewayHarness();
  try {
    const patient = await h.client('patient');
    const token = patient.sessionToken!;
    const call = (method: string, path: string, options: Parameters<typeof httpCall>[3] = {}) => httpCall(h.gateway.url, method, path, { token, ...options });
    const expectations: Array<[string, () => Promise<{ status: number; text: string; json?: Record<string, unknown> }>, number]> = [
      ['malformed id', () => call('GET', '/api/records/0x1234'), 400],
      ['unknown record', () => call('GET', `/api/records/0x${'ab'.repeat(32)}`), 404],
      ['version zero', () => call('GET', `/api/records/0x${'ab'.repeat(32)}/versions/0/ciphertext`), 400],
      ['bad address', () => call('GET', '/api/grants?patient=bob'), 400],
      ['malformed JSON', () => call('POST', `/api/records/0x${'ab'.repeat(32)}/versions/1/envelopes`, { body: '{"envelopes":' }), 400],
      ['wrong types', () => call('POST', `/api/records/0x${'ab'.repeat(32)}/versions/1/envelopes`, { body: { envelopes: [{ recipient: 42, envelope: true }] } }), 400],
      ['empty upload', () => call('POST', '/api/blobs', { raw: new Uint8Array() }), 400],
      ['oversized JSON', () => call('POST', '/api/grants/relay', { body: { pad: 'x'.repeat(2 * 2 ** 20) } }), 413],
      ['bad relay signature', () => call('POST', '/api/grants/relay', { body: { patient: h.f.addr.patient, terms: {}, deadline: 1, signature: '0x00' } }), 400],
      ['unknown route', () => call('GET', '/api/nothing-here'), 404],
      ['no session', () => httpCall(h.gateway.url, 'GET', '/api/grants?patient=0x0000000000000000000000000000000000000001'), 401],
    ];
    for (const [name, send, status] of expectations) {
      if (process.env.DEBUG_TEST) console.error('case', name);
      const r = await send();
      assert.equal(r.status, status, `${name}: ${r.text.slice(0, 200)}`);
      assert.ok(typeof r.json?.error === 'string' && r.json.error.length > 0, `${name} explains itself`);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+|node_modules|stack/i, `${name} leaks no internals`);
    }
    // A relayed grant with a forged signature is refused by the chain, by name, and creates nothing.
    const now = await h.f.latestTimestamp();
    const refused = await call('POST', '/api/grants/relay', { body: {
      patient: h.f.addr.patient, deadline: String(now + 600n), signature: `0x${'11'.repeat(65)}`,
      terms: { grantee: h.f.addr.doctor, scopeKind: 0, scopeValue: `0x${'00'.repeat(32)}`, permissions: 1, purpose: `0x${'00'.repeat(32)}`, validFrom: '0', validUntil: String(now + 600n) },
    } });
    assert.equal(refused.status, 422);
    assert.match(String(refused.json!.error), /InvalidSignature/);
    assert.equal(await h.f.read.consent.read.grantCount(), 0n);
    // Security headers on every response; health and metrics answer.
    const health = await httpCall(h.gateway.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    const csp = health.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    // Frames: blob: only (the UI's PDF preview); plugins off.
    assert.match(csp, /frame-src blob:(;|$)/);
    assert.match(csp, /object-src 'none'/);
    assert.equal(health.headers.get('x-content-type-options'), 'nosniff');
    const metrics = await httpCall(h.gateway.url, 'GET', '/metrics');
    assert.match(metrics.text, /medchain_http_requests_total\{method="GET",route="\/api\/records\/:id",status="400"\} 1/);
  } finally {
    await h.close();
  }
});
