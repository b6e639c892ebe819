/**
 * People, not hex: a provider is shown by its directory label ("Dr. Ada Grey · Cardiology · St.
 * Mary's", from its signed profile), a patient by the name in their own Patient resource — which
 * the viewer decrypts, so a provider sees it only while a grant (or break-glass) lets it read the
 * record. Addresses stay one hover away (title) for those who need them.
 */
import { useQuery } from '@tanstack/react-query';
import type { Address } from 'viem';
import { directory, type DirectoryEntry, type PatientRecordRef } from './lib/api.ts';
import type { Session } from './lib/session.tsx';
import { openVersion } from './lib/openVersion.ts';
import { Addr } from './ui.tsx';

/**
 * Labels are asked for in one request per burst: every <ProviderName> rendered in the same tick
 * joins one `?addresses=` look-up (at most 100 per request). Hand-written because it is twenty
 * lines and the app has no request-batching dependency.
 */
const waiting = new Map<string, Array<(entry: DirectoryEntry | null) => void>>();
let timer: ReturnType<typeof setTimeout> | undefined;
function lookUp(origin: string, address: string): Promise<DirectoryEntry | null> {
  return new Promise((resolve) => {
    const key = address.toLowerCase();
    waiting.set(key, [...(waiting.get(key) ?? []), resolve]);
    timer ??= setTimeout(async () => {
      timer = undefined;
      const batch = [...waiting.entries()];
      waiting.clear();
      for (let i = 0; i < batch.length; i += 100) {
        const chunk = batch.slice(i, i + 100);
        const found = await directory.byAddresses(origin, chunk.map(([a]) => a)).then((r) => r.providers).catch(() => [] as DirectoryEntry[]);
        const byAddress = new Map(found.map((e) => [e.address.toLowerCase(), e]));
        for (const [a, resolvers] of chunk) for (const r of resolvers) r(byAddress.get(a) ?? null);
      }
    }, 10);
  });
}

export function useProvider(origin: string, address: string | undefined) {
  return useQuery({ queryKey: ['provider-entry', address?.toLowerCase()], enabled: !!address, queryFn: () => lookUp(origin, address!), staleTime: 60_000 });
}

/** A provider's label, or its short address while unknown (no profile published). */
export function ProviderName({ origin, address, you }: { origin: string; address: string; you?: string }) {
  const entry = useProvider(origin, address);
  if (you && address.toLowerCase() === you.toLowerCase()) return <span title={address}>you</span>;
  if (entry.data?.label) return <span className="who" title={address} data-testid="provider-name">{entry.data.label}</span>;
  return <Addr value={address} />;
}

/** "Ann Lee" from a FHIR R4 Patient resource (§HumanName: text, or given + family). */
export function patientNameOf(resource: Record<string, unknown>): string | undefined {
  if (resource.resourceType !== 'Patient') return undefined;
  const names = resource.name as Array<{ text?: string; given?: string[]; family?: string; use?: string }> | undefined;
  const name = names?.find((n) => n.use === 'official') ?? names?.[0];
  if (!name) return undefined;
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

/**
 * A patient's name, decrypted from their Patient resource by the viewer (with the viewer's own
 * key envelope, or the break-glass escrow release). Without a record to read, the address.
 */
export function PatientName({ session, patient, record, basis }: { session: Session; patient: Address; record: PatientRecordRef | null; basis?: 'grant' | 'break-glass' }) {
  const name = useQuery({
    queryKey: ['patient-name', patient, record?.recordId, record?.latestVersion],
    enabled: !!record && session.gatewayStatus.ok,
    queryFn: async () => patientNameOf((await openVersion(session, record!.recordId, record!.latestVersion, patient, basis === 'break-glass' ? 'break-glass' : undefined)).resource) ?? null,
    staleTime: 5 * 60_000, retry: false,
  });
  if (name.data) return <span className="who" title={patient} data-testid="patient-name">{name.data} <Addr value={patient} /></span>;
  if (record && name.isPending) return <span className="muted" title={patient}>reading name… <Addr value={patient} /></span>;
  return <span title={patient}><Addr value={patient} /> <span className="muted">(name not shared with you)</span></span>;
}
