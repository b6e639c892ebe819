/**
 * A client command's connection: the gateway (REST through the SDK's GatewayClient, signed in with
 * Sign-In with Ethereum as the acting key) and the chain (viem over the gateway's `/rpc`
 * passthrough: reads, and transactions signed here). One URL — the gateway — is all a user needs.
 */
import {
  createPublicClient, createWalletClient, defineChain,
  type Abi, type Address, type Chain, type ContractFunctionArgs, type ContractFunctionName, type Hex, type PublicClient, type TransactionReceipt,
} from 'viem';
import { GatewayClient } from '../sdk/gateway.ts';
import { IdentityAbi, Role, type MedChainAddresses } from '../sdk/contracts.ts';
import { CliError } from './dataDir.ts';
import type { GlobalOptions } from './command.ts';
import { unlockKey, type UnlockedKey } from './keyFile.ts';

export interface Connection {
  gatewayUrl: string;
  gateway: GatewayClient;
  chainId: number;
  chain: Chain;
  addresses: MedChainAddresses;
  client: PublicClient;
}

export interface Session extends Connection {
  key: UnlockedKey;
  address: Address;
  /** Role at sign-in, as the gateway reads it from the chain. */
  role: string;
  /** Sends one contract call signed by the acting key; waits for its receipt; throws if it reverted. */
  send<const abi extends Abi, name extends ContractFunctionName<abi, 'nonpayable' | 'payable'>>(call: {
    address: Address; abi: abi; functionName: name; args: ContractFunctionArgs<abi, 'nonpayable' | 'payable', name>;
  }): Promise<TransactionReceipt>;
}

export async function connect(global: Pick<GlobalOptions, 'gateway'>): Promise<Connection> {
  let url: URL;
  try { url = new URL(global.gateway); } catch { throw new CliError(`--gateway must be a URL, got ${JSON.stringify(global.gateway)}`, 2); }
  const gatewayUrl = url.origin;
  const gateway = new GatewayClient(gatewayUrl);
  const config = await gateway.config();
  const addresses = config.addresses as unknown as MedChainAddresses;
  const chain = defineChain({
    id: config.chainId, name: 'medchain', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [`${gatewayUrl}/rpc`] } },
  });
  // The gateway's /rpc answers by session (docs/gateway.md § "Who sees the chain"): the transport
  // sends the gateway client's token once signed in.
  const client = createPublicClient({ chain, transport: gateway.rpcTransport({ retryCount: 1 }), pollingInterval: 250 }) as PublicClient;
  return { gatewayUrl, gateway, chainId: config.chainId, chain, addresses, client };
}

/**
 * Connects, unlocks the acting key and signs in to the gateway (always: reading the chain and
 * sending transactions through the gateway's /rpc need a session).
 */
export async function openSession(global: GlobalOptions, options: { key?: UnlockedKey } = {}): Promise<Session> {
  const key = options.key ?? await unlockKey(global);
  const conn = await connect(global);
  const { role } = await conn.gateway.signIn(key.account, { chainId: conn.chainId });
  const wallet = createWalletClient({ account: key.account, chain: conn.chain, transport: conn.gateway.rpcTransport({ retryCount: 1 }) });
  const send: Session['send'] = async (call) => {
    const { request } = await conn.client.simulateContract({ ...call, account: key.account } as never);
    const hash: Hex = await wallet.writeContract(request as never);
    const receipt = await conn.client.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 60_000 });
    if (receipt.status !== 'success') throw new CliError(`transaction ${hash} reverted`);
    return receipt;
  };
  return { ...conn, key, address: key.address, role, send };
}

/** The acting account's X25519 key pair; refuses for a bare account keystore. */
export function encryptionKey(session: Session) {
  const k = session.key.encryption[0];
  if (!k) throw new CliError(`${session.key.file} holds no encryption key (a bare account keystore): records cannot be opened or written with it`, 2);
  return k;
}

export async function roleOf(conn: Connection, address: Address): Promise<number> {
  return Number(await conn.client.readContract({ address: conn.addresses.identity, abi: IdentityAbi, functionName: 'roleOf', args: [address] }));
}

export const roleName = (role: number) => (Object.entries(Role).find(([, v]) => v === role)?.[0] ?? 'None').toLowerCase();
