/**
 * Clinical FHIR resources for callers whose keys the hospital holds (fhir/custodial.ts): the
 * gateway encrypts a resource exactly as a client would (AES-256-GCM data key wrapped with HPKE to
 * the patient and the author, escrow shares for break-glass, blind-index tokens for code search),
 * registers it on chain from the caller's own account, and opens versions with the caller's own
 * envelope. Every use is authorized from chain state and logged (repository/authorize.ts).
 */
import { bytesToHex, getAddress, hexToBytes, type Address, type Hex } from 'viem';
import {
  blindIndexToken, blindIndexTokens, codeTerm, generateBlindIndexKey, unwrapBlindIndexKey, wrapBlindIndexKey,
} from '../../crypto/index.ts';
import { IdentityAbi, Permission, RecordRegistryAbi } from '../../sdk/contracts.ts';
import { cidFromContentId, openRecordVersion, prepareRecordVersion } from '../../sdk/records.ts';
import { ChainRefusal } from '../chain/relayer.ts';
import { Refusal } from '../refusal.ts';
import { authorizeAndLog, authorizeWriteAndLog, logDenial, type Allowed } from '../repository/authorize.ts';
import type { DataRouteDeps, Session } from '../routes/types.ts';
import type { CustodialAccount, CustodialKeystore } from './custodial.ts';
import { codingsOf, fhirIdOf, patientOf, resourceIdOf, type ClinicalType } from './resources.ts';
import { recordRepository } from '../repository/records.ts';
import { chainRecords } from '../repository/chainRecords.ts';
import { recordTokenRepository } from '../repository/recordTokens.ts';

type Json = Record<string, unknown> & { resourceType: string };
export interface StoredVersion { resource: Json; version: number; author: Address; timestamp: number }

const ZERO_KEY = /^0x0{64}$/;

export function clinicalStore(deps: DataRouteDeps & { custodial: CustodialKeystore }) {
  const registry = { address: deps.addresses.recordRegistry, abi: RecordRegistryAbi } as const;
  const identity = { address: deps.addresses.identity, abi: IdentityAbi } as const;
  const records = recordRepository(deps.index);
  const chain = chainRecords(deps);

  /** The caller's custodial account, or a 403 explaining end-to-end encryption. */
  function accountOf(s: Session): CustodialAccount {
    const account = deps.custodial.get(s.address);
    if (!account) {
      throw new Refusal('forbidden', 'records are end-to-end encrypted and this hospital does not hold your key: read ciphertext and your envelope at /api/records/{id}, encrypt and register new records client-side', 'security');
    }
    return account;
  }

  async function encryptionKeyOf(address: Address): Promise<Uint8Array> {
    const key = await deps.client.readContract({ ...identity, functionName: 'encryptionKeyOf', args: [address] });
    if (ZERO_KEY.test(key)) throw new Refusal('conflict', `${address} has no encryption key on chain`, 'conflict');
    return hexToBytes(key);
  }

  async function chainRecord(recordId: Hex, type: ClinicalType) {
    const record = await chain.registryRecord(recordId);
    if (/^0x0{40}$/.test(record.patient) || !(await deps.categories.isCategoryOf(getAddress(record.patient), record.category, type))) throw new Refusal('not-found', `no ${type}/${fhirIdOf(recordId)}`, 'not-found');
    if (record.erasedAt !== 0n) throw new Refusal('gone', `${type}/${fhirIdOf(recordId)} was erased`, 'deleted');
    return { ...record, patient: getAddress(record.patient) };
  }

  // One blind-index key per patient; creating it is serialized so two first writes cannot race.
  const creating = new Map<string, Promise<Uint8Array | undefined>>();
  /** The patient's blind-index key as `account` holds it; created (for the patient and the account) on the first indexed write. */
  function searchKey(patient: Address, account: CustodialAccount, create: boolean): Promise<Uint8Array | undefined> {
    const pending = creating.get(patient);
    if (pending) return pending.then(() => searchKey(patient, account, create));
    const work = (async () => {
      const id = patient.toLowerCase() as Hex;
      const mine = await deps.envelopes.get(id, 0, account.address, 'search-key');
      if (mine) return unwrapBlindIndexKey(mine, account.encryption.privateKey, id);
      // The patient has a key they have not shared with this account: its writes go unindexed.
      if (!create || await deps.envelopes.get(id, 0, patient, 'search-key')) return undefined;
      const key = generateBlindIndexKey();
      const recipients: Array<[Address, Uint8Array]> = [[patient, await encryptionKeyOf(patient)], [account.address, account.encryption.publicKey]];
      await deps.envelopes.put(await Promise.all(recipients.map(async ([recipient, publicKey]) => ({
        recordId: id, version: 0, recipient, envelope: await wrapBlindIndexKey(key, publicKey, id), kind: 'search-key' as const,
      }))));
      return key;
    })();
    creating.set(patient, work);
    return work.finally(() => creating.delete(patient));
  }

  /** Seals, uploads, registers on chain from the caller's account, deposits envelopes, escrow shares and search tokens. */
  async function write(s: Session, resource: Json, existing?: { recordId: Hex; patient: Address; category: Hex; latest: number; expected?: number }): Promise<StoredVersion & { recordId: Hex }> {
    const account = accountOf(s);
    const patient = existing?.patient ?? patientOf(resource);
    if (!patient) throw new Refusal('invalid', `say whose record this is: ${resource.resourceType === 'Patient' ? `an identifier with system ${'urn:ethereum:address'}` : 'subject or patient reference Patient/<address>'}`, 'required');
    const stated = patientOf(resource);
    if (existing && stated && stated !== existing.patient) throw new Refusal('invalid', 'an update cannot move a record to another patient', 'invariant');
    // A new record gets the patient's blinded category; an update keeps the record's (blinded or legacy).
    const category = existing?.category ?? await deps.categories.categoryFor(patient, resource.resourceType);
    const recordId = existing?.recordId ?? bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
    const id = resourceIdOf(resource.resourceType, recordId, patient);
    return authorizeWriteAndLog(deps, s, { patient, category }, recordId, Permission.Write, existing ? 'update' : 'create', async () => {
      // Stale If-Match: refused before anything is encrypted or sent (RFC 9110 §13.1.1: 412).
      if (existing?.expected !== undefined && existing.expected !== existing.latest) {
        throw new Refusal('stale', `version conflict: ${resource.resourceType}/${id} is at version ${existing.latest}, not ${existing.expected}`, 'conflict');
      }
      const version = (existing?.latest ?? 0) + 1;
      const stored = { ...resource, id, meta: { versionId: String(version) } } as Json;

      // Readers of the previous version keep reading (their access is still checked on every read).
      const readers = new Map<string, Uint8Array>([[patient.toLowerCase(), await encryptionKeyOf(patient)], [account.address.toLowerCase(), account.encryption.publicKey]]);
      if (existing) {
        for (const r of await deps.envelopes.recipients(recordId, existing.latest)) {
          if (!readers.has(r.toLowerCase())) readers.set(r.toLowerCase(), await encryptionKeyOf(getAddress(r)).catch(() => new Uint8Array()));
        }
      }
      const policy = deps.custodian.policy;
      const prepared = await prepareRecordVersion({
        plaintext: new TextEncoder().encode(JSON.stringify(stored)), patient, resourceType: resource.resourceType, category, recordId, version,
        recipients: [...readers].filter(([, key]) => key.length === 32).map(([address, publicKey]) => ({ address: getAddress(address), publicKey })),
        escrow: policy.custodians.length >= 2 ? { threshold: policy.threshold, custodians: policy.custodians.map((c) => ({ id: c.id, publicKey: new Uint8Array(Buffer.from(c.publicKey, 'base64')) })) } : undefined,
      });
      await deps.uploads.record(account.address, await deps.blobs.put(prepared.ciphertext), prepared.contentId, prepared.ciphertext.length);
      let mined: { hash: Hex; blockNumber: bigint };
      try {
        mined = existing
          ? await account.send(() => deps.client.simulateContract({ ...registry, account: account.signer, functionName: 'updateRecord', args: [recordId, existing.expected ?? existing.latest, prepared.contentId, prepared.integrityHash] }))
          : await account.send(() => deps.client.simulateContract({ ...registry, account: account.signer, functionName: 'addRecord', args: [recordId, patient, prepared.category, prepared.contentId, prepared.integrityHash] }));
      } catch (error) {
        if (error instanceof ChainRefusal) {
          if (error.errorName === 'StaleVersion') throw new Refusal('stale', `version conflict: ${resource.resourceType}/${id} changed since version ${existing?.expected}`, 'conflict');
          throw new Refusal('forbidden', `the chain refused the write: ${error.errorName}`, 'forbidden', { code: 'chain_refused', errorName: error.errorName, args: error.args.map(String) });
        }
        throw error;
      }
      await deps.envelopes.put(prepared.envelopes.map((e) => ({ recordId, version, recipient: e.recipient, envelope: e.envelope, kind: 'data-key' as const })));
      if (prepared.escrow) await deps.escrow.put(recordId, version, prepared.escrow);
      const key = await searchKey(patient, account, true);
      if (key) {
        await deps.index.query('DELETE FROM record_tokens WHERE record_id = $1', [recordId]);
        await deps.envelopes.putTokens(recordId, blindIndexTokens(key, { codes: codingsOf(stored) }));
      }
      const block = await deps.client.getBlock({ blockNumber: mined.blockNumber });
      return { recordId, resource: stored, version, author: account.address, timestamp: Number(block.timestamp) };
    });
  }

  /** Opens one version with the caller's envelope; checks it against the chain's integrity hash. */
  async function open(account: CustodialAccount, recordId: Hex, patient: Address, version: number): Promise<StoredVersion | undefined> {
    const v = await chain.registryVersion(recordId, version);
    if (v.version === 0) return undefined;
    // Written at another hospital: envelope and ciphertext come from its gateway (peers/peerExchange.ts).
    await deps.peers?.ensureEnvelope(recordId, version, account.address);
    await deps.peers?.ensureCiphertext(recordId, version, { contentId: v.contentId, author: getAddress(v.author) }, account.address);
    const envelope = await deps.envelopes.get(recordId, version, account.address);
    if (!envelope) return undefined;
    const ciphertext = await deps.blobs.get(cidFromContentId(v.contentId));
    const opened = await openRecordVersion({ ciphertext, envelope, privateKey: account.encryption.privateKey, recordId, version, patient, integrityHash: v.integrityHash });
    if (opened.integrityVerified !== true) throw new Error(`integrity check failed for a version of ${recordId}`);
    return { resource: JSON.parse(new TextDecoder().decode(opened.plaintext)) as Json, version, author: getAddress(v.author), timestamp: Number(v.timestamp) };
  }

  /**
   * The record holding a patient's Patient resource (their first live one): the index first, then
   * the chain, so a Patient just created resolves before the indexer has seen it.
   */
  async function patientRecordOf(patient: Address): Promise<Hex | undefined> {
    const [blinded, legacy] = await deps.categories.categoriesOf(patient, 'Patient');
    const indexed = await records.firstLiveIn(patient, [blinded, legacy ?? blinded]);
    if (indexed) return indexed;
    const ids = await chain.recordIdsOf(patient);
    for (const id of ids) {
      const r = await chain.registryRecord(id);
      if ([blinded, legacy].includes(r.category.toLowerCase() as Hex) && r.erasedAt === 0n) return id;
    }
    return undefined;
  }

  return {
    accountOf,
    chainRecord,
    patientRecordOf,
    create: (s: Session, resource: Json) => write(s, resource),
    async update(s: Session, type: ClinicalType, recordId: Hex, resource: Json, expected?: number) {
      const record = await chainRecord(recordId, type);
      return write(s, resource, { recordId, patient: record.patient, category: record.category, latest: record.latestVersion, expected });
    },
    /** One version (default the latest) the caller may read and holds a key for. */
    async read(s: Session, type: ClinicalType, recordId: Hex, version?: number): Promise<StoredVersion & { access: Allowed }> {
      const account = accountOf(s);
      const record = await chainRecord(recordId, type);
      const access = await authorizeAndLog(deps, s, record, recordId, Permission.Read, version ? 'vread' : 'read');
      const v = version ?? record.latestVersion;
      if (v < 1 || v > record.latestVersion) throw new Refusal('not-found', `no version ${v} of ${type}/${fhirIdOf(recordId)}`, 'not-found');
      const opened = await open(account, recordId, record.patient, v);
      if (!opened) throw new Refusal('forbidden', 'you may read this record but hold no key for this version: the patient shares it after approving', 'forbidden');
      return { ...opened, access };
    },
    /** Every version the caller holds a key for, newest first. */
    async history(s: Session, type: ClinicalType, recordId: Hex): Promise<StoredVersion[]> {
      const account = accountOf(s);
      const record = await chainRecord(recordId, type);
      await authorizeAndLog(deps, s, record, recordId, Permission.Read, 'history');
      const out: StoredVersion[] = [];
      for (let v = record.latestVersion; v >= 1; v--) {
        const opened = await open(account, recordId, record.patient, v);
        if (opened) out.push(opened);
      }
      return out;
    },
    /**
     * The latest versions of a patient's records of `types` that the caller may read now and holds
     * keys for. A `system|code` narrows candidates by blind-index token first (records written
     * without tokens stay candidates); every filter is then applied exactly on the decrypted resource.
     */
    async search(s: Session, patient: Address, types: ClinicalType[], code?: string): Promise<Array<StoredVersion & { recordId: Hex }>> {
      const account = accountOf(s);
      const categories = (await Promise.all(types.map((t) => deps.categories.categoriesOf(patient, t)))).flat();
      let rows = (await records.liveOfPatient(patient)).filter((r) => categories.includes(r.category.toLowerCase() as Hex));
      if (code?.includes('|') && code.split('|', 1)[0]) {
        const key = await searchKey(patient, account, false);
        if (key) {
          const [system, value] = code.split('|', 2) as [string, string];
          const token = blindIndexToken(key, codeTerm(system, value), 'code');
          const tokens = recordTokenRepository(deps.index);
          const hits = await tokens.recordsWith(token);
          const indexed = await tokens.indexedOf(patient);
          rows = rows.filter((r) => hits.has(r.record_id) || !indexed.has(r.record_id));
        }
      }
      const out: Array<StoredVersion & { recordId: Hex }> = [];
      let withheld = 0;
      for (const row of rows) {
        // No live grant, no data: unreadable records are left out of the Bundle (and its total);
        // the access log says how many, as one denial.
        const decision = await deps.access.authorizeRecord({ patient, accessor: s.address, category: row.category, recordId: row.record_id, permission: Permission.Read });
        if (!decision.allowed) { withheld++; continue; }
        const opened = await open(account, row.record_id, patient, Number(row.latest_version));
        if (opened) out.push({ ...opened, recordId: row.record_id });
      }
      await deps.audit.append({ actor: s.address, patient, action: 'search', purpose: patient === s.address ? 'self' : 'treatment', outcome: 'allowed', reason: `${out.length} visible` });
      if (withheld > 0) await logDenial(deps, s, patient, undefined, 'search', `${withheld} not readable`);
      return out;
    },
  };
}

export type ClinicalStore = ReturnType<typeof clinicalStore>;
