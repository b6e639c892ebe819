/**
 * Record sealing: a fresh 256-bit data key per record version, AES-256-GCM (NIST SP 800-38D) via
 * WebCrypto, 96-bit random nonce, associated data = the record binding (record id, version, patient).
 *
 * Ciphertext layout (format 0x01):  0x01 || nonce(12) || AES-GCM( salt(32) || plaintext ) || tag(16)
 * The salt of the integrity hash sits inside the encryption, so only readers learn it.
 * On Node the cipher is OpenSSL's through node:crypto (platform.ts): synchronous, no copy of the
 * plaintext into a salt||plaintext buffer; in a browser WebCrypto. Same bytes either way.
 */
import { bs, concatBytes, randomBytes, requireBytes, subtle, type Hex } from './bytes.ts';
import { labelled, type RecordBinding } from './binding.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import { generateSalt, integrityHash, SALT_BYTES } from './integrity.ts';
import { nodeCrypto, type NodeCrypto } from './platform.ts';

export const DATA_KEY_BYTES = 32;
export const RECORD_FORMAT = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Overhead of a sealed record over its plaintext. */
export const RECORD_OVERHEAD = 1 + NONCE_BYTES + SALT_BYTES + TAG_BYTES;
/** WebCrypto AES-GCM takes one buffer; larger payloads go through the streaming format (stream.ts). */
export const MAX_RECORD_BYTES = 256 * 2 ** 20;

export interface SealedRecord {
  ciphertext: Uint8Array;
  dataKey: Uint8Array;
  integrityHash: Hex;
  salt: Uint8Array;
}

export interface OpenedRecord {
  plaintext: Uint8Array;
  salt: Uint8Array;
}

export function generateDataKey(): Uint8Array {
  return randomBytes(DATA_KEY_BYTES);
}

export async function importAesKey(dataKey: Uint8Array, usage: KeyUsage[]): Promise<CryptoKey> {
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  return subtle().importKey('raw', bs(dataKey), { name: 'AES-GCM' }, false, usage);
}

/**
 * Seals one record version under a fresh data key.
 * @example const { ciphertext, dataKey, integrityHash } = await sealRecord(bytes, { recordId, version: 0, patient })
 */
export async function sealRecord(plaintext: Uint8Array, binding: RecordBinding, options: { dataKey?: Uint8Array; salt?: Uint8Array } = {}): Promise<SealedRecord> {
  requireBytes(plaintext, undefined, 'plaintext');
  if (plaintext.length > MAX_RECORD_BYTES) throw new CryptoInputError(`plaintext is larger than ${MAX_RECORD_BYTES} bytes: use sealStream for large attachments`);
  const aad = concatBytes(Uint8Array.of(RECORD_FORMAT), labelled('record', binding));
  const dataKey = options.dataKey ?? generateDataKey();
  const salt = options.salt ?? generateSalt();
  requireBytes(salt, SALT_BYTES, 'salt');
  const nonce = randomBytes(NONCE_BYTES);
  const node = nodeCrypto();
  if (node) {
    requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
    const cipher = node.createCipheriv('aes-256-gcm', dataKey, nonce).setAAD(aad);
    const ciphertext = concatBytes(Uint8Array.of(RECORD_FORMAT), nonce, cipher.update(salt), cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
    return { ciphertext, dataKey, integrityHash: integrityHash(plaintext, salt), salt };
  }
  const key = await importAesKey(dataKey, ['encrypt']);
  const body = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bs(nonce), additionalData: bs(aad) }, key, bs(concatBytes(salt, plaintext))));
  return { ciphertext: concatBytes(Uint8Array.of(RECORD_FORMAT), nonce, body), dataKey, integrityHash: integrityHash(plaintext, salt), salt };
}

const AUTH_FAILED = 'record authentication failed: wrong data key, corrupted ciphertext, or ciphertext of another record id / version / patient';

/** node:crypto path of openRecord. Nothing decrypted is returned unless final() authenticated the tag. */
function openWithNode(node: NodeCrypto, ciphertext: Uint8Array, dataKey: Uint8Array, aad: Uint8Array): OpenedRecord {
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  const tagAt = ciphertext.length - TAG_BYTES;
  let inner: Uint8Array;
  try {
    const decipher = node.createDecipheriv('aes-256-gcm', dataKey, ciphertext.subarray(1, 1 + NONCE_BYTES)).setAAD(aad).setAuthTag(ciphertext.subarray(tagAt));
    const body = decipher.update(ciphertext.subarray(1 + NONCE_BYTES, tagAt));
    decipher.final();
    inner = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  } catch (cause) {
    throw new DecryptionError(AUTH_FAILED, { cause });
  }
  return { salt: inner.slice(0, SALT_BYTES), plaintext: inner.subarray(SALT_BYTES) };
}

/** Opens a sealed record; throws DecryptionError on wrong key, tampering or a different binding. */
export async function openRecord(ciphertext: Uint8Array, dataKey: Uint8Array, binding: RecordBinding): Promise<OpenedRecord> {
  requireBytes(ciphertext, undefined, 'ciphertext');
  const aad = concatBytes(Uint8Array.of(RECORD_FORMAT), labelled('record', binding));
  if (ciphertext.length < RECORD_OVERHEAD) throw new DecryptionError(`ciphertext too short (${ciphertext.length} bytes): truncated or not a sealed record`);
  if (ciphertext[0] !== RECORD_FORMAT) throw new DecryptionError(`unknown record format byte 0x${ciphertext[0]!.toString(16)}: not a sealed record or corrupted`);
  const node = nodeCrypto();
  if (node) return openWithNode(node, ciphertext, dataKey, aad);
  const key = await importAesKey(dataKey, ['decrypt']);
  let inner: Uint8Array;
  try {
    inner = new Uint8Array(await subtle().decrypt(
      { name: 'AES-GCM', iv: bs(ciphertext.subarray(1, 1 + NONCE_BYTES)), additionalData: bs(aad) },
      key,
      bs(ciphertext.subarray(1 + NONCE_BYTES)),
    ));
  } catch (cause) {
    throw new DecryptionError(AUTH_FAILED, { cause });
  }
  return { salt: inner.slice(0, SALT_BYTES), plaintext: inner.subarray(SALT_BYTES) };
}
