/**
 * A patient's records as one FHIR R4 `collection` Bundle (R4 §Bundle, ../fhirBundle.ts): every
 * version opened here with the reader's own key (or break-glass escrow) and checked against the
 * chain — a version whose ciphertext or plaintext differs from what was registered stops the
 * export rather than being exported. The gateway never sees plaintext. Runs in Node and browsers.
 */
import type { Address, Hex, PublicClient } from 'viem';
import type { MedChainAddresses } from '../contracts.ts';
import { collectionBundle } from '../fhirBundle.ts';
import type { GatewayClient } from '../gateway.ts';
import { readRecordVersion } from '../readRecord.ts';

/** A version that does not match the chain: its ciphertext's content id or its plaintext's integrity hash differs. */
export class RecordMismatchError extends Error {
  override name = 'RecordMismatchError';
  constructor(readonly recordId: Hex, readonly version: number, readonly differs: 'ciphertext content id' | 'integrity hash') {
    super(`record ${recordId} v${version} does NOT match the chain (${differs} differs)`);
  }
}

export interface ExportRecordsParameters {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  patient: Address;
  /** The reader's X25519 private key(s): current first, retired ones after. */
  privateKeys: Uint8Array[];
  /** Every version, not only the latest. */
  allVersions?: boolean;
}

export interface ExportRecordsReturnType {
  bundle: Record<string, unknown>;
  /** How many record versions the Bundle holds. */
  versions: number;
}

/**
 * Reads the patient's records (erased ones leave only a tombstone and are skipped) into a Bundle.
 * @example const { bundle } = await exportRecords({ gateway, client, addresses, patient, privateKeys: [key] })
 */
export async function exportRecords(options: ExportRecordsParameters): Promise<ExportRecordsReturnType> {
  const { gateway, client, addresses, patient, privateKeys } = options;
  const { records } = await gateway.listRecords(patient);
  const entries: Array<{ recordId: Hex; version: number; resource: unknown }> = [];
  for (const r of records.filter((x) => !x.erased)) {
    const versions = options.allVersions ? Array.from({ length: r.latestVersion }, (_, i) => i + 1) : [r.latestVersion];
    for (const version of versions) {
      const read = await readRecordVersion({ gateway, client, addresses, recordId: r.recordId, privateKeys, known: { patient, version, basis: r.access.basis } });
      if (!read.contentIdVerified) throw new RecordMismatchError(r.recordId, version, 'ciphertext content id');
      if (!read.integrityVerified) throw new RecordMismatchError(r.recordId, version, 'integrity hash');
      entries.push({ recordId: r.recordId, version, resource: JSON.parse(new TextDecoder().decode(read.plaintext)) });
    }
  }
  return { bundle: collectionBundle(entries), versions: entries.length };
}
