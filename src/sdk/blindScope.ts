/**
 * A category-scoped grant must name the patient's blinded category (crypto/categoryKey.ts), not
 * the public keccak256 of the type: forms and the CLI parse "--scope Observation" offline into the
 * legacy value, and access requests carry it (a provider asking has no key yet). Before signing,
 * the patient's client swaps it for the blinded one from the gateway. Purposes likewise go on chain
 * as tags only (withPurposeTag, blindTerms). Runs in Node and browsers.
 */
import type { Address, Hex } from 'viem';
import { PURPOSES, ScopeKind, type GrantTerms, type PurposeName } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';
import { recordTypeOf } from './recordTypes.ts';

/** `terms` with a legacy category scope replaced by the patient's blinded category; other scopes unchanged. */
export async function withBlindedScope<T extends Pick<GrantTerms, 'scopeKind' | 'scopeValue'>>(gateway: Pick<GatewayClient, 'recordCategory'>, patient: Address, terms: T): Promise<T> {
  if (terms.scopeKind !== ScopeKind.Category) return terms;
  const type = recordTypeOf(terms.scopeValue);
  if (!type) return terms;
  return { ...terms, scopeValue: await gateway.recordCategory(patient, type) };
}

/** Grant terms as a person chooses them: the purpose by name. `withPurposeTag` makes the on-chain terms. */
export type GrantDraft = Omit<GrantTerms, 'purpose'> & { purpose: PurposeName };

/**
 * `draft` with its purpose replaced by the on-chain tag for this patient and grantee
 * (crypto/categoryKey.ts blindPurpose), asked of the gateway: the patient may ask for any grantee,
 * a provider preparing an access request for itself. The name never goes on chain.
 */
export async function withPurposeTag<T extends GrantDraft>(gateway: Pick<GatewayClient, 'purposeTag'>, patient: Address, draft: T): Promise<Omit<T, 'purpose'> & { purpose: Hex }> {
  return { ...draft, purpose: await gateway.purposeTag(patient, draft.grantee, draft.purpose) };
}

/** The on-chain terms of a patient's grant: blinded category scope and purpose tag. */
export async function blindTerms(gateway: Pick<GatewayClient, 'recordCategory' | 'purposeTag'>, patient: Address, draft: GrantDraft): Promise<GrantTerms> {
  return withBlindedScope(gateway, patient, await withPurposeTag(gateway, patient, draft));
}

/** The purpose name an on-chain tag of `patient`'s grant or request to `grantee` stands for; undefined if none of the purposes makes it. */
export async function purposeOfTag(gateway: Pick<GatewayClient, 'purposeTags'>, patient: Address, grantee: Address, tag: Hex): Promise<PurposeName | undefined> {
  const tags = await gateway.purposeTags(patient, grantee);
  return PURPOSES.find((p) => tags[p].toLowerCase() === tag.toLowerCase());
}
