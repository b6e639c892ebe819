/** The signed-in account as the chain sees it (role, admin, provider status, balance, key), polled. */
import { useQuery } from '@tanstack/react-query';
import { IdentityAbi } from '../../../src/sdk/contracts.ts';
import type { Session } from './session.tsx';

export interface AccountInfo { role: number; isAdmin: boolean; providerStatus: number; balance: bigint; encryptionKey: `0x${string}`; chargesGas: boolean }

export function useAccountInfo(session: Session) {
  const { client, addresses } = session.config;
  return useQuery({
    queryKey: ['account', session.address],
    queryFn: async (): Promise<AccountInfo> => {
      const identity = { address: addresses.identity, abi: IdentityAbi } as const;
      const [role, isAdmin, providerStatus, balance, encryptionKey, gasPrice] = await Promise.all([
        client.readContract({ ...identity, functionName: 'roleOf', args: [session.address] }),
        client.readContract({ ...identity, functionName: 'isAdmin', args: [session.address] }),
        client.readContract({ ...identity, functionName: 'providerStatus', args: [session.address] }),
        client.getBalance({ address: session.address }),
        client.readContract({ ...identity, functionName: 'encryptionKeyOf', args: [session.address] }),
        client.getGasPrice().catch(() => 1n),
      ]);
      // A private chain with free gas (the embedded node: zero base fee) needs no talk of balances.
      return { role: Number(role), isAdmin, providerStatus: Number(providerStatus), balance, encryptionKey, chargesGas: gasPrice > 0n };
    },
    refetchInterval: 5000,
  });
}

