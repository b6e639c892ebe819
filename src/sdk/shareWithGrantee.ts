/**
 * After a grant with read permission goes live: the patient wraps the data key of every version in
 * the grant's scope to the grantee's on-chain encryption key and deposits it with the gateway
 * (`POST …/share`), so the grantee can open the records that existed before the grant.
 * Runs in Node and browsers.
 */
import type { Address, Hex, PublicClient } from 'viem';
import { ScopeKind, type GrantTerms, type MedChainAddresses } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';
import { envelopeForNewReader } from './records.ts';
import { recipientOf } from './writeRecord.ts';

/**
 * Shares every readable version in `terms`' scope with its grantee; returns how many versions.
 * @example await shareWithGrantee({ gateway, client, addresses, patient, privateKey, terms })
 */
export async function shareWithGrantee(options: {
  gateway: GatewayClient; client: PublicClient; addresses: MedChainAddresses; patient: Address;
  /** The patient's X25519 private key(s): current first, retired ones after (see key rotation). */
  privateKeys: Uint8Array[];
  terms: Pick<GrantTerms, 'grantee' | 'scopeKind' | 'scopeValue' | 'permissions'>;
}): Promise<number> {
  const { gateway, terms } = options;
  if ((terms.permissions & 1) === 0) return 0;
  const reader = await recipientOf(options.client, options.addresses, terms.grantee);
  const { records } = await gateway.listRecords(options.patient);
  let shared = 0;
  for (const r of records) {
    if (r.erased) continue;
    if (terms.scopeKind === ScopeKind.Category && r.category.toLowerCase() !== terms.scopeValue.toLowerCase()) continue;
    if (terms.scopeKind === ScopeKind.Record && r.recordId.toLowerCase() !== terms.scopeValue.toLowerCase()) continue;
    for (let v = 1; v <= r.latestVersion; v++) {
      const { envelope } = await gateway.getEnvelope(r.recordId, v);
      const wrapped = await withAnyKey(options.privateKeys, (k) => envelopeForNewReader(envelope, k, reader, r.recordId as Hex, v, options.patient));
      await gateway.share(r.recordId, v, wrapped.recipient, wrapped.envelope);
      shared++;
    }
  }
  return shared;
}

/** Tries each private key in turn (current, then retired); rethrows the first key's error. */
export async function withAnyKey<T>(keys: Uint8Array[], use: (key: Uint8Array) => Promise<T>): Promise<T> {
  let first: unknown;
  for (const k of keys) {
    try { return await use(k); } catch (error) { first ??= error; }
  }
  throw first ?? new Error('no private key to open the envelope with');
}
