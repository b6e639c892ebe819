/**
 * Typed errors of the crypto module. Callers match on the class; messages say what went wrong and
 * what to check, and never contain key material or plaintext.
 */
export class CryptoError extends Error {
  override name = 'CryptoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Input of the wrong shape or size (bad key length, bad binding, unknown format byte). */
export class CryptoInputError extends CryptoError {
  override name = 'CryptoInputError';
}

/**
 * Authenticated decryption failed: wrong key, a flipped bit, a ciphertext presented under another
 * record's binding, or a truncated / reordered stream. AEAD cannot tell these apart, by design.
 */
export class DecryptionError extends CryptoError {
  override name = 'DecryptionError';
}

/** The passphrase does not match the keystore (its MAC check failed). */
export class KeystorePassphraseError extends CryptoError {
  override name = 'KeystorePassphraseError';
}

/** The keystore JSON is not a valid Web3 Secret Storage v3 document (or uses unsupported parameters). */
export class KeystoreFormatError extends CryptoError {
  override name = 'KeystoreFormatError';
}

/** Escrow recovery failed: too few or invalid shares. */
export class EscrowError extends CryptoError {
  override name = 'EscrowError';
}
