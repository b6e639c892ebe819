/**
 * Keys by role, in one place: what each role's key is, how a fresh one is made, and the shapes the
 * CLI hands the gateway. Every fresh key comes from `randomKey()` (src/crypto/randomKey.ts). Both
 * the CLI and the gateway import this module; it imports neither (on disk, each role's keystore is
 * the CLI's: src/cli/roleKeys.ts, src/cli/custodial.ts, src/cli/studyComputeKey.ts).
 *
 *   role                          key                   held in
 *   node authority, admin         secp256k1             keys/authority.json, keys/admin.json
 *   gateway operator              secp256k1             keys/operator.json (GatewayOptions.operatorKey)
 *   escrow custodian i            X25519 (CustodianKey) keys/custodian-<i>.json
 *   custodial account             secp256k1 + X25519    <data-dir>/custodial/*.json (CustodialKey)
 *   research compute service      X25519                keys/study-compute.json (StudyComputeKey)
 *   patient, provider, device     secp256k1 + X25519    `medchain keys new`, the web UI
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { encryptionPublicKey, generateEncryptionKeyPair } from '../crypto/hpke.ts';
import { randomKey } from '../crypto/randomKey.ts';

export { randomKey };

/** A fresh account key (secp256k1) as viem takes it: authority, admin, operator, people, throwaway deployers. */
export const newAccountKey = (): Hex => bytesToHex(randomKey());

/** An escrow custodian's X25519 key; `id` is how share rows name it. */
export interface CustodianKey { id: string; publicKey: Uint8Array; privateKey: Uint8Array }

/** A custodian's public identity: its X25519 public key (lowercase, as the share rows store it). */
export const custodianId = (publicKey: Uint8Array): string => `x25519:${bytesToHex(publicKey).slice(2)}`;

/** A new custodian key: a random X25519 key pair (RFC 7748). */
export function newCustodianKey(): CustodianKey {
  const { privateKey, publicKey } = generateEncryptionKeyPair();
  return { id: custodianId(publicKey), privateKey, publicKey };
}

/**
 * The custodian keys data directories created before separate custodian keystores used: derived
 * from the hospital's first admin key with HKDF-SHA256 (RFC 5869). Only for migrating such a data
 * directory once (the shares deposited then are wrapped to these keys); never for new shares.
 */
export function legacyCustodianKeys(adminKey: Hex, count: number): CustodianKey[] {
  const admin = privateKeyToAddress(adminKey).toLowerCase();
  return Array.from({ length: count }, (_, i) => {
    const privateKey = hkdf(sha256, hexToBytes(adminKey), new TextEncoder().encode('medchain:escrow-custodian:v1'), new TextEncoder().encode(`custodian ${i}`), 32);
    return { id: `${admin}/${i}`, privateKey, publicKey: encryptionPublicKey(privateKey) };
  });
}

/** An account whose keys the hospital holds (an EHR integration, a device bridge): the gateway's FHIR API encrypts and signs for it. */
export interface CustodialKey {
  /** The account's Ethereum key (signs its record transactions). */
  privateKey: Hex;
  /** Its X25519 key (opens the envelopes wrapped to it); its public half is published on chain. */
  encryptionPrivateKey: Uint8Array;
}

/** An X25519 key pair the hospital holds for studies (keys/study-compute.json under `medchain start`). */
export interface StudyComputeKey { publicKey: Uint8Array; privateKey: Uint8Array }
