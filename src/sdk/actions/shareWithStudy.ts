/**
 * After opting in: the patient wraps the data key of every version of their records in the
 * study's categories to the study's compute key (the same HPKE envelopes as for grantees) and
 * deposits them. Categories are compared with the SDK's `recordCategory`, the helper records are
 * written with; a blinded category (per patient) matches through the type the gateway maps it
 * back to. Runs in Node and browsers.
 */
import { hexToBytes, type Address, type Hex, type PublicClient } from 'viem';
import { StudiesAbi, recordCategory, type MedChainAddresses } from '../contracts.ts';
import type { GatewayClient } from '../gateway.ts';
import { envelopeForNewReader } from '../records.ts';
import { withAnyKey } from '../shareWithGrantee.ts';
import { studyRecipient } from '../studies.ts';
import { assertStudyComputedHere } from './assertStudyComputedHere.ts';
import { depositStudyEnvelopes } from './depositStudyEnvelopes.ts';

const b64 = (bytes: Uint8Array) => {
  let s = '';
  for (const byte of bytes) s += String.fromCharCode(byte);
  return btoa(s);
};

export interface ShareWithStudyParameters {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses;
  patient: Address;
  /** The patient's X25519 private key(s): current first, retired ones after. */
  privateKeys: Uint8Array[];
  studyId: bigint;
  /** FHIR resource types the study needs (their categories must be among the study's on chain). */
  resourceTypes: string[];
}

/**
 * Shares the study's data with its compute key; returns how many record versions. Refused
 * (ConflictError) before anything is wrapped when this gateway does not compute the study.
 * @example const shared = await shareWithStudy({ gateway, client, addresses, patient, privateKeys: [key], studyId: 1n, resourceTypes: ['Observation'] })
 */
export async function shareWithStudy(options: ShareWithStudyParameters): Promise<number> {
  const { gateway, client, addresses, patient, studyId } = options;
  await assertStudyComputedHere({ gateway, studyId });
  const studies = { address: addresses.studies, abi: StudiesAbi } as const;
  const [study, [categories]] = await Promise.all([
    client.readContract({ ...studies, functionName: 'getStudy', args: [studyId] }),
    client.readContract({ ...studies, functionName: 'dataOf', args: [studyId] }),
  ]);
  const wanted = new Set(options.resourceTypes.map((t) => recordCategory(t).toLowerCase()).filter((c) => categories.some((k) => k.toLowerCase() === c)));
  const reader = { address: studyRecipient(addresses.studies, studyId), publicKey: hexToBytes(study.computeKey) };
  const { records } = await gateway.listRecords(patient);
  const envelopes: Array<{ recordId: Hex; version: number; envelope: string }> = [];
  for (const r of records) {
    if (r.erased || !(wanted.has(r.category.toLowerCase()) || (r.type !== null && wanted.has(recordCategory(r.type).toLowerCase())))) continue;
    for (let v = 1; v <= r.latestVersion; v++) {
      const { envelope } = await gateway.getEnvelope(r.recordId, v);
      const wrapped = await withAnyKey(options.privateKeys, (k) => envelopeForNewReader(envelope, k, reader, r.recordId, v, patient));
      envelopes.push({ recordId: r.recordId, version: v, envelope: b64(wrapped.envelope) });
    }
  }
  return depositStudyEnvelopes({ gateway, studyId, envelopes });
}
