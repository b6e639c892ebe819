/**
 * The category keys of the patients this gateway serves (crypto/categoryKey.ts): created on first
 * need, kept as `category-key` envelopes (record id = the patient's address, version 0) sealed to
 * the gateway's wrapping key and to the patient's on-chain encryption key, so the patient holds
 * their key too and can take it to another hospital. The gateway maps types to a patient's blinded
 * categories and back for FHIR search, listings and authorization; records written before blinding
 * carry the legacy keccak256(type) category and are still recognised (both are tried).
 * The same key tags grants' and requests' purposes (crypto/categoryKey.ts blindPurpose): the gateway
 * hands out tags and decodes them by trying the five purposes for the grant's grantee.
 */
import { getAddress, hexToBytes, type Address, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { blindCategory, blindPurpose, gatewayWrappingKeyPair, generateCategoryKey, unwrapCategoryKey, wrapCategoryKey } from '../../crypto/index.ts';
import { IdentityAbi, PURPOSES, recordCategory, type MedChainAddresses, type PurposeName } from '../../sdk/contracts.ts';
import { RECORD_TYPES } from '../../sdk/recordTypes.ts';
import { Refusal } from '../refusal.ts';
import { EnvelopeConflictError, type EnvelopeStore } from './envelopes.ts';

const ZERO_KEY = /^0x0{64}$/;
const LEGACY_BY_TYPE = new Map<string, Hex>(RECORD_TYPES.map((t) => [t, recordCategory(t).toLowerCase() as Hex]));
const LEGACY_BY_CATEGORY = new Map<string, string>([...LEGACY_BY_TYPE].map(([t, c]) => [c, t]));

export function categoryKeys(deps: { client: PublicClient; addresses: MedChainAddresses; envelopes: EnvelopeStore; operatorKey: Hex }) {
  const wrapping = gatewayWrappingKeyPair(hexToBytes(deps.operatorKey));
  // The recipient the gateway's own envelopes are filed under: its operator address.
  const self = privateKeyToAccount(deps.operatorKey).address;
  const cache = new Map<string, Uint8Array>();
  // Creating a key is serialized per patient so two first writes cannot mint two keys.
  const pending = new Map<string, Promise<Uint8Array | undefined>>();

  async function patientPublicKey(patient: Address): Promise<Uint8Array | undefined> {
    const key = await deps.client.readContract({ address: deps.addresses.identity, abi: IdentityAbi, functionName: 'encryptionKeyOf', args: [patient] });
    return ZERO_KEY.test(key) ? undefined : hexToBytes(key);
  }

  async function load(patient: Address, create: boolean): Promise<Uint8Array | undefined> {
    const id = patient.toLowerCase() as Hex;
    const mine = await deps.envelopes.get(id, 0, self, 'category-key');
    if (mine) return unwrapCategoryKey(mine, wrapping.privateKey, patient);
    if (!create) return undefined;
    const key = generateCategoryKey();
    const recipients: Array<[Address, Uint8Array]> = [[self, wrapping.publicKey]];
    const own = await patientPublicKey(patient);
    if (own) recipients.push([patient, own]);
    try {
      await deps.envelopes.put(await Promise.all(recipients.map(async ([recipient, publicKey]) => ({
        recordId: id, version: 0, recipient, envelope: await wrapCategoryKey(key, publicKey, patient), kind: 'category-key' as const,
      }))));
    } catch (error) {
      // Another gateway process on the same database made the key first (envelopes are write-once): use theirs.
      if (!(error instanceof EnvelopeConflictError)) throw error;
      const theirs = await load(patient, false);
      // The patient already holds a key this gateway has no copy of (its copy is sealed to a former operator key).
      if (!theirs) throw new Refusal('conflict', `this gateway holds no copy of ${patient}'s category key (sealed to a former operator key?): restore that operator key`, 'conflict');
      return theirs;
    }
    return key;
  }

  /** The patient's category key; created (and sealed to the gateway and the patient) when `create`. */
  function keyOf(patient: Address, create: boolean): Promise<Uint8Array | undefined> {
    const p = getAddress(patient);
    const cached = cache.get(p);
    if (cached) return Promise.resolve(cached);
    const waiting = pending.get(p);
    if (waiting) return waiting.then(() => keyOf(p, create));
    const work = load(p, create).then((key) => { if (key) cache.set(p, key); return key; });
    pending.set(p, work);
    return work.finally(() => pending.delete(p));
  }

  // Each patient's blinded category of every known type, computed once (an HMAC costs ~0.1 ms here; listings map every row).
  const tables = new WeakMap<Uint8Array, { byType: Map<string, Hex>; byCategory: Map<string, string> }>();
  function tableOf(key: Uint8Array) {
    let table = tables.get(key);
    if (!table) {
      const byType = new Map<string, Hex>(RECORD_TYPES.map((t) => [t, blindCategory(key, t)]));
      table = { byType, byCategory: new Map([...byType].map(([t, c]) => [c, t])) };
      tables.set(key, table);
    }
    return table;
  }
  const blinded = (key: Uint8Array, type: string): Hex => tableOf(key).byType.get(type) ?? blindCategory(key, type);

  // Each (patient, grantee)'s five purpose tags, computed once: listings decode every row.
  const purposeTables = new WeakMap<Uint8Array, Map<string, Map<string, PurposeName>>>();
  function purposesOf(key: Uint8Array, grantee: Address): Map<string, PurposeName> {
    let byGrantee = purposeTables.get(key);
    if (!byGrantee) purposeTables.set(key, byGrantee = new Map());
    const g = grantee.toLowerCase();
    let table = byGrantee.get(g);
    if (!table) {
      if (byGrantee.size > 10_000) byGrantee.clear();
      table = new Map(PURPOSES.map((name) => [blindPurpose(key, g, name), name]));
      byGrantee.set(g, table);
    }
    return table;
  }

  /** Every category a record of `type` may carry for this patient: the blinded one (if a key exists) and the legacy public hash. */
  async function categoriesOf(patient: Address, type: string): Promise<Hex[]> {
    const key = await keyOf(patient, false);
    const legacy = LEGACY_BY_TYPE.get(type) ?? recordCategory(type).toLowerCase() as Hex;
    return key ? [blinded(key, type), legacy] : [legacy];
  }

  return {
    keyOf,
    categoriesOf,
    /** The patient's own envelope of their key (made now if they had no encryption key when the key was created); undefined while they have none. */
    async patientEnvelope(patient: Address): Promise<Uint8Array | undefined> {
      const p = getAddress(patient);
      const key = (await keyOf(p, true))!;
      const id = p.toLowerCase() as Hex;
      const existing = await deps.envelopes.get(id, 0, p, 'category-key');
      if (existing) return existing;
      const own = await patientPublicKey(p);
      if (!own) return undefined;
      const envelope = await wrapCategoryKey(key, own, p);
      await deps.envelopes.put([{ recordId: id, version: 0, recipient: p, envelope, kind: 'category-key' }]);
      return envelope;
    },
    /** The category a new record of `type` gets: always blinded (the key is created if needed). */
    async categoryFor(patient: Address, type: string): Promise<Hex> {
      return blinded((await keyOf(patient, true))!, type);
    },
    /** Whether `category` is this patient's category for `type` (blinded, or legacy for old records). */
    async isCategoryOf(patient: Address, category: Hex, type: string): Promise<boolean> {
      return (await categoriesOf(patient, type)).includes(category.toLowerCase() as Hex);
    },
    /** The on-chain tag of `purpose` for a grant or request of `patient` to `grantee` (the key is created if needed). */
    async purposeTag(patient: Address, grantee: Address, purpose: PurposeName): Promise<Hex> {
      return blindPurpose((await keyOf(patient, true))!, grantee.toLowerCase(), purpose);
    },
    /** The purpose a grant's or request's tag stands for; undefined when this gateway holds no key that makes it (not a tag it knows). */
    async purposeOf(patient: Address, grantee: Address, tag: string): Promise<PurposeName | undefined> {
      const key = await keyOf(patient, false);
      return key ? purposesOf(key, grantee).get(tag.toLowerCase()) : undefined;
    },
    /** The record type a category stands for, for this patient; undefined outside the known types. */
    async typeOf(patient: Address, category: Hex): Promise<string | undefined> {
      const c = category.toLowerCase();
      const key = await keyOf(patient, false);
      return (key && tableOf(key).byCategory.get(c)) || LEGACY_BY_CATEGORY.get(c);
    },
  };
}

export type CategoryKeys = ReturnType<typeof categoryKeys>;
