/**
 * A grant by the patient's EIP-712 signature, sent by the gateway's relayer (the hospital pays the
 * gas, the patient none). Runs in Node and browsers.
 */
import type { Hex } from 'viem';
import { grantTypedData, type GrantTerms } from '../contracts.ts';
import { signatureContext, type RelayConsentParameters } from './consentSignature.ts';

export interface RelayGrantParameters extends RelayConsentParameters {
  /** The terms as they go on chain (blinded category, purpose tag: see `blindTerms`). */
  terms: GrantTerms;
  /** Approves this pending access request with the grant. */
  requestId?: bigint;
}

export interface RelayGrantReturnType { grantId: number; txHash: Hex }

/**
 * Signs `terms` as the patient and has the gateway relay them; returns the new grant's id.
 * @example const { grantId } = await relayGrant({ gateway, client, addresses, patient, signer: account, terms })
 */
export async function relayGrant(options: RelayGrantParameters): Promise<RelayGrantReturnType> {
  const { gateway, patient, terms, requestId } = options;
  const ctx = await signatureContext(options);
  const signature = await options.signer.signTypedData(grantTypedData({ ...ctx, terms, requestId }));
  return gateway.relayGrant({ patient, terms, requestId, deadline: ctx.deadline, signature });
}
