/**
 * MedChain crypto: one module for Node and browsers, on WebCrypto, @hpke/core and @noble.
 * See docs/crypto.md for formats and the trust model.
 */
export * from './errors.ts';
export { toHex, fromHex, type Hex } from './bytes.ts';
export { encodeBinding, type RecordBinding } from './binding.ts';
export * from './integrity.ts';
export * from './sealRecord.ts';
export * from './hpke.ts';
export { randomKey } from './randomKey.ts';
export { wrapDataKey, wrapForRecipients, unwrapDataKey, rewrapForNewKey, rotateEnvelopes, ENVELOPE_BYTES } from './wrapDataKey.ts';
export * from './escrow.ts';
export * from './blindIndex.ts';
export * from './categoryKey.ts';
export * from './keystore.ts';
export * from './stream.ts';
