/**
 * Blinded record categories (issue 14 item 5). A record's on-chain category is
 * HMAC-SHA256(K_P, "medchain:category:v1" ‖ 0x00 ‖ resourceType) (RFC 2104) under a random 32-byte
 * key K_P per patient, so the same type gives unrelated values for two patients and nobody without
 * K_P can map a category back by hashing the ~20 FHIR type names. The contracts compare categories
 * for equality only (a category-scoped grant's scopeValue must equal the record's category).
 *
 * K_P is held by the patient and by the patient's hospital gateway, each as an HPKE envelope (same
 * suite as data keys) bound to the patient; the gateway computes categories for the patient's
 * grantees and writers (routes/categories.ts). The gateway's own envelope is sealed to an X25519
 * key derived from its operator key with HKDF-SHA256 (RFC 5869): a secret it already holds, so no
 * new key file to lose.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, randomBytes, requireBytes, toHex, utf8ToBytes, type Hex } from './bytes.ts';
import { CryptoInputError } from './errors.ts';
import { encryptionPublicKey, type EncryptionKeyPair } from './hpke.ts';
import { hpkeUnwrap, hpkeWrap } from './wrapDataKey.ts';

export const CATEGORY_KEY_BYTES = 32;

export function generateCategoryKey(): Uint8Array {
  return randomBytes(CATEGORY_KEY_BYTES);
}

/** The blinded on-chain category (bytes32 hex) of `resourceType` for the patient whose key this is. */
export function blindCategory(categoryKey: Uint8Array, resourceType: string): Hex {
  requireBytes(categoryKey, CATEGORY_KEY_BYTES, 'category key');
  if (typeof resourceType !== 'string' || !/^[A-Z][A-Za-z]{0,63}$/.test(resourceType)) throw new CryptoInputError('resource type must be a FHIR type name such as "Observation"');
  return toHex(hmac(sha256, categoryKey, concatBytes(utf8ToBytes('medchain:category:v1'), Uint8Array.of(0), utf8ToBytes(resourceType))));
}

/** HPKE info for category-key envelopes: bound to the patient whose records the key blinds. */
function categoryKeyInfo(patient: string): Uint8Array {
  const id = fromHex(patient, 'patient');
  if (!patient.startsWith('0x') || id.length !== 20) throw new CryptoInputError('patient must be a 0x-prefixed 20-byte address');
  return concatBytes(utf8ToBytes('medchain:category-key:v1'), Uint8Array.of(0), id);
}

export async function wrapCategoryKey(key: Uint8Array, recipientPublicKey: Uint8Array, patient: string): Promise<Uint8Array> {
  requireBytes(key, CATEGORY_KEY_BYTES, 'category key');
  return hpkeWrap(key, recipientPublicKey, categoryKeyInfo(patient));
}

export async function unwrapCategoryKey(envelope: Uint8Array, recipientPrivateKey: Uint8Array, patient: string): Promise<Uint8Array> {
  return hpkeUnwrap(envelope, recipientPrivateKey, categoryKeyInfo(patient), 'category key envelope');
}

/** The X25519 key pair a gateway seals its own category-key envelopes to, derived from its operator key. */
export function gatewayWrappingKeyPair(operatorKey: Uint8Array): EncryptionKeyPair {
  requireBytes(operatorKey, 32, 'operator key');
  const privateKey = hkdf(sha256, operatorKey, utf8ToBytes('medchain:gateway-wrapping-key:v1'), utf8ToBytes('x25519'), 32);
  return { privateKey, publicKey: encryptionPublicKey(privateKey) };
}

/**
 * The on-chain purpose tag (bytes32 hex) of a grant or access request by this patient to `grantee`
 * for `purpose`: HMAC-SHA256(K_P, "medchain:purpose:v1" ‖ 0x00 ‖ grantee ‖ purpose). With five
 * purposes a per-patient tag alone would still let an outsider group a patient's grants by purpose;
 * binding the grantee also makes tags of different grantees unrelated, and lets the gateway hand a
 * requesting provider the tags for themself only (which decode nothing but their own requests).
 * The contract never reads the purpose; the key holders decode it by trying the few purposes.
 */
export function blindPurpose(categoryKey: Uint8Array, grantee: string, purpose: string): Hex {
  requireBytes(categoryKey, CATEGORY_KEY_BYTES, 'category key');
  const id = fromHex(grantee, 'grantee');
  if (!grantee.startsWith('0x') || id.length !== 20) throw new CryptoInputError('grantee must be a 0x-prefixed 20-byte address');
  if (typeof purpose !== 'string' || !/^[A-Z][A-Za-z]{0,31}$/.test(purpose)) throw new CryptoInputError('purpose must be a purpose name such as "Treatment"');
  return toHex(hmac(sha256, categoryKey, concatBytes(utf8ToBytes('medchain:purpose:v1'), Uint8Array.of(0), id, utf8ToBytes(purpose))));
}
