/**
 * The gateway's list views the SDK has no method for (the provider directory, a provider's
 * patients and grants, paginated from the gateway's index): the directory's public GETs and PUTs
 * on the gateway's origin, the signed-in lists through the session's GatewayClient.request.
 */
import type { Address, Hex } from 'viem';
import type { Session } from './session.tsx';

export interface DirectoryEntry {
  address: Address; kind: string; status: string; label: string | null; committed: boolean;
  profile: { displayName: string; kind: string; specialty: string; organization: string; licenceNumber: string; issuedAt: number; profileHash: Hex } | null;
}
export interface PatientRecordRef { recordId: Hex; latestVersion: number }
export interface CarePatient { patient: Address; until: number; basis: 'grant' | 'break-glass'; patientRecord: PatientRecordRef | null }
export interface CareGrant {
  grantId: number; patient: Address; grantee: Address; scope: { kind: string; value: Hex }; read: boolean; write: boolean; purpose: string;
  validFrom: number; validUntil: number; state: 'active' | 'upcoming' | 'expired' | 'revoked'; granteeLabel: string | null; patientRecord: PatientRecordRef | null;
}
export type GrantStateName = CareGrant['state'];

async function request<T>(origin: string, path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  const response = await fetch(`${origin}${path}`, { ...init, headers });
  const body = await response.json().catch(() => ({})) as { message?: string; error?: string };
  if (!response.ok) throw new Error(body.message ?? body.error ?? `the gateway answered ${response.status} to ${path.split('?')[0]}`);
  return body as T;
}

export const directory = {
  search: (origin: string, params: { q?: string; status?: 'active' | 'pending' | 'suspended' | 'any'; limit?: number; offset?: number }) => {
    const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)]));
    return request<{ total: number; providers: DirectoryEntry[] }>(origin, `/api/directory/providers?${qs}`);
  },
  byAddresses: (origin: string, addresses: string[]) => request<{ providers: DirectoryEntry[] }>(origin, `/api/directory/providers?addresses=${addresses.join(',')}`),
  publish: (origin: string, address: Address, profile: Record<string, string>, signature: Hex) =>
    request<{ profileHash: Hex; committed: boolean; label: string }>(origin, `/api/directory/providers/${address}`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ profile, signature }),
    }),
};

// Signed-in lists: through the session's gateway client (its session, typed refusals).
export const care = {
  patients: (session: Session, page: { limit: number; offset: number }) =>
    session.gateway.request<{ now: number; total: number; patients: CarePatient[] }>('GET', `/api/care/patients?limit=${page.limit}&offset=${page.offset}`),
  grants: (session: Session, params: { as: 'grantee' | 'patient'; state: GrantStateName; limit: number; offset: number }) =>
    session.gateway.request<{ now: number; counts: Record<GrantStateName, number>; grants: CareGrant[] }>('GET',
      `/api/care/grants?as=${params.as}&state=${params.state}&limit=${params.limit}&offset=${params.offset}`),
};
