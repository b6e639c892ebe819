/** Clique (EIP-225) header fields of the embedded node's blocks. */
import { concatBytes, type Address } from '@ethereumjs/util';
import { CLIQUE_EPOCH } from './config.ts';
import type { Bytes } from './types.ts';

export const VANITY = new Uint8Array(32);
const SEAL = new Uint8Array(65);

/**
 * extraData before sealing: vanity, the signer list at epoch blocks (and genesis), and room for
 * the seal, which `createSealedCliqueBlock` fills in.
 */
export function cliqueExtraData(number: bigint, signer: Address): Bytes {
  return number % BigInt(CLIQUE_EPOCH) === 0n ? concatBytes(VANITY, signer.bytes, SEAL) : concatBytes(VANITY, SEAL);
}
