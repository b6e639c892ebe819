/**
 * The one source of fresh private keys — account (secp256k1) and encryption (X25519) keys alike:
 * 32 bytes from the platform's CSPRNG (WebCrypto getRandomValues, in Node and in browsers), drawn
 * again in the ~2^-128 case they are not a valid secp256k1 key (SEC 1 §3.2.1: 1 ≤ d < n). Any 32
 * bytes are an X25519 scalar (RFC 7748 §5 clamps them at use). Salts, nonces, session tokens and
 * record ids are not keys and do not come from here.
 */
import { randomBytes } from './bytes.ts';

export const PRIVATE_KEY_BYTES = 32;

/** The order n of the secp256k1 group (SEC 2 §2.4.1). */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Whether 32 bytes are a valid secp256k1 private key: 1 ≤ d < n. */
export function isValidSecp256k1Key(key: Uint8Array): boolean {
  let d = 0n;
  for (const b of key) d = (d << 8n) | BigInt(b);
  return key.length === PRIVATE_KEY_BYTES && d > 0n && d < SECP256K1_ORDER;
}

/** A fresh 32-byte private key, valid for secp256k1 and X25519. */
export function randomKey(): Uint8Array {
  for (;;) {
    const key = randomBytes(PRIVATE_KEY_BYTES);
    if (isValidSecp256k1Key(key)) return key;
  }
}
