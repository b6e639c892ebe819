/**
 * Opens a record version for its reader: the ciphertext and the reader's own key envelope from the
 * gateway — or, under live break-glass, the escrow shares the custodians release to the reader
 * (./actions/releaseEscrow.ts) — decrypted here, and the plaintext checked against the integrity hash read from the chain (not
 * against the gateway's word). Runs in Node and browsers.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { RecordRegistryAbi, type MedChainAddresses } from './contracts.ts';
import type { AccessView, GatewayClient } from './gateway.ts';
import { contentIdOf, openRecordVersion } from './records.ts';
import { withAnyKey } from './shareWithGrantee.ts';
import { releaseEscrow } from './actions/releaseEscrow.ts';

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
  const onChainRead = client.readContract({ address: addresses.recordRegistry, abi: RecordRegistryAbi, functionName: 'getVersion', args: [recordId, version] });
  const ciphertextRead = gateway.getCiphertext(recordId, version);
  const contentIdChecked = Promise.all([onChainRead, ciphertextRead]).then(async ([onChain, ciphertext]) => (await contentIdOf(ciphertext)).contentId.toLowerCase() === onChain.contentId.toLowerCase());
  if (known.basis === 'break-glass') {
    // No envelope of one's own: the custodians' escrow shares, fetched in parallel with the ciphertext and the chain's hashes.
    const [opened, contentIdVerified] = await Promise.all([
      releaseEscrow({ gateway, recordId, version, patient, privateKeys: options.privateKeys, ciphertext: ciphertextRead, integrityHash: onChainRead.then((v) => v.integrityHash) }),
      contentIdChecked,
    ]);
    return { recordId, version, patient, plaintext: opened.plaintext, integrityVerified: opened.integrityVerified === true, contentIdVerified, access: opened.access, viaEscrow: true };
  }
  const [onChain, ciphertext, { envelope, access }, contentIdVerified] = await Promise.all([onChainRead, ciphertextRead, gateway.getEnvelope(recordId, version), contentIdChecked]);
  const opened = await withAnyKey(options.privateKeys, (privateKey) => openRecordVersion({ ciphertext, envelope, privateKey, recordId, version, patient, integrityHash: onChain.integrityHash }));
  return { recordId, version, patient, plaintext: opened.plaintext, integrityVerified: opened.integrityVerified === true, contentIdVerified, access, viaEscrow: false };
}
