/**
 * Moves a live or upcoming grant's end to `validUntil` (later than the current end: the contract
 * refuses shortening), by the patient's EIP-712 signature relayed by the gateway. Runs in Node and browsers.
 */
import type { Hex } from 'viem';
import { extendTypedData } from '../contracts.ts';
import { signatureContext, type RelayConsentParameters } from './consentSignature.ts';

export interface RelayExtendParameters extends RelayConsentParameters {
  grantId: bigint;
  /** The new end, unix seconds. */
  validUntil: bigint;
}

export interface RelayExtendReturnType { txHash: Hex }

/**
 * @example const { txHash } = await relayExtend({ gateway, client, addresses, patient, signer: account, grantId: 3n, validUntil })
 */
export async function relayExtend(options: RelayExtendParameters): Promise<RelayExtendReturnType> {
  const { gateway, patient, grantId, validUntil } = options;
  const ctx = await signatureContext(options);
  const signature = await options.signer.signTypedData(extendTypedData({ ...ctx, grantId, validUntil }));
  return gateway.relayExtend(grantId, { patient, validUntil, deadline: ctx.deadline, signature });
}
