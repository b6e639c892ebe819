/**
 * HPKE (RFC 9180) suite used for every key envelope: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM, base mode — implemented by @hpke/core on WebCrypto, so it runs in Node and browsers.
 * Encryption keys are raw 32-byte X25519 scalars (RFC 7748); public keys are 32 bytes.
 */
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { x25519 } from '@noble/curves/ed25519.js';
import { requireBytes } from './bytes.ts';
import { randomKey } from './randomKey.ts';
import { CryptoInputError } from './errors.ts';

export const X25519_KEY_BYTES = 32;

export const hpkeSuite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

export interface EncryptionKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh X25519 key pair for receiving key envelopes. */
export function generateEncryptionKeyPair(): EncryptionKeyPair {
  const privateKey = randomKey();
  return { privateKey, publicKey: encryptionPublicKey(privateKey) };
}

/** The X25519 public key of a private key (RFC 7748 scalar multiplication of the base point). */
export function encryptionPublicKey(privateKey: Uint8Array): Uint8Array {
  requireBytes(privateKey, X25519_KEY_BYTES, 'X25519 private key');
  return x25519.getPublicKey(privateKey);
}

export async function importRecipientPublicKey(publicKey: Uint8Array): Promise<CryptoKey> {
  requireBytes(publicKey, X25519_KEY_BYTES, 'X25519 public key');
  try {
    return await hpkeSuite.kem.deserializePublicKey(publicKey);
  } catch (cause) {
    throw new CryptoInputError('not a valid X25519 public key', { cause });
  }
}

export async function importRecipientPrivateKey(privateKey: Uint8Array): Promise<CryptoKey> {
  requireBytes(privateKey, X25519_KEY_BYTES, 'X25519 private key');
  try {
    return await hpkeSuite.kem.deserializePrivateKey(privateKey);
  } catch (cause) {
    throw new CryptoInputError('not a valid X25519 private key', { cause });
  }
}
