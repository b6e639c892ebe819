/**
 * The step the three relayed consent actions share: the patient's next EIP-712 signature context
 * (their nonce as the chain holds it, a 10-minute deadline) and the one small signer shape they
 * sign with. Runs in Node and browsers.
 */
import type { Account, Address, PublicClient, WalletClient } from 'viem';
import { ConsentAbi, type MedChainAddresses } from '../contracts.ts';
import type { GatewayClient } from '../gateway.ts';
import type { TypedDataSigner } from '../onboarding.ts';

export type { TypedDataSigner };

/** How long a relayed signature stays valid: long enough to sign and relay, short enough that a leaked one soon dies. */
export const RELAY_DEADLINE_SECONDS = 600;

/**
 * A wallet client (keystore or injected EIP-1193 wallet) and its account as the one signer shape the
 * SDK signs with (onboarding's `TypedDataSigner`, which a viem `LocalAccount` already is): a wallet
 * client needs the account on each call.
 */
export function walletSigner(wallet: WalletClient, account: Account | Address): TypedDataSigner {
  return { address: typeof account === 'string' ? account : account.address, signTypedData: (typedData) => wallet.signTypedData({ ...typedData, account }) };
}

/** What every relayed consent action takes. */
export interface RelayConsentParameters {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  /** The chain the signature is bound to (EIP-712 domain); read from `client` when omitted. */
  chainId?: number;
  patient: Address;
  /** Signs as `patient` (a viem `LocalAccount`, or `walletSigner(wallet, account)`); the contract checks the signature, not the gateway. */
  signer: TypedDataSigner;
}

/**
 * The patient's next signature context: nonce read from the chain (the contract accepts only that
 * one, so a signature relays once) and a deadline 10 minutes from now.
 * @example const ctx = await signatureContext({ client, addresses, patient })
 */
export async function signatureContext(options: Pick<RelayConsentParameters, 'client' | 'addresses' | 'chainId' | 'patient'>) {
  const { client, addresses, patient } = options;
  const [chainId, nonce] = await Promise.all([
    options.chainId ?? client.chain?.id ?? client.getChainId(),
    client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'nonces', args: [patient] }),
  ]);
  return { chainId, consent: addresses.consent, patient, nonce, deadline: BigInt(Math.floor(Date.now() / 1000) + RELAY_DEADLINE_SECONDS) };
}
