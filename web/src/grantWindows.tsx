/**
 * The patient's grants as windows on a time line (recharts): one bar per grant from its start to
 * its end, labelled with the grantee's name, coloured by state, and a line at now — who can see
 * my records, since when and until when, at a glance.
 */
import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { GrantState } from '../../src/sdk/contracts.ts';
import { directory } from './lib/api.ts';
import type { Session } from './lib/session.tsx';
import type { Address } from 'viem';
import { stateAt, type GrantTimes } from './lib/grantState.ts';

/** What the chart draws of a grant (consent.tsx's GrantRow has it). */
type WindowedGrant = GrantTimes & { grantId: bigint; grantee: Address; revokedAt: number };

const COLOURS: Record<number, string> = { [GrantState.Active]: '#2e7d32', [GrantState.Upcoming]: '#1565c0', [GrantState.Expired]: '#9e9e9e', [GrantState.Revoked]: '#c62828' };
const STATE_NAMES: Record<number, string> = { [GrantState.Active]: 'active', [GrantState.Upcoming]: 'upcoming', [GrantState.Expired]: 'expired', [GrantState.Revoked]: 'revoked' };
const short = (t: number) => new Date(t * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });

/** The latest grants (at most 12) that are live, upcoming, or ended in the last 30 days. */
export function GrantWindows({ session, grants, now }: { session: Session; grants: WindowedGrant[]; now: number }) {
  const shown = grants.filter((g) => Math.min(g.validUntil, g.revokedAt || Infinity) > now - 30 * 86400).slice(0, 12);
  const grantees = [...new Set(shown.map((g) => g.grantee.toLowerCase()))];
  const names = useQuery({
    queryKey: ['provider-labels', grantees.join(',')], enabled: grantees.length > 0, staleTime: 60_000,
    queryFn: async () => new Map((await directory.byAddresses(session.config.origin, grantees)).providers.map((p) => [p.address.toLowerCase(), p.profile?.displayName ?? p.label])),
  });
  if (shown.length === 0) return null;
  // "Until forever" grants are drawn to a year from now.
  const horizon = now + 365 * 86400;
  const data = shown.map((g) => {
    const end = Math.min(g.revokedAt || g.validUntil, g.validUntil, horizon);
    const name = names.data?.get(g.grantee.toLowerCase()) ?? `${g.grantee.slice(0, 8)}…`;
    return { name: `#${g.grantId} ${name}`, window: [g.validFrom, Math.max(end, g.validFrom + 60)] as [number, number], state: stateAt(g, now) };
  });
  const min = Math.min(...data.map((d) => d.window[0]), now);
  const max = Math.max(...data.map((d) => d.window[1]), now);
  const pad = Math.max(3600, (max - min) * 0.05);
  return (
    <figure className="chart grant-windows" data-testid="grant-windows" aria-label="Your grants on a time line">
      <figcaption>Who can see your records, and when (the red line is now)</figcaption>
      <ResponsiveContainer width="100%" height={50 + data.length * 38}>
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
          <XAxis type="number" domain={[min - pad, max + pad]} tickFormatter={short} scale="time" />
          <YAxis type="category" dataKey="name" width={200} tick={{ fontSize: 12 }} interval={0} />
          <Tooltip formatter={(v, _n, item) => {
            const [from, until] = v as unknown as [number, number];
            return [`${new Date(from * 1000).toLocaleString()} → ${new Date(until * 1000).toLocaleString()} (${STATE_NAMES[(item.payload as { state: number }).state]})`, 'window'];
          }} />
          <Bar dataKey="window" isAnimationActive={false} barSize={16}>
            {data.map((d, i) => <Cell key={i} fill={COLOURS[d.state] ?? '#9e9e9e'} />)}
          </Bar>
          <ReferenceLine x={now} stroke="#c62828" strokeWidth={2} label={{ value: 'now', position: 'top', fontSize: 11 }} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
