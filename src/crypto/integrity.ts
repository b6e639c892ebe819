/**
 * Salted integrity hash of a record's plaintext: keccak256(salt || plaintext), a bytes32 that the
 * record registry stores on chain. Without the salt the hash does not let anyone confirm a guessed
 * plaintext (e.g. "HIV test: positive"); the salt travels inside the encrypted record, so readers
 * learn it, and an auditor receives it from the patient to check the record against the chain.
 * keccak256 so a contract can recompute it with `keccak256(abi.encodePacked(salt, plaintext))`.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { equalBytes, fromHex, randomBytes, requireBytes, toHex, type Hex } from './bytes.ts';
import { CryptoInputError } from './errors.ts';

export const SALT_BYTES = 32;

export function generateSalt(): Uint8Array {
  return randomBytes(SALT_BYTES);
}

export function integrityHash(plaintext: Uint8Array, salt: Uint8Array): Hex {
  requireBytes(plaintext, undefined, 'plaintext');
  requireBytes(salt, SALT_BYTES, 'salt');
  return toHex(keccak_256.create().update(salt).update(plaintext).digest());
}

/** Incremental form for streams: feed chunks, then `digest()`. */
export function integrityHasher(salt: Uint8Array): { update(chunk: Uint8Array): void; digest(): Hex } {
  requireBytes(salt, SALT_BYTES, 'salt');
  const h = keccak_256.create().update(salt);
  return { update: (chunk) => void h.update(chunk), digest: () => toHex(h.digest()) };
}

/** True when `expected` (e.g. read from chain) is the salted hash of `plaintext`. Constant-time compare. */
export function verifyIntegrity(plaintext: Uint8Array, salt: Uint8Array, expected: string): boolean {
  const want = fromHex(expected, 'expected integrity hash');
  if (want.length !== 32) throw new CryptoInputError('expected integrity hash must be 32 bytes');
  return equalBytes(fromHex(integrityHash(plaintext, salt)), want);
}
