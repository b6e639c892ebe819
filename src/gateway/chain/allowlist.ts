/**
 * Admission to a permissioned chain: once an account is registered in Identity, the gateway adds it
 * to the node's account allowlist so that its own transactions are accepted. It calls Besu's
 * `perm_addAccountsToAllowlist` through the gateway's private connection to the node (the embedded
 * node serves perm_* in process only; Besu needs the PERM API on its admin endpoint), never through
 * the public /rpc. A node without permissioning (an `open` data directory, EDR in tests) admits
 * everyone already: the call is then skipped or answered "method not found", and nothing is lost.
 */
import type { Address, EIP1193RequestFn } from 'viem';

/** The outcome of an admission: `admitted` false when the node has no account permissioning to update. */
export interface Admission { admitted: boolean }

export function nodeAllowlist(request: EIP1193RequestFn) {
  return {
    async admit(accounts: Address[]): Promise<Admission> {
      if (accounts.length === 0) return { admitted: false };
      try {
        await request({ method: 'perm_addAccountsToAllowlist', params: [accounts] } as never);
        return { admitted: true };
      } catch (error) {
        // -32601: no perm_* API on this connection (open node, EDR, a node without PERM).
        if ((error as { code?: number }).code === -32601 || /not (available|supported)|does not exist/i.test((error as Error).message)) return { admitted: false };
        throw error;
      }
    },
  };
}

export type NodeAllowlist = ReturnType<typeof nodeAllowlist>;
