/**
 * Client-side record preparation, shared by the CLI, the web UI, the demo seeder and the tests:
 * a record version is encrypted where it is written (AES-256-GCM under a fresh data key), its data
 * key is wrapped with HPKE for every recipient, and what goes on chain — the ciphertext's CID and a
 * salted integrity hash — is computed here. Runs in Node and in browsers (no node: imports).
 */
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import {
  escrowDataKey, openRecord, recoverEscrowedDataKey, sealRecord, unwrapDataKey, verifyIntegrity, wrapDataKey,
  type EscrowBundle, type EscrowCustodian, type RecordBinding, type ReleasedShare,
} from '../crypto/index.ts';
import { recordCategory } from './contracts.ts';

/** A reader of the record: its account and current X25519 public key (from Identity.encryptionKeyOf). */
export interface Recipient {
  address: Address;
  publicKey: Uint8Array;
}

export interface PreparedRecordVersion {
  recordId: Hex;
  version: number;
  patient: Address;
  /** keccak256 of the FHIR resource type (or of "Binary" for attachments). */
  category: Hex;
  ciphertext: Uint8Array;
  /** CIDv1 (raw, sha2-256) of the ciphertext: the blob store key. */
  cid: string;
  /** The same CID in binary, as registered on chain. */
  contentId: Hex;
  integrityHash: Hex;
  /** One key envelope per recipient (patient, author, live grantees). */
  envelopes: Array<{ recipient: Address; envelope: Uint8Array }>;
  /** Emergency escrow shares, released only after an on-chain break-glass event. */
  escrow?: EscrowBundle;
}

/** A fresh random record id (bytes32). Opaque: it says nothing about the patient or the content. */
export function newRecordId(): Hex {
  return bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** The binding that ties ciphertext and envelopes to one record version of one patient. */
export function bindingOf(recordId: Hex, version: number, patient: Address): RecordBinding {
  return { recordId: recordId.toLowerCase(), version, patient: patient.toLowerCase() };
}

/** CIDv1 raw sha2-256 of bytes, as string and as the binary form stored on chain. */
export async function contentIdOf(bytes: Uint8Array): Promise<{ cid: string; contentId: Hex }> {
  const cid = CID.createV1(raw.code, await sha256.digest(bytes));
  return { cid: cid.toString(), contentId: bytesToHex(cid.bytes) };
}

/** The CID string of a binary content id read from chain. */
export function cidFromContentId(contentId: Hex): string {
  return CID.decode(hexToBytes(contentId)).toString();
}

/** The CID string of a content id read from chain, or undefined when it is no CID at all (anyone may register any bytes). */
export function cidOrUndefined(contentId: Hex): string | undefined {
  // Memoized (a pure function of immutable bytes): the gateway decodes the same content ids on
  // every read of a record, and the CID decode and base32 encode showed in its read profile.
  const key = contentId.toLowerCase();
  if (cidMemo.has(key)) return cidMemo.get(key);
  let cid: string | undefined;
  try { cid = cidFromContentId(contentId); } catch { cid = undefined; }
  if (cidMemo.size >= CID_MEMO_MAX) cidMemo.clear();
  cidMemo.set(key, cid);
  return cid;
}
const CID_MEMO_MAX = 4096;
const cidMemo = new Map<string, string | undefined>();

/** The binary content id (as registered on chain) of a CID string. */
export function contentIdFromCid(cid: string): Hex {
  return bytesToHex(CID.parse(cid).bytes);
}

export interface PrepareOptions {
  plaintext: Uint8Array;
  patient: Address;
  /** FHIR resource type of the record ("Observation", …, or "Binary" for an attachment). */
  resourceType: string;
  /**
   * The record's on-chain category: the patient's blinded category for `resourceType`
   * (crypto/categoryKey.ts; from the gateway: GatewayClient.recordCategories). Without it, the
   * legacy public keccak256(type), which anyone can reverse: kept for old data and contract tests.
   */
  category?: Hex;
  recordId?: Hex;
  /** 1 for a new record; latest + 1 for an update. */
  version?: number;
  recipients: Recipient[];
  escrow?: { custodians: EscrowCustodian[]; threshold: number };
}

/** Seals one record version and wraps its data key for every recipient. */
export async function prepareRecordVersion(options: PrepareOptions): Promise<PreparedRecordVersion & { dataKey: Uint8Array }> {
  const recordId = options.recordId ?? newRecordId();
  const version = options.version ?? 1;
  if (options.recipients.length === 0) throw new Error('a record needs at least one recipient (the patient)');
  const binding = bindingOf(recordId, version, options.patient);
  const sealed = await sealRecord(options.plaintext, binding);
  const { cid, contentId } = await contentIdOf(sealed.ciphertext);
  const envelopes = await Promise.all(options.recipients.map(async (r) => ({
    recipient: r.address, envelope: await wrapDataKey(sealed.dataKey, r.publicKey, binding),
  })));
  const escrow = options.escrow ? await escrowDataKey(sealed.dataKey, binding, options.escrow.custodians, options.escrow.threshold) : undefined;
  return {
    recordId, version, patient: options.patient, category: options.category ?? recordCategory(options.resourceType),
    ciphertext: sealed.ciphertext, cid, contentId, integrityHash: sealed.integrityHash, envelopes, escrow, dataKey: sealed.dataKey,
  };
}

/** Wraps an existing version's data key for a new reader (e.g. a grantee after approval). */
export async function envelopeForNewReader(envelope: Uint8Array, ownPrivateKey: Uint8Array, reader: Recipient, recordId: Hex, version: number, patient: Address) {
  const binding = bindingOf(recordId, version, patient);
  const dataKey = await unwrapDataKey(envelope, ownPrivateKey, binding);
  return { recipient: reader.address, envelope: await wrapDataKey(dataKey, reader.publicKey, binding) };
}

export interface OpenedRecordVersion {
  plaintext: Uint8Array;
  /** Whether the plaintext's salted hash equals the one registered on chain (when given). */
  integrityVerified: boolean | undefined;
  salt: Uint8Array;
}

/** Opens a record version with the reader's envelope and private key; checks integrity against the chain's hash when given. */
export async function openRecordVersion(options: {
  ciphertext: Uint8Array; envelope: Uint8Array; privateKey: Uint8Array; recordId: Hex; version: number; patient: Address; integrityHash?: Hex;
}): Promise<OpenedRecordVersion> {
  const binding = bindingOf(options.recordId, options.version, options.patient);
  const dataKey = await unwrapDataKey(options.envelope, options.privateKey, binding);
  const { plaintext, salt } = await openRecord(options.ciphertext, dataKey, binding);
  const integrityVerified = options.integrityHash === undefined ? undefined : verifyIntegrity(plaintext, salt, options.integrityHash);
  return { plaintext, salt, integrityVerified };
}

/** Opens a record version under break-glass with the escrow shares the custodians released to the reader. */
export async function openEscrowedRecordVersion(options: {
  ciphertext: Uint8Array; escrow: { threshold: number; commitment: Uint8Array }; released: ReleasedShare[]; privateKey: Uint8Array;
  recordId: Hex; version: number; patient: Address; integrityHash?: Hex;
}): Promise<OpenedRecordVersion> {
  const binding = bindingOf(options.recordId, options.version, options.patient);
  const dataKey = await recoverEscrowedDataKey(options.escrow, options.released, options.privateKey, binding);
  try {
    const { plaintext, salt } = await openRecord(options.ciphertext, dataKey, binding);
    const integrityVerified = options.integrityHash === undefined ? undefined : verifyIntegrity(plaintext, salt, options.integrityHash);
    return { plaintext, salt, integrityVerified };
  } finally {
    dataKey.fill(0);
  }
}
