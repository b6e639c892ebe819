/**
 * Emergency (break-glass) escrow with no single point of trust.
 *
 * Instead of one escrow private key that some operator could use on a whim, each record version's
 * data key is split with Shamir's secret sharing (k-of-n over GF(2^8), the audited
 * `shamir-secret-sharing` package) and every share is HPKE-wrapped to one custodian (a hospital or
 * the patient's nominated party). After a break-glass event is on chain, each custodian checks it
 * (the requester, patient and expiry in the event log) and re-wraps its share to the requester's
 * encryption key with `releaseEscrowShare`; the requester needs k releases to `recoverEscrowedDataKey`.
 * Fewer than k colluding custodians learn nothing about the data key; no key that opens every
 * record ever exists in one place; every release is per record, so an override reveals only that
 * record. The on-chain check is the custodian gateway's job (issue 5); this module is pure crypto.
 */
import { combine, split } from 'shamir-secret-sharing';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, equalBytes, requireBytes, utf8ToBytes } from './bytes.ts';
import { encodeBinding, labelled, type RecordBinding } from './binding.ts';
import { CryptoInputError, DecryptionError, EscrowError } from './errors.ts';
import { hpkeUnwrap, hpkeWrap } from './wrapDataKey.ts';
import { DATA_KEY_BYTES } from './sealRecord.ts';

export interface EscrowCustodian {
  /** Stable id of the custodian (e.g. its on-chain address). */
  id: string;
  publicKey: Uint8Array;
}

export interface EscrowBundle {
  threshold: number;
  /** keccak256(label || binding || dataKey): lets the requester check a recovered key; reveals nothing usable. */
  commitment: Uint8Array;
  shares: Array<{ custodian: string; index: number; envelope: Uint8Array }>;
}

export interface ReleasedShare {
  index: number;
  envelope: Uint8Array;
}

const MAX_CUSTODIANS = 255;
const u8 = (n: number) => Uint8Array.of(n);

function commitmentOf(dataKey: Uint8Array, binding: RecordBinding): Uint8Array {
  return keccak_256(concatBytes(utf8ToBytes('medchain:escrow-commit:v1'), encodeBinding(binding), dataKey));
}

/** Splits a data key k-of-n and wraps share i to custodian i. */
export async function escrowDataKey(dataKey: Uint8Array, binding: RecordBinding, custodians: EscrowCustodian[], threshold: number): Promise<EscrowBundle> {
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  if (!Array.isArray(custodians) || custodians.length < 2 || custodians.length > MAX_CUSTODIANS) {
    throw new CryptoInputError(`escrow needs between 2 and ${MAX_CUSTODIANS} custodians`);
  }
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > custodians.length) {
    throw new CryptoInputError(`threshold must be an integer between 2 and the number of custodians (${custodians.length})`);
  }
  if (new Set(custodians.map((c) => c.id)).size !== custodians.length) throw new CryptoInputError('custodian ids must be distinct');
  const shares = await split(dataKey, custodians.length, threshold);
  const out: EscrowBundle['shares'] = [];
  for (const [i, custodian] of custodians.entries()) {
    const share = shares[i]!;
    out.push({ custodian: custodian.id, index: i, envelope: await hpkeWrap(share, custodian.publicKey, labelled('escrow-share', binding, u8(i))) });
    share.fill(0);
  }
  return { threshold, commitment: commitmentOf(dataKey, binding), shares: out };
}

/**
 * Run by a custodian after it has verified the on-chain break-glass event: opens its share and
 * re-wraps it to the requester. The share itself never leaves the custodian unencrypted.
 */
export async function releaseEscrowShare(
  share: { index: number; envelope: Uint8Array }, custodianPrivateKey: Uint8Array, binding: RecordBinding, requesterPublicKey: Uint8Array,
): Promise<ReleasedShare> {
  if (!Number.isInteger(share?.index) || share.index < 0 || share.index >= MAX_CUSTODIANS) throw new CryptoInputError('share.index must be an integer in 0..254');
  const secret = await hpkeUnwrap(share.envelope, custodianPrivateKey, labelled('escrow-share', binding, u8(share.index)), 'escrow share');
  try {
    return { index: share.index, envelope: await hpkeWrap(secret, requesterPublicKey, labelled('escrow-release', binding, u8(share.index))) };
  } finally {
    secret.fill(0);
  }
}

/** Run by the break-glass requester with at least `threshold` released shares. */
export async function recoverEscrowedDataKey(
  bundle: Pick<EscrowBundle, 'threshold' | 'commitment'>, released: ReleasedShare[], requesterPrivateKey: Uint8Array, binding: RecordBinding,
): Promise<Uint8Array> {
  const distinct = new Map(released.map((r) => [r.index, r]));
  if (distinct.size < bundle.threshold) {
    throw new EscrowError(`need ${bundle.threshold} released shares from distinct custodians, got ${distinct.size}`);
  }
  const shares: Uint8Array[] = [];
  for (const r of distinct.values()) {
    try {
      shares.push(await hpkeUnwrap(r.envelope, requesterPrivateKey, labelled('escrow-release', binding, u8(r.index)), 'released escrow share'));
    } catch (cause) {
      if (cause instanceof DecryptionError) throw new EscrowError(`released share ${r.index} did not open for this requester and record`, { cause });
      throw cause;
    }
  }
  const dataKey = await combine(shares);
  if (dataKey.length !== DATA_KEY_BYTES || !equalBytes(commitmentOf(dataKey, binding), bundle.commitment)) {
    throw new EscrowError('recovered key does not match the escrow commitment: a share is wrong or from another record');
  }
  return dataKey;
}
