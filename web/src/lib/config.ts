/**
 * Where the UI gets its chain from: `GET /api/config` on its own origin gives the chain id and the
 * contract addresses; reads and signed transactions go through the gateway's JSON-RPC passthrough
 * at `${origin}/rpc` (viem's http transport), so the browser needs no other endpoint.
 */
import { createPublicClient, defineChain, http, type Chain, type PublicClient } from 'viem';
import type { MedChainAddresses } from '../../../src/sdk/contracts.ts';

/** The gateway's /rpc refuses batches of more than 50 calls (src/gateway/routes/rpc.ts): viem splits larger ones. */
const RPC_BATCH_LIMIT = 50;

export interface UiConfig {
  chainId: number;
  addresses: MedChainAddresses;
  chain: Chain;
  client: PublicClient;
  origin: string;
}

/**
 * The session token `/rpc` calls carry once signed in (set by lib/session.tsx): without one the
 * gateway answers only what connecting needs (docs/gateway.md § "Who sees the chain").
 */
export const rpcSession: { token?: string } = {};

/** fetch for viem's http transport: adds the session's bearer token, read at each request. */
export const rpcFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  if (rpcSession.token) headers.set('authorization', `Bearer ${rpcSession.token}`);
  return fetch(input, { ...init, headers });
};

export async function loadConfig(origin = window.location.origin): Promise<UiConfig> {
  const response = await fetch(`${origin}/api/config`);
  if (!response.ok) throw new Error(`GET /api/config answered ${response.status}: is the gateway running?`);
  const body = await response.json() as { chainId: number; addresses: MedChainAddresses };
  if (!Number.isInteger(body.chainId) || typeof body.addresses?.identity !== 'string') throw new Error('GET /api/config returned an unexpected shape');
  const chain = defineChain({
    id: body.chainId, name: `MedChain ${body.chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [`${origin}/rpc`] } },
  });
  const client = createPublicClient({ chain, transport: http(`${origin}/rpc`, { batch: { wait: 5, batchSize: RPC_BATCH_LIMIT }, fetchFn: rpcFetch }), pollingInterval: 250 }) as PublicClient;
  return { chainId: body.chainId, addresses: body.addresses, chain, client, origin };
}
