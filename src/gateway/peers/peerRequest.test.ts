import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { PEER_HEADERS, peerRequestMessage, recoverPeerSigner, signPeerRequest, type PeerRequestFields } from './peerRequest.ts';

const account = privateKeyToAccount(generatePrivateKey());
const base = { chainId: 4242, to: 'a', method: 'GET', path: '/peer/v1/records/0x01/versions/1/ciphertext?cid=bafk&reader=0x02', cid: 'bafk' };

async function signed(): Promise<{ fields: PeerRequestFields; signature: Hex }> {
  const headers = await signPeerRequest(account, base);
  return {
    fields: { ...base, from: account.address, timestamp: Number(headers[PEER_HEADERS.timestamp]), nonce: headers[PEER_HEADERS.nonce]! },
    signature: headers[PEER_HEADERS.signature] as Hex,
  };
}

test('a signed peer request recovers to the operator that signed it', async () => {
  const { fields, signature } = await signed();
  assert.equal(await recoverPeerSigner(fields, signature), account.address);
  assert.match(fields.nonce, /^[0-9a-f]{32}$/);
  assert.ok(Math.abs(fields.timestamp - Date.now() / 1000) < 5);
});

test('changing any signed field changes the recovered signer (no field can be altered in transit)', async () => {
  const { fields, signature } = await signed();
  const mutations: Array<(f: PeerRequestFields, s: string) => PeerRequestFields> = [
    (f) => ({ ...f, chainId: f.chainId + 1 }),
    (f, s) => ({ ...f, to: `${f.to}${s}` }),
    (f) => ({ ...f, method: 'POST' }),
    (f, s) => ({ ...f, path: `${f.path}${s}` }),
    (f, s) => ({ ...f, cid: `${f.cid}${s}` }),
    (f) => ({ ...f, timestamp: f.timestamp + 1 }),
    (f, s) => ({ ...f, nonce: `${f.nonce}${s}` }),
  ];
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: mutations.length - 1 }), fc.string({ minLength: 1, maxLength: 8 }), async (i, s) => {
    const changed = mutations[i]!(fields, s);
    assert.notEqual(peerRequestMessage(changed), peerRequestMessage(fields));
    assert.notEqual(await recoverPeerSigner(changed, signature), account.address);
  }), { numRuns: 50 });
});
