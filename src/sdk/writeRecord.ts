/**
 * Writes a record version end to end, the flow the gateway expects: seal it here
 * (`prepareRecordVersion`), upload the ciphertext, register the version on chain signed by the
 * author (`addRecord` for version 1, `updateRecord` after), then deposit the key envelopes and the
 * break-glass escrow shares. Runs in Node and browsers.
 */
import { hexToBytes, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem';
import { IdentityAbi, RecordRegistryAbi, type MedChainAddresses } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';
import { prepareRecordVersion, type Recipient } from './records.ts';

/** Signs and sends one RecordRegistry call as the author; resolves when it is mined successfully. */
export type SendRegistryCall = (call:
  | { address: Address; abi: typeof RecordRegistryAbi; functionName: 'addRecord'; args: readonly [Hex, Address, Hex, Hex, Hex] }
  | { address: Address; abi: typeof RecordRegistryAbi; functionName: 'updateRecord'; args: readonly [Hex, number, Hex, Hex] }) => Promise<TransactionReceipt | Hex>;

/** A registered account's current encryption key as a recipient of envelopes. */
export async function recipientOf(client: PublicClient, addresses: MedChainAddresses, address: Address): Promise<Recipient> {
  const key = await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [address] });
  if (/^0x0*$/.test(key)) throw new Error(`${address} has no encryption key on chain (not registered)`);
  return { address, publicKey: hexToBytes(key) };
}

export type WriteStep = 'encrypting' | 'uploading ciphertext' | 'registering on chain' | 'depositing key envelopes';

/**
 * Encrypts and stores one record version; returns its id and version.
 * @example await writeRecordVersion({ gateway, client, addresses, author, patient, resourceType: 'Observation', plaintext, send })
 */
export async function writeRecordVersion(options: {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  author: Recipient; patient: Address; resourceType: string; plaintext: Uint8Array;
  /** The record's on-chain category; default: the patient's blinded category from the gateway (new records only). */
  category?: Hex;
  /** An existing record to add a version to; a new record otherwise. */
  recordId?: Hex;
  /** Extra readers (e.g. live grantees); the patient and the author always get an envelope. */
  readers?: Recipient[];
  /** Split the data key among the gateway's escrow custodians for break-glass (default true). */
  escrow?: boolean;
  send: SendRegistryCall;
  /** Called as each step starts, for progress displays. */
  onStep?: (step: WriteStep) => void;
}): Promise<{ recordId: Hex; version: number; cid: string; integrityHash: Hex; escrow?: { threshold: number; custodians: number } }> {
  const { gateway, client, addresses } = options;
  const step = options.onStep ?? (() => undefined);
  step('encrypting');
  const registry = { address: addresses.recordRegistry, abi: RecordRegistryAbi } as const;
  const latest = options.recordId ? (await client.readContract({ ...registry, functionName: 'getRecord', args: [options.recordId] })).latestVersion : 0;
  if (options.recordId && latest === 0) throw new Error(`no record ${options.recordId} on chain`);
  const recipients: Recipient[] = [await recipientOf(client, addresses, options.patient)];
  for (const r of [options.author, ...(options.readers ?? [])]) {
    if (!recipients.some((x) => x.address.toLowerCase() === r.address.toLowerCase())) recipients.push(r);
  }
  // Only addRecord carries a category; the gateway blinds it with the patient's key (crypto/categoryKey.ts).
  const category = latest === 0 ? options.category ?? await gateway.recordCategory(options.patient, options.resourceType) : undefined;
  const escrow = options.escrow === false ? undefined : await gateway.escrowConfig().catch(() => undefined);
  const prepared = await prepareRecordVersion({
    plaintext: options.plaintext, patient: options.patient, resourceType: options.resourceType, category, recordId: options.recordId, version: latest + 1, recipients,
    escrow: escrow && escrow.custodians.length >= 2 ? escrow : undefined,
  });
  prepared.dataKey.fill(0);
  step('uploading ciphertext');
  await gateway.uploadCiphertext(prepared.ciphertext);
  step('registering on chain');
  if (latest === 0) {
    await options.send({ ...registry, functionName: 'addRecord', args: [prepared.recordId, options.patient, prepared.category, prepared.contentId, prepared.integrityHash] });
  } else {
    await options.send({ ...registry, functionName: 'updateRecord', args: [prepared.recordId, latest, prepared.contentId, prepared.integrityHash] });
  }
  step('depositing key envelopes');
  await gateway.depositEnvelopes(prepared.recordId, prepared.version, prepared.envelopes, undefined, prepared.escrow);
  return {
    recordId: prepared.recordId, version: prepared.version, cid: prepared.cid, integrityHash: prepared.integrityHash,
    escrow: prepared.escrow ? { threshold: prepared.escrow.threshold, custodians: prepared.escrow.shares.length } : undefined,
  };
}
