import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ecrecover } from '@ethereumjs/util';
import { nativeEcrecover, nativeEcsign } from '../../src/chain/nativeCrypto.ts';

test('native secp256k1 sign/recover agree with @noble/curves and ethereumjs (random keys and messages)', () => {
  assert.ok(nativeEcrecover && nativeEcsign, 'the prebuilt secp256k1 binding should load on this platform');
  fc.assert(fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed, msg) => {
    const key = secp256k1.utils.randomSecretKey(seed);
    const ours = nativeEcsign!(msg, key);
    const noble = secp256k1.sign(msg, key, { prehash: false, format: 'recovered' });
    assert.deepEqual(ours, noble); // RFC 6979: deterministic, identical bytes
    const v = BigInt(ours[0]!);
    const r = ours.subarray(1, 33);
    const s = ours.subarray(33, 65);
    assert.deepEqual(nativeEcrecover!(msg, v, r, s), ecrecover(msg, v, r, s));
    assert.deepEqual(nativeEcrecover!(msg, v + 27n, r, s), ecrecover(msg, v + 27n, r, s));
    assert.deepEqual(nativeEcrecover!(msg, v + 35n + 2n * 1337n, r, s, 1337n), ecrecover(msg, v + 35n + 2n * 1337n, r, s, 1337n));
  }), { numRuns: 200 });
  assert.throws(() => nativeEcrecover!(new Uint8Array(32), 5n, new Uint8Array(32).fill(1), new Uint8Array(32).fill(1)), /Invalid signature v/);
  assert.throws(() => nativeEcrecover!(new Uint8Array(32), 0n, new Uint8Array(32), new Uint8Array(32)));
});
