/**
 * node:crypto's scrypt (OpenSSL) for opening keystores in the CLI: about 30 % faster than the
 * portable @noble/hashes one on the same machine, and it runs on libuv's thread pool, so the account
 * and the encryption keystore of a key file are derived at the same time on two cores. At geth's
 * N = 2^18 that is most of a client command's start-up.
 */
import { scrypt } from 'node:crypto';
import type { ScryptFn } from '../crypto/keystore.ts';

export const nativeScrypt: ScryptFn = (password, salt, { N, r, p, dkLen, maxmem }) => new Promise((resolve, reject) => {
  scrypt(password, salt, dkLen, { N, r, p, maxmem }, (error, key) => (error ? reject(error) : resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength))));
});
