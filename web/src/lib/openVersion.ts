/**
 * A record version opened in the browser, through the SDK's one read action (content id and
 * integrity checked against the chain): the decrypted FHIR resource for the screens to show.
 */
import type { Address, Hex } from 'viem';
import type { AccessView } from '../../../src/sdk/gateway.ts';
import { readRecordVersion } from '../../../src/sdk/readRecord.ts';
import type { Session } from './session.tsx';

export interface OpenedVersion {
  recordId: Hex; version: number; resource: Record<string, unknown>;
  /** Both the ciphertext's content id and the plaintext's salted hash match the chain. */
  integrityVerified: boolean | undefined; until: number | null;
  /** Opened with the break-glass escrow shares the custodians released (not with an envelope of one's own). */
  viaEscrow?: boolean;
}

/**
 * Opens a version. With `basis: 'break-glass'` the reader has no envelope: the gateway's custodians
 * release their escrow shares re-wrapped to the reader's on-chain key (only under live break-glass),
 * and the data key is recovered here from k shares and checked against the escrow commitment.
 */
export async function openVersion(session: Session, recordId: Hex, version: number, patient: Address, basis?: AccessView['basis']): Promise<OpenedVersion> {
  const read = await readRecordVersion({
    gateway: session.gateway, client: session.config.client, addresses: session.config.addresses, recordId,
    privateKeys: [session.encryption.privateKey], known: { patient, version, basis },
  });
  const resource = JSON.parse(new TextDecoder().decode(read.plaintext)) as Record<string, unknown>;
  return { recordId, version, resource, integrityVerified: read.integrityVerified && read.contentIdVerified, until: read.access.until, viaEscrow: read.viaEscrow || undefined };
}
