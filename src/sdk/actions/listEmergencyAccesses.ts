/**
 * A patient's emergency accesses as they stand: who opened break-glass, until when, whether it is
 * live, when and by whom it was closed early, and whether the patient's close bars that provider
 * from opening again. The list comes from the gateway's index when a signed-in gateway is given,
 * else from the chain's own EmergencyAccessOpened events (still authoritative); the rest is read
 * from the chain either way. Runs in Node and browsers.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { ConsentAbi, type MedChainAddresses } from '../contracts.ts';
import type { GatewayClient } from '../gateway.ts';

export interface EmergencyAccessRow {
  accessId: number; provider: Address;
  /** When it ends or ended: a close moves the end of the provider's latest window (Consent.emergencyOf). */
  until: number;
  live: boolean;
  /** The opening transaction (listed from the chain, or by the gateway). */
  txHash?: Hex;
  /** The patient's close bars this provider from opening again until allowed (Consent.emergencyReopenBarred). */
  barred: boolean;
  /** Who closed it early (lower- or mixed-case address) and when (seconds), if it was. */
  closedBy?: string | null; closedAt?: number;
}

export interface ListEmergencyAccessesParameters {
  client: PublicClient; addresses: MedChainAddresses;
  patient: Address;
  /** A signed-in gateway to list from; without one, the chain's events are listed. */
  gateway?: GatewayClient;
  /** Seconds, for `live` (default: this machine's clock). */
  now?: number;
}

/**
 * @example const { rows } = await listEmergencyAccesses({ gateway, client, addresses, patient })
 */
export async function listEmergencyAccesses(options: ListEmergencyAccessesParameters): Promise<{ source: 'gateway' | 'chain'; rows: EmergencyAccessRow[] }> {
  const { client, addresses, patient, gateway } = options;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const consent = { address: addresses.consent, abi: ConsentAbi } as const;
  const found = gateway
    ? { source: 'gateway' as const, rows: (await gateway.emergencies(patient)).emergencies }
    : { source: 'chain' as const, rows: (await client.getContractEvents({ ...consent, eventName: 'EmergencyAccessOpened', args: { patient }, fromBlock: 0n }))
      .map((l) => ({ accessId: Number(l.args.accessId), provider: l.args.provider!, until: Number(l.args.until), live: Number(l.args.until) > now, txHash: l.transactionHash, closedBy: undefined })) };
  // When an access was closed early, it ended then, not at its scheduled end: the closing
  // events (Consent.EmergencyAccessClosed, filtered by the indexed patient) give the time.
  const closedLogs = await client.getContractEvents({ ...consent, eventName: 'EmergencyAccessClosed', args: { patient }, fromBlock: 0n });
  const ends = new Map(await Promise.all(closedLogs.map(async (l) => [Number(l.args.accessId), { t: Number((await client.getBlock({ blockNumber: l.blockNumber })).timestamp), by: l.args.closedBy }] as const)));
  // Per provider, from the chain: the latest window as it stands and whether the patient's close bars the provider.
  const state = new Map(await Promise.all([...new Set(found.rows.map((r) => r.provider))].map(async (p) => [p, {
    latest: await client.readContract({ ...consent, functionName: 'emergencyOf', args: [patient, p] }),
    barred: await client.readContract({ ...consent, functionName: 'emergencyReopenBarred', args: [patient, p] }),
  }] as const)));
  return {
    source: found.source,
    rows: found.rows.map((r) => {
      const { latest, barred } = state.get(r.provider)!;
      const until = Number(latest.accessId) === r.accessId ? Number(latest.until) : r.until;
      const end = ends.get(r.accessId);
      return { ...r, until, live: r.live && !end && until > now, barred, closedAt: end?.t, closedBy: r.closedBy ?? end?.by };
    }),
  };
}
