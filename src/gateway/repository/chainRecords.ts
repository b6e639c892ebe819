/**
 * Records as the chain has them, read the one way routes read them: pinned reads (one block for
 * a whole request: the record, the decision and the version agree) through the consent view
 * (consent/access.ts), and the registry's own getters at the head for what the view does not keep
 * (version metadata for listings, integrity checks, a patient's record ids).
 */
import type { Address, Hex } from 'viem';
import { RecordRegistryAbi } from '../../sdk/contracts.ts';
import type { PinnedBlock } from '../chain/access.ts';
import { Refusal } from '../refusal.ts';
import type { DataRouteDeps } from '../routes/types.ts';

export function chainRecords(deps: Pick<DataRouteDeps, 'access' | 'client' | 'addresses'>) {
  const registry = { address: deps.addresses.recordRegistry, abi: RecordRegistryAbi } as const;
  return {
    /** The block a request reads everything at. */
    pin: (): Promise<PinnedBlock> => deps.access.pin(),

    /** A registered record at `at` (default: the latest block seen); 404 when none is registered under the id. */
    async registered(recordId: Hex, at?: PinnedBlock) {
      const record = await deps.access.record(recordId, at);
      if (record.patient === '0x0000000000000000000000000000000000000000') throw new Refusal('not-found', `record ${recordId} is not registered on chain`);
      return record;
    },

    /** One version at `at` (version 0 when it does not exist). */
    version: (recordId: Hex, version: number, at?: PinnedBlock) => deps.access.version(recordId, version, at),

    /** The registry's record (zero patient when none), at the head. */
    registryRecord: (recordId: Hex) => deps.client.readContract({ ...registry, functionName: 'getRecord', args: [recordId] }),

    /** The registry's version metadata (author, time, content id, integrity hash), at the head. */
    registryVersion: (recordId: Hex, version: number) => deps.client.readContract({ ...registry, functionName: 'getVersion', args: [recordId, version] }),

    /** Every record id registered for a patient, at the head. */
    recordIdsOf: (patient: Address) => deps.client.readContract({ ...registry, functionName: 'recordsOf', args: [patient] }),

    /** Does `hash` match the integrity hash registered for the version? */
    verifyIntegrity: (recordId: Hex, version: number, hash: Hex) => deps.client.readContract({ ...registry, functionName: 'verifyIntegrity', args: [recordId, version, hash] }),
  };
}

export type ChainRecords = ReturnType<typeof chainRecords>;
