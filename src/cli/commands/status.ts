/**
 * `medchain status`: is the gateway healthy, how high is the chain, where are the contracts, and —
 * with --key — who am I on chain.
 */
import type { Address } from 'viem';
import { IdentityAbi, ProviderStatus } from '../../sdk/contracts.ts';
import type { Command } from '../command.ts';
import { unlockKey } from '../keyFile.ts';
import { emit } from '../output.ts';
import { connect, openSession, roleName, roleOf } from '../session.ts';

export const statusCommands: Command[] = [
  {
    name: 'status', summary: 'gateway health, chain height, contract addresses and (with --key) your role',
    async run({ global }) {
      // Without a key, the gateway answers anonymously: health and chain height, not blocks (docs/gateway.md § "Who sees the chain").
      const key = global.key ? await unlockKey(global) : undefined;
      const conn = key ? await openSession(global, { key }) : await connect(global);
      const [health, blockNumber] = await Promise.all([
        fetch(`${conn.gatewayUrl}/healthz`).then(async (r) => ((await r.json().catch(() => ({}))) as { status?: string }).status ?? `HTTP ${r.status}`, () => 'unreachable'),
        conn.client.getBlockNumber(),
      ]);
      const block = key ? await conn.client.getBlock({ blockNumber }) : undefined;
      let me: { address: Address; role: string; admin: boolean; providerStatus?: string } | undefined;
      if (key) {
        const role = await roleOf(conn, key.address);
        const admin = await conn.client.readContract({ address: conn.addresses.identity, abi: IdentityAbi, functionName: 'isAdmin', args: [key.address] });
        const status = Number(await conn.client.readContract({ address: conn.addresses.identity, abi: IdentityAbi, functionName: 'providerStatus', args: [key.address] }));
        me = { address: key.address, role: roleName(role), admin, ...(status ? { providerStatus: Object.keys(ProviderStatus)[status]!.toLowerCase() } : {}) };
      }
      const value = { gateway: conn.gatewayUrl, health, chainId: conn.chainId, blockNumber: Number(blockNumber), blockTime: block ? Number(block.timestamp) : undefined, addresses: conn.addresses, me };
      emit(global.json, value, () => [
        `gateway          ${conn.gatewayUrl} (${health})`,
        `chain            id ${conn.chainId}, block ${blockNumber}${block ? ` at ${new Date(Number(block.timestamp) * 1000).toISOString()}` : ''}`,
        ...Object.entries(conn.addresses).map(([k, v]) => `${k.padEnd(16)} ${v}`),
        me ? `me               ${me.address}: ${me.role}${me.providerStatus ? ` (${me.providerStatus})` : ''}${me.admin ? ', admin' : ''}` : 'me               (pass --key to see your role)',
      ].join('\n'));
      if (health !== 'ok') process.exitCode = 1;
    },
  },
];
