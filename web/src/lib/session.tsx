/**
 * The unlocked session: the account that signs (a viem local account from the browser keystore, or
 * an injected EIP-1193 wallet), the X25519 encryption key that opens envelopes, the gateway client
 * signed in with Sign-In with Ethereum, and the typed transaction sender. Private keys stay in this
 * object in memory; locking drops it.
 */
import { createContext, useContext } from 'react';
import {
  BaseError, createWalletClient, custom, http,
  type Abi, type Account, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hex, type TransactionReceipt, type WalletClient,
} from 'viem';
import { ChainRefusedError, describeRevert, revertText } from '../../../src/sdk/errors.ts';
import { GatewayClient } from '../../../src/sdk/gateway.ts';
import { rpcFetch, rpcSession, type UiConfig } from './config.ts';

export interface Session {
  config: UiConfig;
  address: Address;
  via: 'keystore' | 'wallet';
  wallet: WalletClient;
  account: Account;
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
  gateway: GatewayClient;
  /** Result of the SIWE sign-in; data screens show the error when the gateway API is unavailable. */
  gatewayStatus: { ok: true; role: string } | { ok: false; error: string };
  /** Session token (for the one call the SDK has no method for yet: the SSE feed). */
  token(): string | undefined;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside an unlocked session');
  return s;
}

export function useMaybeSession(): Session | undefined {
  return useContext(SessionContext);
}

/**
 * A GatewayClient whose fetch remembers the session token from `/auth/verify`, so the UI can make
 * the one authenticated call the SDK has no method for yet (the SSE feed) without a second login.
 */
export function gatewayWithToken(origin: string): { gateway: GatewayClient; token(): string | undefined } {
  let token: string | undefined;
  const tokenFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input).endsWith('/auth/verify') && response.ok) {
      token = (await response.clone().json().catch(() => ({})) as { token?: string }).token;
      rpcSession.token = token;
    }
    if (String(input).endsWith('/auth/logout')) rpcSession.token = token = undefined;
    return response;
  };
  return { gateway: new GatewayClient(origin, tokenFetch), token: () => token };
}

/**
 * Signs in to the gateway with Sign-In with Ethereum. The gateway fixes the session's role at
 * sign-in, so the UI signs in again after the account registers (patient) or applies (provider).
 */
export async function signInGateway(session: Omit<Session, 'gatewayStatus'>): Promise<Session['gatewayStatus']> {
  try {
    const signedIn = await session.gateway.signIn({ address: session.address, signMessage: ({ message }) => session.wallet.signMessage({ account: session.account, message }) }, { chainId: session.config.chainId });
    return { ok: true, role: signedIn.role };
  } catch (error) {
    return { ok: false, error: `gateway sign-in failed (${error instanceof Error ? error.message : String(error)})` };
  }
}

export function walletFor(config: UiConfig, account: Account | Address, ethereum?: Eip1193): WalletClient {
  if (typeof account === 'string') {
    if (!ethereum) throw new Error('no injected wallet');
    return createWalletClient({ account, chain: config.chain, transport: custom(ethereum) });
  }
  return createWalletClient({ account, chain: config.chain, transport: http(`${config.origin}/rpc`, { fetchFn: rpcFetch }) });
}

export interface Eip1193 { request(args: { method: string; params?: unknown }): Promise<unknown> }

export function injectedWallet(): Eip1193 | undefined {
  return (window as unknown as { ethereum?: Eip1193 }).ethereum;
}

/** Sends one contract call signed by the session's account, waits for its receipt, throws if it reverted. */
export async function sendTx<
  const abi extends Abi, name extends ContractFunctionName<abi, 'nonpayable' | 'payable'>,
>(session: Session, call: { address: Address; abi: abi; functionName: name; args: ContractFunctionArgs<abi, 'nonpayable' | 'payable', name> }): Promise<TransactionReceipt> {
  const hash: Hex = await session.wallet.writeContract({ ...call, account: session.account, chain: session.config.chain } as never);
  const receipt = await session.config.client.waitForTransactionReceipt({ hash, pollingInterval: 200 });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

/** A short, user-facing message for any error (viem errors carry a decoded revert reason). */
export function errorText(error: unknown): string {
  if (error instanceof ChainRefusedError) return `The contract refused: ${revertText(error)}`;
  const revert = describeRevert(error);
  if (revert && revert.errorName !== 'reverted') return `The contract refused: ${revertText(revert)}`;
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}
