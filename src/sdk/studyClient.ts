/**
 * A patient's and a researcher's side of research studies (docs/research.md), over the gateway's
 * /api/studies routes: join or leave (relayed EIP-712 signature, no funds needed), share the data
 * keys the study needs with its compute key (the same HPKE envelopes as for grantees), run a
 * declared computation, read a study's page and one's own participation. Runs in Node and browsers.
 */
import { hexToBytes, type Address, type Hex, type LocalAccount, type PublicClient } from 'viem';
import { StudiesAbi, recordCategory, type MedChainAddresses } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';
import { ConflictError, gatewayErrorFrom } from './errors.ts';
import { envelopeForNewReader } from './records.ts';
import { withAnyKey } from './shareWithGrantee.ts';
import { studyConsentTypedData, studyRecipient } from './studies.ts';

const b64 = (bytes: Uint8Array) => {
  let s = '';
  for (const byte of bytes) s += String.fromCharCode(byte);
  return btoa(s);
};

/** One JSON call to the gateway with the client's session. */
export async function studyCall<T>(gateway: GatewayClient, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (gateway.sessionToken) headers.authorization = `Bearer ${gateway.sessionToken}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(path, gateway.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => undefined) as Record<string, unknown> | undefined;
  if (!response.ok) throw gatewayErrorFrom(response.status, json, response.statusText);
  return json as T;
}

/**
 * Joins (or leaves) a study by the patient's signature, relayed by the gateway.
 * @example await setStudyConsent({ gateway, client, addresses, chainId, account, studyId: 1n, join: true })
 */
export async function setStudyConsent(options: { gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses; chainId: number; account: LocalAccount; studyId: bigint; join: boolean }) {
  const nonce = await options.client.readContract({ address: options.addresses.studies, abi: StudiesAbi, functionName: 'nonces', args: [options.account.address] });
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
  const signature = await options.account.signTypedData(studyConsentTypedData({
    chainId: options.chainId, studies: options.addresses.studies, patient: options.account.address, studyId: options.studyId, nonce, deadline, join: options.join,
  }));
  return studyCall<{ txHash: Hex }>(options.gateway, 'POST', `/api/studies/${options.studyId}/${options.join ? 'opt-in' : 'opt-out'}/relay`, {
    patient: options.account.address, deadline: deadline.toString(), signature,
  });
}

/**
 * Refuses, before anything is signed or shared, a study whose compute key this gateway does not hold:
 * keys wrapped there could not be used, and the gateway refuses them (409) anyway.
 * @example await assertStudyComputedHere(gateway, 1n)
 */
export async function assertStudyComputedHere(gateway: GatewayClient, studyId: bigint): Promise<void> {
  const page = await studyCall<{ computeKeyHeldHere: boolean; computeOperator: Address }>(gateway, 'GET', `/api/studies/${studyId}`);
  if (!page.computeKeyHeldHere) {
    throw new ConflictError(409, `409 this hospital does not run study ${studyId} (it does not hold its compute key): take part at the hospital of its compute operator ${page.computeOperator}`, page);
  }
}

/**
 * After opting in: wraps the data key of every version of the patient's records in the study's
 * categories to the study's compute key and deposits them. Returns how many versions were shared.
 * Categories are compared with the SDK's `recordCategory`, the same helper records are written with.
 */
export async function shareWithStudy(options: {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses; patient: Address; privateKeys: Uint8Array[]; studyId: bigint;
  /** FHIR resource types the study needs (their categories must be among the study's on chain). */
  resourceTypes: string[];
}): Promise<number> {
  await assertStudyComputedHere(options.gateway, options.studyId);
  const studies = { address: options.addresses.studies, abi: StudiesAbi } as const;
  const [study, [categories]] = await Promise.all([
    options.client.readContract({ ...studies, functionName: 'getStudy', args: [options.studyId] }),
    options.client.readContract({ ...studies, functionName: 'dataOf', args: [options.studyId] }),
  ]);
  const wanted = new Set(options.resourceTypes.map((t) => recordCategory(t).toLowerCase()).filter((c) => categories.some((k) => k.toLowerCase() === c)));
  const reader = { address: studyRecipient(options.addresses.studies, options.studyId), publicKey: hexToBytes(study.computeKey) };
  const { records } = await options.gateway.listRecords(options.patient);
  const envelopes: Array<{ recordId: Hex; version: number; envelope: string }> = [];
  for (const r of records) {
    // A blinded category (per patient, issue 14) only matches through the type the gateway maps it back to.
    if (r.erased || !(wanted.has(r.category.toLowerCase()) || (r.type !== null && wanted.has(recordCategory(r.type).toLowerCase())))) continue;
    for (let v = 1; v <= r.latestVersion; v++) {
      const { envelope } = await options.gateway.getEnvelope(r.recordId, v);
      const wrapped = await withAnyKey(options.privateKeys, (k) => envelopeForNewReader(envelope, k, reader, r.recordId as Hex, v, options.patient));
      envelopes.push({ recordId: r.recordId as Hex, version: v, envelope: b64(wrapped.envelope) });
    }
  }
  for (let i = 0; i < envelopes.length; i += 500) {
    await studyCall(options.gateway, 'POST', `/api/studies/${options.studyId}/envelopes`, { envelopes: envelopes.slice(i, i + 500) });
  }
  return envelopes.length;
}
