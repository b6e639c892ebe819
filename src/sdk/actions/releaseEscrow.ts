/**
 * Break-glass escrow release: a reader with live emergency access and no key envelope of their own
 * asks the gateway's custodians for their shares of a version's data key; each custodian reads the
 * break-glass on chain itself and re-wraps its share to the reader's on-chain X25519 key. The data
 * key is recovered here from k shares, checked against the escrow commitment, and opens the
 * version (crypto/escrow.ts). Runs in Node and browsers.
 */
import type { Address, Hex } from 'viem';
import type { AccessView, GatewayClient } from '../gateway.ts';
import { openEscrowedRecordVersion } from '../records.ts';
import { withAnyKey } from '../shareWithGrantee.ts';

export interface ReleaseEscrowParameters {
  gateway: GatewayClient;
  recordId: Hex; version: number; patient: Address;
  /** The reader's X25519 private key(s): current first, retired ones after. */
  privateKeys: Uint8Array[];
  /** The version's ciphertext (or its pending fetch, so both travel in parallel with the release). */
  ciphertext: Uint8Array | Promise<Uint8Array>;
  /** The integrity hash registered on chain; without it `integrityVerified` is undefined. */
  integrityHash?: Hex | Promise<Hex>;
}

export interface ReleaseEscrowReturnType {
  plaintext: Uint8Array;
  /** The plaintext's salted hash equals `integrityHash`. */
  integrityVerified: boolean | undefined;
  /** The access the gateway released under (basis 'break-glass', until its end). */
  access: AccessView;
  /** k of the k-of-n escrow, and how many shares the custodians released. */
  threshold: number; shares: number;
}

/**
 * Opens a version with the escrow shares released to the reader; the gateway refuses (AccessDeniedError)
 * without live break-glass, and shares re-wrapped to someone else open nothing.
 * @example const { plaintext } = await releaseEscrow({ gateway, recordId, version: 1, patient, privateKeys: [key], ciphertext, integrityHash })
 */
export async function releaseEscrow(options: ReleaseEscrowParameters): Promise<ReleaseEscrowReturnType> {
  const { gateway, recordId, version, patient } = options;
  const [release, ciphertext, integrityHash] = await Promise.all([gateway.releaseEscrow(recordId, version), options.ciphertext, options.integrityHash]);
  const opened = await withAnyKey(options.privateKeys, (privateKey) => openEscrowedRecordVersion({
    ciphertext, escrow: { threshold: release.threshold, commitment: release.commitment }, released: release.shares,
    privateKey, recordId, version, patient, integrityHash,
  }));
  return { plaintext: opened.plaintext, integrityVerified: opened.integrityVerified, access: release.access, threshold: release.threshold, shares: release.shares.length };
}
