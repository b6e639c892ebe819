/**
 * The demo hospital's providers as people see them: professional profiles (synthetic names,
 * specialties, organizations and licence numbers), signed by each provider's key and published in
 * the gateway's directory; the chain commits to each one through the metadataHash the provider
 * applies with.
 */
import type { PrivateKeyAccount } from 'viem/accounts';
import { providerProfileHash, providerProfileTypedData, type ProviderProfile, type ProviderProfileFields } from '../../sdk/providerProfile.ts';

export const DEMO_PROFILES: Record<'doctor' | 'lab' | 'hospital', ProviderProfileFields> = {
  doctor: { displayName: 'Dr. Ada Grey', kind: 'doctor', specialty: 'Cardiology', organization: "St. Mary's Hospital", licenceNumber: 'GMC-7012345' },
  lab: { displayName: 'Northside Laboratory', kind: 'lab', specialty: 'Clinical chemistry', organization: 'Northside Diagnostics', licenceNumber: 'CLIA-05D2081234' },
  hospital: { displayName: "St. Mary's Emergency Department", kind: 'hospital', specialty: 'Emergency medicine', organization: "St. Mary's Hospital", licenceNumber: 'NPI-1234567893' },
};

/** The signed profile and the hash to apply with. */
export async function signedDemoProfile(account: PrivateKeyAccount, chainId: number, fields: ProviderProfileFields, issuedAt: bigint) {
  const profile: ProviderProfile = { ...fields, provider: account.address, issuedAt };
  return { profile, hash: providerProfileHash(chainId, profile), signature: await account.signTypedData(providerProfileTypedData(chainId, profile)) };
}

/** PUT /api/directory/providers/:address; throws with the gateway's message when refused. */
export async function publishProfile(gatewayUrl: string, signed: Awaited<ReturnType<typeof signedDemoProfile>>): Promise<void> {
  const { provider, issuedAt, ...fields } = signed.profile;
  const response = await fetch(new URL(`/api/directory/providers/${provider}`, gatewayUrl), {
    method: 'PUT', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ profile: { ...fields, issuedAt: issuedAt.toString() }, signature: signed.signature }),
  });
  if (!response.ok) throw new Error(`the gateway refused the demo profile of ${provider}: ${response.status} ${await response.text()}`);
}
