/**
 * Key envelopes: a record's data key sealed with HPKE (hpke.ts) to one recipient — the patient, the
 * author, a live grantee, or an escrow custodian. HPKE `info` carries the record binding, so an
 * envelope only opens for the record id / version / patient it was made for.
 *
 * Envelope layout (format 0x01): 0x01 || enc(32) || HPKE ciphertext(32 + 16)  = 81 bytes.
 */
import { concatBytes, requireBytes } from './bytes.ts';
import { labelled, type RecordBinding } from './binding.ts';
import { CryptoInputError, DecryptionError } from './errors.ts';
import { hpkeSuite, importRecipientPrivateKey, importRecipientPublicKey } from './hpke.ts';
import { DATA_KEY_BYTES } from './sealRecord.ts';

export const ENVELOPE_FORMAT = 0x01;
export const ENVELOPE_BYTES = 1 + 32 + DATA_KEY_BYTES + 16;

/** Seals `secret` to `recipientPublicKey` under a labelled binding (shared by data keys and escrow shares). */
export async function hpkeWrap(secret: Uint8Array, recipientPublicKey: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
  const recipient = await importRecipientPublicKey(recipientPublicKey);
  const { enc, ct } = await hpkeSuite.seal({ recipientPublicKey: recipient, info }, secret);
  return concatBytes(Uint8Array.of(ENVELOPE_FORMAT), new Uint8Array(enc), new Uint8Array(ct));
}

export async function hpkeUnwrap(envelope: Uint8Array, recipientPrivateKey: Uint8Array, info: Uint8Array, what: string): Promise<Uint8Array> {
  requireBytes(envelope, undefined, what);
  if (envelope.length < 1 + 32 + 16 || envelope[0] !== ENVELOPE_FORMAT) {
    throw new DecryptionError(`${what} is malformed (${envelope.length} bytes, format byte ${envelope[0] ?? 'none'})`);
  }
  const key = await importRecipientPrivateKey(recipientPrivateKey);
  try {
    return new Uint8Array(await hpkeSuite.open({ recipientKey: key, enc: envelope.slice(1, 33), info }, envelope.slice(33)));
  } catch (cause) {
    throw new DecryptionError(`${what} did not open: wrong private key, envelope made for another record id / version / patient, or corrupted`, { cause });
  }
}

/**
 * Wraps a data key for one recipient.
 * @example const envelope = await wrapDataKey(dataKey, patientPublicKey, { recordId, version, patient })
 */
export async function wrapDataKey(dataKey: Uint8Array, recipientPublicKey: Uint8Array, binding: RecordBinding): Promise<Uint8Array> {
  requireBytes(dataKey, DATA_KEY_BYTES, 'data key');
  return hpkeWrap(dataKey, recipientPublicKey, labelled('datakey', binding));
}

export async function unwrapDataKey(envelope: Uint8Array, recipientPrivateKey: Uint8Array, binding: RecordBinding): Promise<Uint8Array> {
  const dataKey = await hpkeUnwrap(envelope, recipientPrivateKey, labelled('datakey', binding), 'key envelope');
  if (dataKey.length !== DATA_KEY_BYTES) throw new DecryptionError('key envelope held a secret of the wrong size');
  return dataKey;
}

/**
 * Wraps one data key to every reader of a record version (patient, author, live grantees), one
 * envelope each, in the given order. Recipient ids must be distinct.
 */
export async function wrapForRecipients(dataKey: Uint8Array, binding: RecordBinding, recipients: Array<{ id: string; publicKey: Uint8Array }>): Promise<Array<{ id: string; envelope: Uint8Array }>> {
  if (!Array.isArray(recipients) || recipients.length === 0) throw new CryptoInputError('recipients must be a non-empty array of {id, publicKey}');
  if (new Set(recipients.map((r) => r.id)).size !== recipients.length) throw new CryptoInputError('recipient ids must be distinct');
  const out: Array<{ id: string; envelope: Uint8Array }> = [];
  for (const r of recipients) out.push({ id: r.id, envelope: await wrapDataKey(dataKey, r.publicKey, binding) });
  return out;
}

/**
 * Key rotation: opens an envelope with the old private key and wraps the same data key to the new
 * public key. The record ciphertext is untouched; afterwards the old envelope should be deleted.
 */
export async function rewrapForNewKey(envelope: Uint8Array, oldPrivateKey: Uint8Array, newPublicKey: Uint8Array, binding: RecordBinding): Promise<Uint8Array> {
  const dataKey = await unwrapDataKey(envelope, oldPrivateKey, binding);
  try {
    return await wrapDataKey(dataKey, newPublicKey, binding);
  } finally {
    dataKey.fill(0);
  }
}

/** Rotates a batch of envelopes (all of one owner) to a new encryption key; fails as a whole on the first bad one. */
export async function rotateEnvelopes<T extends { envelope: Uint8Array; binding: RecordBinding }>(
  items: T[], oldPrivateKey: Uint8Array, newPublicKey: Uint8Array,
): Promise<Array<T & { envelope: Uint8Array }>> {
  if (!Array.isArray(items)) throw new CryptoInputError('items must be an array of {envelope, binding}');
  const out: Array<T & { envelope: Uint8Array }> = [];
  for (const item of items) out.push({ ...item, envelope: await rewrapForNewKey(item.envelope, oldPrivateKey, newPublicKey, item.binding) });
  return out;
}
