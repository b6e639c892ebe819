/**
 * Patients of a harness hospital for the research tests: fresh accounts, funded, registered with
 * their own X25519 key, signed in, each with encrypted HbA1c Observations (given value and date)
 * registered on chain by themselves.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { createWalletClient, custom, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { generateEncryptionKeyPair, type EncryptionKeyPair } from '../../src/crypto/index.ts';
import { medChainContracts } from '../../src/sdk/contracts.ts';
import { GatewayClient } from '../../src/sdk/gateway.ts';
import { prepareRecordVersion } from '../../src/sdk/records.ts';
import { chain, randomKey } from '../../contracts/test/fixture.ts';
import type { Harness } from '../gateway/harness.ts';

export const HBA1C = { system: 'http://loinc.org', code: '4548-4' };

export interface HospitalPatient { privateKey: Hex; account: PrivateKeyAccount; encryption: EncryptionKeyPair; gateway: GatewayClient }

export const hba1c = (value: number, date: string) => ({
  resourceType: 'Observation', status: 'final', effectiveDateTime: date,
  code: { coding: [{ ...HBA1C, display: 'Hemoglobin A1c' }] }, valueQuantity: { value, unit: '%' },
});

export async function hospitalPatient(h: Harness, observations: Array<[value: number, date: string]>): Promise<HospitalPatient> {
  const { f } = h;
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  const encryption = generateEncryptionKeyPair();
  await f.mined(f.wallets.outsider.sendTransaction({ to: account.address, value: 10n ** 18n, chain }));
  const contracts = medChainContracts(createWalletClient({ account, chain, transport: custom(f.provider, { retryCount: 0 }) }), f.addresses);
  await f.mined(contracts.identity.write.registerPatient([`0x${bytesToHex(encryption.publicKey)}` as Hex, randomKey()]));
  const gateway = new GatewayClient(h.gateway.url);
  await gateway.signIn(account, { chainId: 31337 });
  const patient = { privateKey, account, encryption, gateway };
  for (const [value, date] of observations) await addOwnRecord(h, patient, hba1c(value, date));
  return patient;
}

/** The patient adds one encrypted FHIR resource of their own (category from its resourceType) and returns its record id. */
export async function addOwnRecord(h: Harness, patient: HospitalPatient, resource: Record<string, unknown> & { resourceType: string }, options: { blinded?: boolean } = {}): Promise<Hex> {
  const { account, encryption, gateway } = patient;
  const contracts = medChainContracts(createWalletClient({ account, chain, transport: custom(h.f.provider, { retryCount: 0 }) }), h.f.addresses);
  // Blinded: the patient's per-patient category (issue 14), as the web and the demo write records; else the legacy keccak256(type).
  const category = options.blinded ? (await gateway.recordCategories(account.address, [resource.resourceType]))[resource.resourceType] : undefined;
  const prepared = await prepareRecordVersion({
    plaintext: new TextEncoder().encode(JSON.stringify(resource)), patient: account.address, resourceType: resource.resourceType, category,
    recipients: [{ address: account.address, publicKey: encryption.publicKey }],
  });
  await gateway.uploadCiphertext(prepared.ciphertext);
  await h.f.mined(contracts.recordRegistry.write.addRecord([prepared.recordId, account.address, prepared.category, prepared.contentId, prepared.integrityHash]));
  await gateway.depositEnvelopes(prepared.recordId, 1, prepared.envelopes);
  return prepared.recordId;
}
