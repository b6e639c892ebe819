/**
 * A category-scoped grant must name the patient's blinded category (crypto/categoryKey.ts), not
 * the public keccak256 of the type: forms and the CLI parse "--scope Observation" offline into the
 * legacy value, and access requests carry it (a provider asking has no key yet). Before signing,
 * the patient's client swaps it for the blinded one from the gateway. Runs in Node and browsers.
 */
import type { Address } from 'viem';
import { ScopeKind, type GrantTerms } from './contracts.ts';
import type { GatewayClient } from './gateway.ts';
import { recordTypeOf } from './recordTypes.ts';

/** `terms` with a legacy category scope replaced by the patient's blinded category; other scopes unchanged. */
export async function withBlindedScope<T extends Pick<GrantTerms, 'scopeKind' | 'scopeValue'>>(gateway: Pick<GatewayClient, 'recordCategory'>, patient: Address, terms: T): Promise<T> {
  if (terms.scopeKind !== ScopeKind.Category) return terms;
  const type = recordTypeOf(terms.scopeValue);
  if (!type) return terms;
  return { ...terms, scopeValue: await gateway.recordCategory(patient, type) };
}
