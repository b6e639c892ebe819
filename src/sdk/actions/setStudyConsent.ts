/**
 * A patient joins or leaves a research study by an EIP-712 signature (Studies OptIn / OptOut) that
 * the gateway relays: no funds needed, and the contract checks the signature, not the gateway.
 * Leaving deletes the data keys shared with the study. Runs in Node and browsers.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { StudiesAbi, type MedChainAddresses } from '../contracts.ts';
import type { GatewayClient } from '../gateway.ts';
import { studyConsentTypedData } from '../studies.ts';
import { RELAY_DEADLINE_SECONDS, type TypedDataSigner } from './consentSignature.ts';
import { studyRequest } from './studyRequest.ts';

export interface SetStudyConsentParameters {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  /** The chain the signature is bound to (EIP-712 domain); read from `client` when omitted. */
  chainId?: number;
  patient: Address;
  /** Signs as `patient` (a viem `LocalAccount`, or `walletSigner(wallet, account)`). */
  signer: TypedDataSigner;
  studyId: bigint;
  /** true: take part; false: leave. */
  join: boolean;
}

/**
 * Before joining, check the study is computed here (`assertStudyComputedHere`); after, share the data it needs (`shareWithStudy`).
 * @example const { txHash } = await setStudyConsent({ gateway, client, addresses, patient, signer: account, studyId: 1n, join: true })
 */
export async function setStudyConsent(options: SetStudyConsentParameters): Promise<{ txHash: Hex }> {
  const { gateway, client, addresses, patient, studyId, join } = options;
  const [chainId, nonce] = await Promise.all([
    options.chainId ?? client.chain?.id ?? client.getChainId(),
    client.readContract({ address: addresses.studies, abi: StudiesAbi, functionName: 'nonces', args: [patient] }),
  ]);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + RELAY_DEADLINE_SECONDS);
  const signature = await options.signer.signTypedData(studyConsentTypedData({ chainId, studies: addresses.studies, patient, studyId, nonce, deadline, join }));
  return studyRequest<{ txHash: Hex }>(gateway, 'POST', `/api/studies/${studyId}/${join ? 'opt-in' : 'opt-out'}/relay`, { patient, deadline: deadline.toString(), signature });
}
