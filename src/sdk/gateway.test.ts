/**
 * GatewayClient.request against a real gateway: every request, a study action's included, goes
 * through the client's own fetch with its session (the web's client counts on this to see the
 * sign-in); bigints in a body travel as decimal strings; refusals arrive as the SDK's typed errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount } from 'viem/accounts';
import { gatewayHarness } from '../../test/gateway/harness.ts';
import { InvalidInputError, NotFoundError, UnauthenticatedError } from './errors.ts';
import { GatewayClient } from './gateway.ts';
import { getStudies } from './actions/getStudies.ts';

test('GatewayClient.request: the client\'s own fetch and session, JSON bodies with bigints, typed refusals', async () => {
  const h = await gatewayHarness();
  try {
    const seen: Array<{ path: string; authorized: boolean }> = [];
    const counting: typeof fetch = (input, init) => {
      seen.push({ path: new URL(String(input)).pathname, authorized: new Headers(init?.headers).has('authorization') });
      return fetch(input, init);
    };
    const client = new GatewayClient(h.gateway.url, counting);

    // Attack: no session. Refused before anything is read, as a typed error.
    await assert.rejects(client.request('GET', '/api/studies'), UnauthenticatedError);
    await client.signIn(privateKeyToAccount(h.f.keys.patient), { chainId: 31337 });
    seen.length = 0;

    assert.deepEqual(await getStudies({ gateway: client }), []);
    assert.deepEqual(seen, [{ path: '/api/studies', authorized: true }], 'a study action goes through the client\'s own fetch with its session');

    assert.equal((await client.request<{ chainId: number }>('GET', '/api/config')).chainId, 31337);
    await assert.rejects(client.request('GET', '/api/studies/999999'), NotFoundError);
    // A bigint in a body travels as a decimal string the gateway's schema accepts: past the schema, the study is not found.
    const relay = { patient: h.f.addr.patient, deadline: 2n ** 64n + 1n, signature: `0x${'ab'.repeat(65)}` };
    await assert.rejects(client.request('POST', '/api/studies/999999/opt-in/relay', relay), NotFoundError);
    await assert.rejects(client.request('POST', '/api/studies/999999/opt-in/relay', { ...relay, signature: '0x' }), InvalidInputError);
    assert.ok(seen.every((s) => s.authorized));

    // Attack: a path that leaves the gateway's origin would carry the session token elsewhere. Refused, nothing sent.
    const before = seen.length;
    for (const elsewhere of ['https://attacker.example/api/studies', '//attacker.example/api/studies']) {
      await assert.rejects(client.request('GET', elsewhere), /is not this gateway/);
    }
    assert.equal(seen.length, before, 'no request left the client');
  } finally {
    await h.close();
  }
});
