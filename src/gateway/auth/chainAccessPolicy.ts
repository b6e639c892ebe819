/**
 * Who may see what of the chain through the gateway (`POST /rpc`, `/api/explorer/*`), as data.
 * A hospital consortium's chain is not a public chain: an anonymous caller gets only what
 * connecting and signing in need; a signed-in account (patient, provider, device, or an account
 * with no role yet, which must be able to register) reads contract state, sends its own signed
 * transactions and sees the transactions and events that concern it; auditors and admins see the
 * whole chain. The table is docs/gateway.md § "Who sees the chain"; rpc.ts and chainInfo.ts apply it.
 */
import { pad, type Address, type Hex } from 'viem';
import type { Session } from '../routes/types.ts';

/** anonymous: no session · member: any signed-in account · oversight: auditors and admins. */
export type ChainAudience = 'anonymous' | 'member' | 'oversight';

export function audienceOf(session: Session | undefined): ChainAudience {
  if (!session) return 'anonymous';
  return session.role === 'admin' || session.role === 'auditor' ? 'oversight' : 'member';
}

/**
 * The JSON-RPC methods the gateway passes through, and the least audience for each. `scoped`:
 * members get the answer filtered to what concerns them (see `concerns`); oversight unfiltered.
 * Nothing that unlocks, signs for or administers the node is here.
 */
export const RPC_METHODS: Record<string, { audience: Exclude<ChainAudience, 'oversight'>; scoped?: true }> = {
  // Connecting: which chain, is it alive.
  eth_chainId: { audience: 'anonymous' }, net_version: { audience: 'anonymous' }, web3_clientVersion: { audience: 'anonymous' },
  eth_syncing: { audience: 'anonymous' }, eth_blockNumber: { audience: 'anonymous' },
  // Building, simulating and sending one's own transactions; reading contract state.
  eth_gasPrice: { audience: 'member' }, eth_maxPriorityFeePerGas: { audience: 'member' }, eth_feeHistory: { audience: 'member' },
  eth_getTransactionCount: { audience: 'member' }, eth_getBalance: { audience: 'member' }, eth_getCode: { audience: 'member' },
  eth_call: { audience: 'member' }, eth_estimateGas: { audience: 'member' },
  eth_sendRawTransaction: { audience: 'member', scoped: true }, // only transactions signed by the session's account
  // Blocks (members: with full transactions, other accounts' are left out), transactions, receipts and logs.
  eth_getBlockByNumber: { audience: 'member', scoped: true }, eth_getBlockByHash: { audience: 'member', scoped: true },
  eth_getTransactionByHash: { audience: 'member', scoped: true }, eth_getTransactionReceipt: { audience: 'member', scoped: true },
  eth_getLogs: { audience: 'member', scoped: true },
};

/** Gateway REST chain views and their audience (chainInfo.ts). */
export const EXPLORER_ROUTES = {
  config: 'anonymous', providers: 'member', validators: 'member', blocks: 'member',
  tx: 'member', // scoped: a member sees a transaction only when it concerns them
  events: 'member', // scoped: a member sees only the events about them
  adminActions: 'oversight',
} as const satisfies Record<string, ChainAudience>;

export const allows = (have: ChainAudience, need: ChainAudience) =>
  need === 'anonymous' || (need === 'member' && have !== 'anonymous') || have === 'oversight';

/** An address as a 32-byte log topic (indexed `address` event arguments, Solidity ABI). */
export const addressTopic = (address: Address): Hex => pad(address.toLowerCase() as Hex, { size: 32 });

interface LogLike { topics?: readonly (string | null)[] }

/** Whether a log names the account in one of its indexed arguments. */
export function logConcerns(log: LogLike, address: Address): boolean {
  const topic = addressTopic(address);
  return (log.topics ?? []).slice(1).some((t) => t?.toLowerCase() === topic);
}

/** A transaction concerns an account it was sent by or to, or whose receipt has a log naming it. */
export function transactionConcerns(tx: { from?: string | null; to?: string | null } | null | undefined, logs: readonly LogLike[], address: Address): boolean {
  const me = address.toLowerCase();
  if (tx?.from?.toLowerCase() === me || tx?.to?.toLowerCase() === me) return true;
  return logs.some((log) => logConcerns(log, address));
}
