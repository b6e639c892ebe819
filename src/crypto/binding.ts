/**
 * The record binding: which record, which version, which patient a ciphertext or key envelope
 * belongs to. It is encoded canonically and used as AES-GCM associated data and as HPKE `info`, so
 * a ciphertext or envelope replayed under another record id, version or patient fails to decrypt.
 */
import { concatBytes, fromHex, utf8ToBytes } from './bytes.ts';
import { CryptoInputError } from './errors.ts';

export interface RecordBinding {
  /** Opaque record id as registered on chain (e.g. a bytes32 hex string). 1..256 characters. */
  recordId: string;
  /** Version number of the record (0, 1, 2, ...). */
  version: number;
  /** The patient's on-chain identity: a 20-byte address or 32-byte id, 0x-hex. */
  patient: string;
}

const MAX_RECORD_ID = 256;

/** Checks a binding and returns its canonical bytes: u16 len || recordId utf8 || u64 version || u8 len || patient bytes. */
export function encodeBinding(binding: RecordBinding): Uint8Array {
  if (binding === null || typeof binding !== 'object') throw new CryptoInputError('binding must be an object {recordId, version, patient}');
  const { recordId, version, patient } = binding;
  if (typeof recordId !== 'string' || recordId.length === 0 || recordId.length > MAX_RECORD_ID) {
    throw new CryptoInputError(`binding.recordId must be a non-empty string of at most ${MAX_RECORD_ID} characters`);
  }
  if (!Number.isSafeInteger(version) || version < 0) throw new CryptoInputError('binding.version must be a non-negative integer');
  if (typeof patient !== 'string') throw new CryptoInputError('binding.patient must be a 0x-hex address or id');
  const patientBytes = fromHex(patient, 'binding.patient');
  if (!patient.startsWith('0x') || (patientBytes.length !== 20 && patientBytes.length !== 32)) {
    throw new CryptoInputError('binding.patient must be a 0x-prefixed 20-byte address or 32-byte id');
  }
  const id = utf8ToBytes(recordId);
  const head = new Uint8Array(2);
  new DataView(head.buffer).setUint16(0, id.length);
  const ver = new Uint8Array(8);
  new DataView(ver.buffer).setBigUint64(0, BigInt(version));
  return concatBytes(head, id, ver, Uint8Array.of(patientBytes.length), patientBytes);
}

/** Domain-separated label || binding, used as AAD / HPKE info so different uses never collide. */
export function labelled(label: string, binding: RecordBinding, ...extra: Uint8Array[]): Uint8Array {
  return concatBytes(utf8ToBytes(`medchain:${label}:v1`), Uint8Array.of(0), encodeBinding(binding), ...extra);
}
