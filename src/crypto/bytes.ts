/** Small byte helpers shared by the crypto module (browser-safe: no node:buffer). */
import { bytesToHex, hexToBytes as nobleHexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { CryptoInputError } from './errors.ts';

export type Hex = `0x${string}`;

export { utf8ToBytes };

/** WebCrypto's BufferSource wants an ArrayBuffer-backed view; our views never use SharedArrayBuffer. */
export function bs(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u as Uint8Array<ArrayBuffer>;
}

export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

/** Parses hex with or without 0x; throws CryptoInputError (never a bare SyntaxError). */
export function fromHex(hex: string, what = 'hex value'): Uint8Array {
  if (typeof hex !== 'string') throw new CryptoInputError(`${what} must be a hex string`);
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw new CryptoInputError(`${what} is not valid hex`);
  return nobleHexToBytes(body);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues is limited to 65536 bytes per call (WebCrypto).
  for (let at = 0; at < n; at += 65536) globalThis.crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
}

/** Constant-time comparison for MACs and hashes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function requireBytes(value: unknown, length: number | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CryptoInputError(`${what} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new CryptoInputError(`${what} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

export const subtle = (): SubtleCrypto => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new CryptoInputError('WebCrypto (globalThis.crypto.subtle) is not available: use Node >= 20 or a browser in a secure context');
  return s;
};
