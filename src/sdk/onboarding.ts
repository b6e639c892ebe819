/**
 * Registering a new account without sending a transaction of its own: the account signs an
 * EIP-712 registration (Identity.registerPatientBySig / applyAsProviderBySig) and the gateway's
 * operator relays it, then admits the account to the chain's allowlist (POST /api/onboarding/…).
 * This is how a fresh key gets onto a permissioned chain; the CLI and the web UI both use it.
 */
import type { Address, Hex, TypedDataDefinition } from 'viem';
import { applyAsProviderTypedData, registerPatientTypedData } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';

/** Anything that signs EIP-712 typed data for `address` (a viem local account, a wallet client bound to an account). */
export interface TypedDataSigner {
  address: Address;
  signTypedData(data: TypedDataDefinition): Promise<Hex>;
}

/** How long a registration signature stays valid: long enough for a slow relay, short enough to be useless later. */
const SIGNATURE_LIFETIME_SECONDS = 600n;

export type Registration =
  | { role: 'patient'; encryptionKey: Hex; metadataHash: Hex }
  | { role: 'provider'; kind: number; encryptionKey: Hex; metadataHash: Hex };

/** Signs `registration` with `signer` and has the gateway relay it; returns the transaction and whether the node admitted the account. */
export async function registerThroughGateway(gateway: GatewayClient, signer: TypedDataSigner, registration: Registration) {
  const info = await gateway.onboardingInfo(signer.address);
  const deadline = BigInt(info.now) + SIGNATURE_LIFETIME_SECONDS; // the chain's clock, against which the contract checks it
  const ctx = { chainId: info.chainId, identity: info.identity, nonce: BigInt(info.nonce), deadline };
  const { encryptionKey, metadataHash } = registration;
  if (registration.role === 'patient') {
    const signature = await signer.signTypedData(registerPatientTypedData({ ...ctx, patient: signer.address, encryptionKey, metadataHash }) as TypedDataDefinition);
    return gateway.onboard('patient', { patient: signer.address, encryptionKey, metadataHash, deadline, signature });
  }
  const { kind } = registration;
  const signature = await signer.signTypedData(applyAsProviderTypedData({ ...ctx, provider: signer.address, kind, encryptionKey, metadataHash }) as TypedDataDefinition);
  return gateway.onboard('provider', { provider: signer.address, kind, encryptionKey, metadataHash, deadline, signature });
}
