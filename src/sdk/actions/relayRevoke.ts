/**
 * Ends a live or upcoming grant now, by the patient's EIP-712 signature relayed by the gateway (no
 * gas for the patient). Runs in Node and browsers.
 */
import type { Hex } from 'viem';
import { revokeTypedData } from '../contracts.ts';
import { signatureContext, type RelayConsentParameters } from './consentSignature.ts';

export interface RelayRevokeParameters extends RelayConsentParameters { grantId: bigint }

export interface RelayRevokeReturnType { txHash: Hex }

/**
 * @example const { txHash } = await relayRevoke({ gateway, client, addresses, patient, signer: account, grantId: 3n })
 */
export async function relayRevoke(options: RelayRevokeParameters): Promise<RelayRevokeReturnType> {
  const { gateway, patient, grantId } = options;
  const ctx = await signatureContext(options);
  const signature = await options.signer.signTypedData(revokeTypedData({ ...ctx, grantId }));
  return gateway.relayRevoke(grantId, { patient, deadline: ctx.deadline, signature });
}
