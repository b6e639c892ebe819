/**
 * Salted integrity hash of a record's plaintext: SHA-256(salt || plaintext) (FIPS 180-4), a bytes32 that the
 * record registry stores on chain. Without the salt the hash does not let anyone confirm a guessed
 * plaintext (e.g. "HIV test: positive"); the salt travels inside the encrypted record, so readers
 * learn it, and an auditor receives it from the patient to check the record against the chain.
 * SHA-256 rather than keccak256: a contract can still recompute it (`sha256(abi.encodePacked(salt,
 * plaintext))`, precompile 0x02), and in JavaScript it is ~5x faster, which matters for 1 GB scans.
 * On Node the hash is OpenSSL's (SHA extensions, ~8x @noble/hashes on this bench machine: it was
 * most of sealRecord's time); in a browser @noble/hashes, since WebCrypto has no incremental digest.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, fromHex, randomBytes, requireBytes, toHex, type Hex } from './bytes.ts';
import { CryptoInputError } from './errors.ts';
import { nodeCrypto } from './platform.ts';

export const SALT_BYTES = 32;

export function generateSalt(): Uint8Array {
  return randomBytes(SALT_BYTES);
}

export function integrityHash(plaintext: Uint8Array, salt: Uint8Array): Hex {
  requireBytes(plaintext, undefined, 'plaintext');
  requireBytes(salt, SALT_BYTES, 'salt');
  const node = nodeCrypto();
  if (node) return `0x${node.createHash('sha256').update(salt).update(plaintext).digest('hex')}`;
  return toHex(sha256.create().update(salt).update(plaintext).digest());
}

/** Incremental form for streams: feed chunks, then `digest()`. */
export function integrityHasher(salt: Uint8Array): { update(chunk: Uint8Array): void; digest(): Hex } {
  requireBytes(salt, SALT_BYTES, 'salt');
  const node = nodeCrypto();
  if (node) {
    const nh = node.createHash('sha256').update(salt);
    return { update: (chunk) => void nh.update(chunk), digest: () => `0x${nh.digest('hex')}` };
  }
  const h = sha256.create().update(salt);
  return { update: (chunk) => void h.update(chunk), digest: () => toHex(h.digest()) };
}

/** True when `expected` (e.g. read from chain) is the salted hash of `plaintext`. Constant-time compare. */
export function verifyIntegrity(plaintext: Uint8Array, salt: Uint8Array, expected: string): boolean {
  const want = fromHex(expected, 'expected integrity hash');
  if (want.length !== 32) throw new CryptoInputError('expected integrity hash must be 32 bytes');
  return equalBytes(fromHex(integrityHash(plaintext, salt)), want);
}
