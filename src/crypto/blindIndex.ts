/**
 * Blind indexes (searchable tokens over encrypted records): HMAC-SHA256 (RFC 2104) under a search key
 * held only by those allowed to search (the patient and their grantees), over normalized terms.
 * The server stores and matches tokens; it never sees the terms. Equal terms give equal tokens, so
 * token frequency is visible to the server — the documented leakage of any deterministic index.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { concatBytes, fromHex, randomBytes, requireBytes, utf8ToBytes } from './bytes.ts';
import { CryptoInputError } from './errors.ts';
import { hpkeUnwrap, hpkeWrap } from './wrapDataKey.ts';

export const BLIND_INDEX_KEY_BYTES = 32;

export function generateBlindIndexKey(): Uint8Array {
  return randomBytes(BLIND_INDEX_KEY_BYTES);
}

/** Unicode NFKC, accents removed, lower case, inner whitespace collapsed. */
export function normalizeTerm(term: string): string {
  if (typeof term !== 'string') throw new CryptoInputError('search term must be a string');
  const n = term.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
  if (n.length === 0) throw new CryptoInputError('search term is empty after normalization');
  return n;
}

/** A coded concept as `system|code`, e.g. codeTerm('http://loinc.org', '2345-7'). */
export function codeTerm(system: string, code: string): string {
  if (typeof system !== 'string' || typeof code !== 'string' || !system.trim() || !code.trim()) {
    throw new CryptoInputError('a coded term needs a non-empty system and code');
  }
  return `${system.trim()}|${code.trim()}`;
}

/** The keyword terms of free text (titles, notes): words of letters/digits, >= 2 characters, distinct. */
export function keywordTerms(text: string): string[] {
  if (typeof text !== 'string') throw new CryptoInputError('text must be a string');
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return [...new Set(folded.match(/[\p{L}\p{N}]{2,}/gu) ?? [])];
}

/** Token of one term (hex). `kind` separates namespaces so a code never matches a keyword. */
export function blindIndexToken(key: Uint8Array, term: string, kind: 'code' | 'word' = term.includes('|') ? 'code' : 'word'): string {
  requireBytes(key, BLIND_INDEX_KEY_BYTES, 'blind index key');
  const message = concatBytes(utf8ToBytes(`medchain:blind-index:v1:${kind}`), Uint8Array.of(0), utf8ToBytes(normalizeTerm(term)));
  return bytesToHex(hmac(sha256, key, message));
}

/** Tokens for a record: its codes and the keywords of its text, deduplicated and sorted (order leaks nothing). */
export function blindIndexTokens(key: Uint8Array, input: { codes?: Array<{ system: string; code: string }>; text?: string }): string[] {
  const tokens = new Set<string>();
  for (const c of input.codes ?? []) tokens.add(blindIndexToken(key, codeTerm(c.system, c.code), 'code'));
  for (const w of keywordTerms(input.text ?? '')) tokens.add(blindIndexToken(key, w, 'word'));
  return [...tokens].sort();
}

/** HPKE info for search-key envelopes: bound to the patient whose records the key indexes. */
function searchKeyInfo(patient: string): Uint8Array {
  const id = fromHex(patient, 'patient');
  if (!patient.startsWith('0x') || (id.length !== 20 && id.length !== 32)) throw new CryptoInputError('patient must be a 0x-prefixed 20-byte address or 32-byte id');
  return concatBytes(utf8ToBytes('medchain:search-key:v1'), Uint8Array.of(0), id);
}

/** Shares a patient's blind-index key with someone allowed to search (same HPKE suite as data keys). */
export async function wrapBlindIndexKey(key: Uint8Array, recipientPublicKey: Uint8Array, patient: string): Promise<Uint8Array> {
  requireBytes(key, BLIND_INDEX_KEY_BYTES, 'blind index key');
  return hpkeWrap(key, recipientPublicKey, searchKeyInfo(patient));
}

export async function unwrapBlindIndexKey(envelope: Uint8Array, recipientPrivateKey: Uint8Array, patient: string): Promise<Uint8Array> {
  return hpkeUnwrap(envelope, recipientPrivateKey, searchKeyInfo(patient), 'search key envelope');
}
