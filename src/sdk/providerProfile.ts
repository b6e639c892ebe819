/**
 * A provider's professional profile (display name, kind, specialty, organization, licence number):
 * public professional data, never PHI. The provider signs it as EIP-712 typed data, the gateway
 * verifies the signature and keeps the latest one; the profile's EIP-712 hash (hashTypedData) is
 * what a provider puts in `Identity.applyAsProvider(kind, key, metadataHash)` (or
 * `setMetadataHash`), so the chain commits to the exact profile the admin checked at accreditation.
 */
import { z } from 'zod';
import { hashTypedData, type Address, type Hex } from 'viem';

export const PROVIDER_KINDS = ['doctor', 'lab', 'hospital', 'pharmacy', 'other', 'research'] as const;

// Control characters (C0 and DEL) would let a profile forge extra lines in lists and logs.
const hasControl = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
const text = (name: string, max: number) => z.string().trim().max(max, `${name} is at most ${max} characters`).refine((s) => !hasControl(s), `${name} may not contain control characters`);
const line = (name: string, max: number) => text(name, max).refine((s) => s !== '', `${name} is required`);

/** The profile as the provider fills it in. */
export const providerProfileFields = z.object({
  displayName: line('displayName', 80),
  kind: z.enum(PROVIDER_KINDS),
  specialty: text('specialty', 80),
  organization: line('organization', 120),
  licenceNumber: line('licenceNumber', 40),
});
export type ProviderProfileFields = z.infer<typeof providerProfileFields>;

/** A signed profile: the fields, whose they are, when they were signed (newer replaces older). */
export interface ProviderProfile extends ProviderProfileFields { provider: Address; issuedAt: bigint }

const types = {
  ProviderProfile: [
    { name: 'provider', type: 'address' }, { name: 'displayName', type: 'string' }, { name: 'kind', type: 'string' },
    { name: 'specialty', type: 'string' }, { name: 'organization', type: 'string' }, { name: 'licenceNumber', type: 'string' },
    { name: 'issuedAt', type: 'uint64' },
  ],
} as const;

/** EIP-712 typed data for a profile (pass to `account.signTypedData`); bound to the chain, not to a contract. */
export function providerProfileTypedData(chainId: number, profile: ProviderProfile) {
  return {
    domain: { name: 'MedChain Provider Profile', version: '1', chainId },
    types,
    primaryType: 'ProviderProfile' as const,
    message: {
      provider: profile.provider, displayName: profile.displayName, kind: profile.kind, specialty: profile.specialty,
      organization: profile.organization, licenceNumber: profile.licenceNumber, issuedAt: profile.issuedAt,
    },
  };
}

/** The hash the chain commits to (Identity metadataHash). */
export function providerProfileHash(chainId: number, profile: ProviderProfile): Hex {
  return hashTypedData(providerProfileTypedData(chainId, profile));
}

/** "Dr. Ada Grey · Cardiology · St. Mary's": how people see a provider. */
export function providerLabel(p: Pick<ProviderProfileFields, 'displayName' | 'specialty' | 'organization'>): string {
  return [p.displayName, p.specialty, p.organization].filter((s) => s && s.trim() !== '').join(' · ');
}
