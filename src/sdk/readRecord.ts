/**
 * Opens a record version for its reader: the ciphertext and the reader's own key envelope from the
 * gateway — or, under live break-glass, the escrow shares the custodians release to the reader —
 * decrypted here, and the plaintext checked against the integrity hash read from the chain (not
 * against the gateway's word). Runs in Node and browsers.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { RecordRegistryAbi, type MedChainAddresses } from './contracts.ts';
import type { AccessView, GatewayClient } from './gateway.ts';
import { contentIdOf, openEscrowedRecordVersion, openRecordVersion } from './records.ts';
import { withAnyKey } from './shareWithGrantee.ts';

export interface ReadRecordResult {
  recordId: Hex; version: number; patient: Address; plaintext: Uint8Array;
  /** The plaintext's salted hash equals the one on chain. */
  integrityVerified: boolean;
  /** The ciphertext's CID equals the content id on chain. */
  contentIdVerified: boolean;
  access: AccessView; viaEscrow: boolean;
}

/**
 * @example const r = await readRecordVersion({ gateway, client, addresses, recordId, privateKeys: [key] })
 */
export async function readRecordVersion(options: {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses; recordId: Hex;
  /** Latest when omitted. */
  version?: number;
  /** The reader's X25519 private key(s): current first, retired ones after. */
  privateKeys: Uint8Array[];
  /**
   * What the caller already read from `gateway.getRecord` (a listing does): the record is then not
   * asked for again, and ciphertext, key material and the chain's hashes are fetched in parallel.
   */
  known?: { patient: Address; version: number; basis?: AccessView['basis'] };
}): Promise<ReadRecordResult> {
  const { gateway, client, addresses, recordId } = options;
  const known = options.known ?? await (async () => {
    const detail = await gateway.getRecord(recordId);
    const version = options.version ?? detail.latestVersion;
    if (!Number.isInteger(version) || version < 1 || version > detail.latestVersion) throw new Error(`record ${recordId} has versions 1..${detail.latestVersion}, not ${version}`);
    return { patient: detail.patient, version, basis: detail.access.basis };
  })();
  const { patient, version } = known;
  const viaEscrow = known.basis === 'break-glass';
  const [onChain, ciphertext, keys] = await Promise.all([
    client.readContract({ address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getVersion', args: [recordId, version] }),
    gateway.getCiphertext(recordId, version),
    viaEscrow ? gateway.releaseEscrow(recordId, version).then((release) => ({ release })) : gateway.getEnvelope(recordId, version).then((envelope) => ({ envelope })),
  ]);
  const contentIdVerified = (await contentIdOf(ciphertext)).contentId.toLowerCase() === onChain.contentId.toLowerCase();
  if ('release' in keys) {
    const { release } = keys;
    const opened = await withAnyKey(options.privateKeys, (privateKey) => openEscrowedRecordVersion({
      ciphertext, escrow: { threshold: release.threshold, commitment: release.commitment }, released: release.shares,
      privateKey, recordId, version, patient, integrityHash: onChain.integrityHash,
    }));
    return { recordId, version, patient, plaintext: opened.plaintext, integrityVerified: opened.integrityVerified === true, contentIdVerified, access: release.access, viaEscrow: true };
  }
  const { envelope, access } = keys.envelope;
  const opened = await withAnyKey(options.privateKeys, (privateKey) => openRecordVersion({ ciphertext, envelope, privateKey, recordId, version, patient, integrityHash: onChain.integrityHash }));
  return { recordId, version, patient, plaintext: opened.plaintext, integrityVerified: opened.integrityVerified === true, contentIdVerified, access, viaEscrow: false };
}
