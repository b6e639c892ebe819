/**
 * Streaming encryption for large attachments (imaging, PDFs, up to many GB) in bounded memory:
 * the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and
 * its Nonce-Reuse Misuse-Resistance", CRYPTO 2015), as used by age and Tink's streaming AEAD.
 *
 *   header  = "MCS" 0x01 || chunkSize u32 || kdfSalt(16) || noncePrefix(7)                  (31 bytes)
 *   key     = HKDF-SHA256(dataKey, kdfSalt, "medchain:stream:v1" || binding)   (RFC 5869, WebCrypto)
 *   nonce_i = noncePrefix || i (u32, big-endian) || lastFlag (0x00 / 0x01)
 *   chunk_i = AES-256-GCM(key, nonce_i, aad = header, plaintext_i)             (chunkSize + 16 bytes)
 *
 * Every chunk but the last is exactly chunkSize bytes of plaintext; the last carries the flag, so a
 * stream cut at a chunk boundary, chunks swapped, dropped or appended all fail authentication.
 * The plaintext stream is integritySalt(32) || data: the salt of the on-chain integrity hash
 * travels encrypted with the attachment, exactly as in a sealed record.
 * On Node the HKDF and the chunk cipher are node:crypto's (platform.ts), in a browser WebCrypto's.
 */
import { bs, concatBytes, randomBytes, requireBytes, subtle, type Hex } from './bytes.ts';
import { labelled, type RecordBinding } from './binding.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import { generateSalt, integrityHasher, SALT_BYTES } from './integrity.ts';
import { DATA_KEY_BYTES, generateDataKey } from './sealRecord.ts';
import { nodeCrypto } from './platform.ts';

export const STREAM_HEADER_BYTES = 31;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 16 * 2 ** 20;
const TAG = 16;
const MAGIC = Uint8Array.of(0x4d, 0x43, 0x53, 0x01); // "MCS" v1

/** Seals or opens one chunk (sealed = ciphertext || tag); an open that fails authentication throws. */
type ChunkCipher = (data: Uint8Array, iv: Uint8Array<ArrayBuffer>) => Promise<Uint8Array> | Uint8Array;

async function chunkCipher(dataKey: Uint8Array, kdfSalt: Uint8Array, binding: RecordBinding, header: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<ChunkCipher> {
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  const info = labelled('stream', binding);
  const node = nodeCrypto();
  if (node) {
    const key = new Uint8Array(node.hkdfSync('sha256', dataKey, kdfSalt, info, 32));
    if (usage === 'encrypt') {
      return (data, iv) => {
        const c = node.createCipheriv('aes-256-gcm', key, iv).setAAD(header);
        return concatBytes(c.update(data), c.final(), c.getAuthTag());
      };
    }
    return (sealed, iv) => {
      if (sealed.length < TAG) throw new DecryptionError('sealed chunk shorter than its tag');
      const d = node.createDecipheriv('aes-256-gcm', key, iv).setAAD(header).setAuthTag(sealed.subarray(sealed.length - TAG));
      const out = d.update(sealed.subarray(0, sealed.length - TAG));
      d.final();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    };
  }
  const ikm = await subtle().importKey('raw', bs(dataKey), 'HKDF', false, ['deriveKey']);
  const key = await subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: bs(kdfSalt), info: bs(info) },
    ikm, { name: 'AES-GCM', length: 256 }, false, [usage],
  );
  return async (data, iv) => new Uint8Array(await subtle()[usage]({ name: 'AES-GCM', iv, additionalData: bs(header) }, key, bs(data)));
}

function nonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array<ArrayBuffer> {
  if (index >= 2 ** 32) throw new CryptoInputError('stream too long: more than 2^32 chunks');
  const n = new Uint8Array(12);
  n.set(prefix, 0);
  new DataView(n.buffer).setUint32(7, index);
  n[11] = last ? 1 : 0;
  return n;
}

export interface SealingStream extends TransformStream<Uint8Array, Uint8Array> {
  dataKey: Uint8Array;
  salt: Uint8Array;
  /** sha256(salt || plaintext), resolved when the stream has been fully sealed. */
  integrityHash: Promise<Hex>;
}

export interface OpeningStream extends TransformStream<Uint8Array, Uint8Array> {
  /** Resolved when the whole stream authenticated; rejected with DecryptionError otherwise. */
  result: Promise<{ salt: Uint8Array; integrityHash: Hex }>;
}

/**
 * A TransformStream that seals plaintext chunks into the STREAM format.
 * @example const s = sealStream(binding); await file.stream().pipeThrough(s).pipeTo(sink); const h = await s.integrityHash
 */
export function sealStream(binding: RecordBinding, options: { dataKey?: Uint8Array; salt?: Uint8Array; chunkSize?: number } = {}): SealingStream {
  labelled('stream', binding); // validates the binding now, not at first write
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) throw new CryptoInputError(`chunkSize must be an integer between ${MIN_CHUNK} and ${MAX_CHUNK}`);
  const dataKey = options.dataKey ?? generateDataKey();
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  const salt = options.salt ?? generateSalt();
  requireBytes(salt, SALT_BYTES, 'salt');
  const kdfSalt = randomBytes(16);
  const prefix = randomBytes(7);
  const header = new Uint8Array(STREAM_HEADER_BYTES);
  header.set(MAGIC, 0);
  new DataView(header.buffer).setUint32(4, chunkSize);
  header.set(kdfSalt, 8);
  header.set(prefix, 24);
  const hasher = integrityHasher(salt);
  let cipher: ChunkCipher;
  let index = 0;
  let pending: Uint8Array = salt.slice();
  let resolveHash!: (h: Hex) => void;
  let rejectHash!: (e: unknown) => void;
  const integrityHash = new Promise<Hex>((res, rej) => { resolveHash = res; rejectHash = rej; });
  integrityHash.catch(() => undefined);
  const seal = async (plain: Uint8Array, last: boolean) => cipher(plain, nonce(prefix, index++, last));

  const transform = new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      cipher = await chunkCipher(dataKey, kdfSalt, binding, header, 'encrypt');
      controller.enqueue(header.slice());
    },
    async transform(chunk, controller) {
      try {
        requireBytes(chunk, undefined, 'stream chunk');
        hasher.update(chunk);
        pending = pending.length ? concatBytes(pending, chunk) : chunk;
        // Keep at least one byte back: the final chunk must be sealed with the last flag at flush.
        let at = 0;
        while (pending.length - at > chunkSize) {
          controller.enqueue(await seal(pending.subarray(at, at + chunkSize), false));
          at += chunkSize;
        }
        pending = pending.slice(at);
      } catch (err) {
        rejectHash(err);
        throw err;
      }
    },
    async flush(controller) {
      controller.enqueue(await seal(pending, true));
      pending = new Uint8Array(0);
      resolveHash(hasher.digest());
    },
  });
  return Object.assign(transform, { dataKey, salt, integrityHash });
}

/** A TransformStream that authenticates and decrypts the STREAM format; errors with DecryptionError. */
export function openStream(dataKey: Uint8Array, binding: RecordBinding): OpeningStream {
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  labelled('stream', binding);
  let header: Uint8Array | undefined;
  let prefix: Uint8Array;
  let chunkSize = 0;
  let cipher: ChunkCipher;
  let index = 0;
  let pending: Uint8Array = new Uint8Array(0);
  let salt: Uint8Array | undefined;
  let saltBuf: Uint8Array = new Uint8Array(0);
  let hasher: ReturnType<typeof integrityHasher> | undefined;
  let resolveResult!: (r: { salt: Uint8Array; integrityHash: Hex }) => void;
  let rejectResult!: (e: unknown) => void;
  const result = new Promise<{ salt: Uint8Array; integrityHash: Hex }>((res, rej) => { resolveResult = res; rejectResult = rej; });
  result.catch(() => undefined);

  const fail = (message: string, cause?: unknown): never => {
    const err = new DecryptionError(message, { cause });
    rejectResult(err);
    throw err;
  };
  const open = async (sealed: Uint8Array, last: boolean): Promise<Uint8Array> => {
    const i = index++;
    try {
      return await cipher(sealed, nonce(prefix, i, last));
    } catch (cause) {
      return fail(`stream chunk ${i} failed authentication: wrong data key or binding, or the stream was truncated, reordered or modified`, cause);
    }
  };
  // Strips the leading integrity salt, hashes and forwards the data.
  const emit = (plain: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>) => {
    let data = plain;
    if (!salt) {
      const need = SALT_BYTES - saltBuf.length;
      saltBuf = concatBytes(saltBuf, data.subarray(0, need));
      data = data.subarray(need);
      if (saltBuf.length < SALT_BYTES) return;
      salt = saltBuf;
      hasher = integrityHasher(salt);
    }
    if (data.length) {
      hasher!.update(data);
      controller.enqueue(data);
    }
  };

  const transform = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      if (!(chunk instanceof Uint8Array)) fail('stream chunks must be Uint8Array');
      pending = pending.length ? concatBytes(pending, chunk) : chunk;
      if (!header) {
        if (pending.length < STREAM_HEADER_BYTES) return;
        header = pending.slice(0, STREAM_HEADER_BYTES);
        pending = pending.subarray(STREAM_HEADER_BYTES);
        if (!MAGIC.every((b, i) => header![i] === b)) fail('not a MedChain sealed stream (bad magic) or corrupted header');
        chunkSize = new DataView(header.buffer, header.byteOffset).getUint32(4);
        if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) fail('sealed stream header has an invalid chunk size');
        prefix = header.slice(24, 31);
        cipher = await chunkCipher(dataKey, header.subarray(8, 24), binding, header, 'decrypt');
      }
      let at = 0;
      const sealedSize = chunkSize + TAG;
      while (pending.length - at > sealedSize) {
        emit(await open(pending.subarray(at, at + sealedSize), false), controller);
        at += sealedSize;
      }
      pending = pending.slice(at);
    },
    async flush(controller) {
      if (!header) fail('sealed stream truncated: header incomplete');
      if (pending.length < TAG) fail('sealed stream truncated: final chunk missing');
      emit(await open(pending, true), controller);
      if (!salt) fail('sealed stream truncated: integrity salt missing');
      resolveResult({ salt: salt!, integrityHash: hasher!.digest() });
    },
  });
  return Object.assign(transform, { result });
}
