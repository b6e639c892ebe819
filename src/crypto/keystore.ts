/**
 * Keystores in the Web3 Secret Storage Definition v3 format (the JSON that geth, ethers and MetaMask
 * write): scrypt (RFC 7914, @noble/hashes) or PBKDF2-HMAC-SHA256 (WebCrypto) derives a 32-byte key;
 * its first 16 bytes are the AES-128-CTR key for the private key, and
 * mac = keccak256(derivedKey[16..32] || ciphertext) detects a wrong passphrase.
 *
 * The same format holds both key kinds a MedChain user has: the secp256k1 account key (with its
 * `address`, interoperable with any Ethereum wallet) and the X25519 encryption key, marked with an
 * extra `medchain: { kind: 'encryption', publicKey }` member that other tools ignore.
 * Passphrases are used as their UTF-8 bytes, like geth (no Unicode normalization).
 */
import { z } from 'zod';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bs, concatBytes, equalBytes, fromHex, randomBytes, requireBytes, subtle, toHex, utf8ToBytes, type Hex } from './bytes.ts';
import { CryptoInputError, KeystoreFormatError, KeystorePassphraseError } from './errors.ts';
import { encryptionPublicKey } from './hpke.ts';

export type KeyKind = 'account' | 'encryption';

/** geth's "standard" scrypt cost: N = 2^18, r = 8, p = 1 (about 256 MiB·s of work). */
export const DEFAULT_SCRYPT_N = 2 ** 18;
/** Refuse to run KDFs that a hostile keystore could use to exhaust memory or CPU. */
const MAX_SCRYPT_MEMORY = 1024 * 2 ** 20;
const MAX_PBKDF2_ROUNDS = 10_000_000;

const hexString = (bytes?: number) => z.string().regex(/^(0x)?[0-9a-fA-F]*$/).refine((s) => bytes === undefined || s.replace(/^0x/, '').length === bytes * 2, { message: `must be ${bytes} bytes of hex` });

const scryptParams = z.object({ dklen: z.literal(32), n: z.number().int().min(2), r: z.number().int().min(1), p: z.number().int().min(1), salt: hexString() });
const pbkdf2Params = z.object({ dklen: z.literal(32), c: z.number().int().min(1).max(MAX_PBKDF2_ROUNDS), prf: z.literal('hmac-sha256'), salt: hexString() });

const cryptoSection = z.object({
  cipher: z.literal('aes-128-ctr'),
  cipherparams: z.object({ iv: hexString(16) }),
  ciphertext: hexString().refine((s) => s.replace(/^0x/, '').length > 0 && s.replace(/^0x/, '').length <= 64, { message: 'must be 1..32 bytes of hex' }),
  mac: hexString(32),
}).and(z.union([
  z.object({ kdf: z.literal('scrypt'), kdfparams: scryptParams }),
  z.object({ kdf: z.literal('pbkdf2'), kdfparams: pbkdf2Params }),
]));

export const keystoreSchema = z.object({
  version: z.literal(3),
  id: z.string().optional(),
  address: hexString(20).optional(),
  // Some writers (old MyEtherWallet, web3.js) use "Crypto".
  crypto: cryptoSection.optional(),
  Crypto: cryptoSection.optional(),
  medchain: z.object({ kind: z.enum(['account', 'encryption']), publicKey: hexString(32).optional() }).optional(),
}).refine((k) => k.crypto !== undefined || k.Crypto !== undefined, { message: 'crypto section missing' });

export type KeystoreV3 = z.infer<typeof keystoreSchema>;

export interface DecryptedKey {
  kind: KeyKind;
  privateKey: Uint8Array;
  /** Checksum-free lower-case 0x address, for account keys. */
  address?: Hex;
  /** X25519 public key, for encryption keys. */
  publicKey?: Uint8Array;
}

export interface EncryptKeystoreOptions {
  scryptN?: number;
  /** For account keys: checked against the address derived from the key. */
  address?: string;
  kind?: KeyKind;
}

/** Ethereum address of a secp256k1 key: last 20 bytes of keccak256(uncompressed public key without 0x04). */
export function accountAddress(privateKey: Uint8Array): Hex {
  requireBytes(privateKey, 32, 'account private key');
  if (!secp256k1.utils.isValidSecretKey(privateKey)) throw new CryptoInputError('not a valid secp256k1 private key');
  return toHex(keccak_256(secp256k1.getPublicKey(privateKey, false).subarray(1)).subarray(12));
}

async function aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', bs(key), { name: 'AES-CTR' }, false, ['encrypt']);
  return new Uint8Array(await subtle().encrypt({ name: 'AES-CTR', counter: bs(iv), length: 128 }, k, bs(data)));
}

/**
 * An scrypt implementation (RFC 7914). The default is @noble/hashes (runs in browsers too); Node
 * callers may pass node:crypto's, which is native and runs off the main thread, so two keystores
 * open in parallel.
 */
export type ScryptFn = (password: Uint8Array, salt: Uint8Array, params: { N: number; r: number; p: number; dkLen: number; maxmem: number }) => Promise<Uint8Array>;

async function deriveKey(passphrase: string, section: NonNullable<KeystoreV3['crypto']>, scrypt: ScryptFn = scryptAsync): Promise<Uint8Array> {
  const password = utf8ToBytes(passphrase);
  const salt = fromHex(section.kdfparams.salt, 'kdf salt');
  if (section.kdf === 'scrypt') {
    const { n, r, p } = section.kdfparams;
    if ((n & (n - 1)) !== 0) throw new KeystoreFormatError('scrypt n must be a power of two');
    if (128 * n * r > MAX_SCRYPT_MEMORY || p > 64) throw new KeystoreFormatError('scrypt parameters exceed the allowed cost (n·r·128 <= 1 GiB, p <= 64)');
    return scrypt(password, salt, { N: n, r, p, dkLen: 32, maxmem: MAX_SCRYPT_MEMORY + 2 ** 20 });
  }
  const base = await subtle().importKey('raw', bs(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: bs(salt), iterations: section.kdfparams.c }, base, 256));
}

function requirePassphrase(passphrase: unknown): asserts passphrase is string {
  if (typeof passphrase !== 'string') throw new CryptoInputError('passphrase must be a string');
}

/**
 * Encrypts a private key into a v3 keystore object (JSON.stringify it to save).
 * @example const ks = await encryptKeystore(key, 'correct horse', { kind: 'encryption' })
 */
export async function encryptKeystore(privateKey: Uint8Array, passphrase: string, options: EncryptKeystoreOptions = {}): Promise<KeystoreV3> {
  requirePassphrase(passphrase);
  requireBytes(privateKey, 32, 'private key');
  const kind = options.kind ?? 'account';
  if (kind !== 'account' && kind !== 'encryption') throw new CryptoInputError("kind must be 'account' or 'encryption'");
  const n = options.scryptN ?? DEFAULT_SCRYPT_N;
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0 || 128 * n * 8 > MAX_SCRYPT_MEMORY) throw new CryptoInputError('scryptN must be a power of two between 2 and 2^20');
  let address: Hex | undefined;
  let publicKey: Uint8Array | undefined;
  if (kind === 'account') {
    address = accountAddress(privateKey);
    if (options.address !== undefined && options.address.toLowerCase() !== address) {
      throw new CryptoInputError('options.address does not match the address of the private key');
    }
  } else {
    publicKey = encryptionPublicKey(privateKey);
  }
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const section = { cipher: 'aes-128-ctr', cipherparams: { iv: bytesToHex(iv) }, kdf: 'scrypt', kdfparams: { dklen: 32, n, r: 8, p: 1, salt: bytesToHex(salt) } } as const;
  const derived = await deriveKey(passphrase, { ...section, ciphertext: '', mac: '' });
  const ciphertext = await aes128Ctr(derived.subarray(0, 16), iv, privateKey);
  const mac = keccak_256(concatBytes(derived.subarray(16, 32), ciphertext));
  derived.fill(0);
  return {
    version: 3,
    id: globalThis.crypto.randomUUID(),
    ...(address ? { address: address.slice(2) } : {}),
    crypto: { ...section, ciphertext: bytesToHex(ciphertext), mac: bytesToHex(mac) },
    ...(kind === 'encryption' ? { medchain: { kind, publicKey: bytesToHex(publicKey!) } } : {}),
  };
}

/** Parses (object or JSON text) and checks a keystore; throws KeystoreFormatError with the first problem. */
export function parseKeystore(input: unknown): KeystoreV3 {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new KeystoreFormatError('keystore is not valid JSON', { cause });
    }
  }
  const parsed = keystoreSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeystoreFormatError(`not a Web3 Secret Storage v3 keystore: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Decrypts a keystore (object or JSON text). Wrong passphrase -> KeystorePassphraseError. */
export async function decryptKeystore(keystore: unknown, passphrase: string, options: { scrypt?: ScryptFn } = {}): Promise<DecryptedKey> {
  requirePassphrase(passphrase);
  const ks = parseKeystore(keystore);
  const section = (ks.crypto ?? ks.Crypto)!;
  const derived = await deriveKey(passphrase, section, options.scrypt);
  const ciphertext = fromHex(section.ciphertext);
  const mac = keccak_256(concatBytes(derived.subarray(16, 32), ciphertext));
  if (!equalBytes(mac, fromHex(section.mac))) {
    derived.fill(0);
    throw new KeystorePassphraseError('wrong passphrase for this keystore (MAC mismatch)');
  }
  const decrypted = await aes128Ctr(derived.subarray(0, 16), fromHex(section.cipherparams.iv), ciphertext);
  derived.fill(0);
  // Some old writers stored keys with leading zero bytes dropped (see geth's 31/30-byte vectors).
  const privateKey = new Uint8Array(32);
  privateKey.set(decrypted, 32 - decrypted.length);
  const kind = ks.medchain?.kind ?? 'account';
  if (kind === 'encryption') {
    const publicKey = encryptionPublicKey(privateKey);
    if (ks.medchain?.publicKey && !equalBytes(publicKey, fromHex(ks.medchain.publicKey))) {
      throw new KeystoreFormatError('keystore publicKey does not match its decrypted private key');
    }
    return { kind, privateKey, publicKey };
  }
  let address: Hex;
  try {
    address = accountAddress(privateKey);
  } catch (cause) {
    throw new KeystoreFormatError('decrypted key is not a valid secp256k1 key', { cause });
  }
  if (ks.address !== undefined && ks.address.replace(/^0x/, '').toLowerCase() !== address.slice(2)) {
    throw new KeystoreFormatError('keystore address does not match its decrypted private key');
  }
  return { kind, privateKey, address };
}

/** Re-encrypts a keystore under a new passphrase (fresh salt and IV; same key, kind and address). */
export async function changePassphrase(keystore: unknown, oldPassphrase: string, newPassphrase: string, options: { scryptN?: number } = {}): Promise<KeystoreV3> {
  const key = await decryptKeystore(keystore, oldPassphrase);
  try {
    return await encryptKeystore(key.privateKey, newPassphrase, { kind: key.kind, scryptN: options.scryptN });
  } finally {
    key.privateKey.fill(0);
  }
}

/** Imports a raw private key given as hex (e.g. from another wallet) into a keystore. */
export async function importPrivateKey(hex: string, passphrase: string, options: EncryptKeystoreOptions = {}): Promise<KeystoreV3> {
  const key = fromHex(hex, 'private key');
  return encryptKeystore(key, passphrase, options);
}

/** Exports the raw private key as 0x-hex after checking the passphrase. Handle with care. */
export async function exportPrivateKey(keystore: unknown, passphrase: string): Promise<Hex> {
  return toHex((await decryptKeystore(keystore, passphrase)).privateKey);
}
