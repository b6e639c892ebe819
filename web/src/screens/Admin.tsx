/**
 * Admin (security & access-control department): accredit, suspend and reinstate providers —
 * accreditation and reinstatement are governance actions that execute when enough admins have
 * called Identity.approve (the count is read with pendingAction) — incentive parameters, the
 * contribution leaderboard and the validator set (Incentives.getValidators, what QBFT reads).
 */
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { encodeFunctionData, formatUnits, getAddress, isAddress, type Address, type Hex } from 'viem';
import { ConsentAbi, IdentityAbi, IncentivesAbi, MedTokenAbi, SuspensionReason } from '../../../src/sdk/contracts.ts';
import { sendTx, useSession, type Session } from '../lib/session.tsx';
import { useAccountInfo } from '../lib/accountInfo.ts';
import { directory } from '../lib/api.ts';
import { ProviderName } from '../names.tsx';
import { ActionButton, Addr, Empty, ErrorNote, Field, Loading, Section, duration } from '../ui.tsx';

const STATUS = ['not a provider', 'pending accreditation', 'accredited', 'suspended'];

/** Approves a governance call; returns "executed" or the approval count after this approval. */
async function approveGovernance(session: Session, target: Address, data: Hex): Promise<void> {
  await sendTx(session, { address: session.config.addresses.identity, abi: IdentityAbi, functionName: 'approve', args: [target, data] });
}

function usePending(session: Session, target: Address, data: Hex | undefined) {
  return useQuery({
    queryKey: ['pending', target, data],
    enabled: data !== undefined,
    queryFn: async () => {
      const [, approvals, threshold] = await session.config.client.readContract({ address: session.config.addresses.identity, abi: IdentityAbi, functionName: 'pendingAction', args: [target, data!] });
      return { approvals: Number(approvals), threshold: Number(threshold) };
    },
  });
}

/**
 * Applications waiting for accreditation, with each applicant's signed professional profile and
 * whether the chain commits to it (the metadataHash the provider applied with is the profile's
 * EIP-712 hash): what the admin checks (licence number, organization) before approving.
 */
function PendingApplications({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const q = useQuery({
    queryKey: ['pending-applications'], enabled: session.gatewayStatus.ok, refetchInterval: 10_000,
    queryFn: () => directory.search(session.config.origin, { status: 'pending', limit: 50 }),
  });
  if (!session.gatewayStatus.ok) return <Empty>The list of pending applications needs the gateway's directory; look a provider up by address below.</Empty>;
  if (q.isPending) return <Loading what="pending applications" />;
  if (q.error) return <ErrorNote error={q.error} title="Could not list pending applications" />;
  if (q.data.providers.length === 0) return <Empty>No applications are waiting for accreditation.</Empty>;
  return (
    <ul className="people">{q.data.providers.map((p) => (
      <li key={p.address} data-testid="pending-application">
        <div>
          <strong>{p.profile ? p.label : 'No profile published'}</strong> <span className="muted">({p.kind})</span>
          {p.profile ? <div className="muted small">licence {p.profile.licenceNumber} · signed {new Date(p.profile.issuedAt * 1000).toLocaleString()}</div> : null}
          <div className="small">{p.committed ? <span className="badge ok">profile committed on chain</span> : <span className="badge warn">{p.profile ? 'profile differs from what was applied with' : 'nothing to check: ask the applicant for a profile'}</span>} <Addr value={p.address} /></div>
        </div>
        <ActionButton label="Approve accreditation" kind="primary" done="Approval recorded" run={async () => {
          await approveGovernance(session, session.config.addresses.identity, encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [p.address] }));
          await queryClient.invalidateQueries({ predicate: (x) => ['pending-applications', 'provider-status', 'pending', 'leaderboard'].includes(String(x.queryKey[0])) });
        }} />
      </li>
    ))}</ul>
  );
}

function Providers({ session }: { session: Session }) {
  const { client, addresses } = session.config;
  const queryClient = useQueryClient();
  const [who, setWho] = useState<Address | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reason, setReason] = useState<number>(SuspensionReason.Other);
  const status = useQuery({
    queryKey: ['provider-status', who],
    enabled: who !== undefined,
    queryFn: async () => Number(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'providerStatus', args: [who!] })),
  });
  const accredit = who && encodeFunctionData({ abi: IdentityAbi, functionName: 'accreditProvider', args: [who] });
  const reinstate = who && encodeFunctionData({ abi: IdentityAbi, functionName: 'reinstateProvider', args: [who] });
  const accreditPending = usePending(session, addresses.identity, status.data === 1 ? accredit : undefined);
  const reinstatePending = usePending(session, addresses.identity, status.data === 3 ? reinstate : undefined);
  const refresh = () => queryClient.invalidateQueries({ predicate: (q) => ['provider-status', 'pending', 'leaderboard'].includes(String(q.queryKey[0])) });
  const check = (event: FormEvent) => {
    event.preventDefault();
    const value = String(new FormData(event.target as HTMLFormElement).get('provider')).trim();
    if (!isAddress(value, { strict: false })) { setError('enter a 0x-prefixed 20-byte address'); setWho(undefined); return; }
    setError(undefined); setWho(getAddress(value));
  };
  return (
    <Section title="Accreditation">
      <h3>Pending applications</h3>
      <PendingApplications session={session} />
      <h3>Look up a provider</h3>
      <form onSubmit={check} className="inline">
        <Field label="Provider address"><input name="provider" required spellCheck={false} /></Field>
        <button type="submit">Check status</button>
      </form>
      {error ? <p className="state error" role="alert">{error}</p> : null}
      {who && status.isPending ? <Loading what="provider status" /> : null}
      {status.error ? <ErrorNote error={status.error} /> : null}
      {who && status.data !== undefined ? (
        <div>
          <p>Status: <strong data-testid="provider-status">{STATUS[status.data]}</strong></p>
          {status.data === 1 ? (
            <p>Approvals: {accreditPending.data ? `${accreditPending.data.approvals} of ${accreditPending.data.threshold}` : '…'}{' '}
              <ActionButton label="Approve accreditation" kind="primary" done="Approval recorded" run={async () => { await approveGovernance(session, addresses.identity, accredit!); await refresh(); }} /></p>
          ) : null}
          {status.data === 2 ? (
            <div className="row">
              <Field label="Suspension reason">
                <select value={reason} onChange={(e) => setReason(Number(e.target.value))}>
                  {Object.entries(SuspensionReason).map(([k, v]) => <option key={k} value={v}>{k}</option>)}
                </select>
              </Field>
              <ActionButton label="Suspend now" kind="danger" done="Suspended" run={async () => {
                await sendTx(session, { address: addresses.identity, abi: IdentityAbi, functionName: 'suspendProvider', args: [who, reason] }); await refresh();
              }} />
            </div>
          ) : null}
          {status.data === 3 ? (
            <p>Reinstatement approvals: {reinstatePending.data ? `${reinstatePending.data.approvals} of ${reinstatePending.data.threshold}` : '…'}{' '}
              <ActionButton label="Approve reinstatement" done="Approval recorded" run={async () => { await approveGovernance(session, addresses.identity, reinstate!); await refresh(); }} /></p>
          ) : null}
        </div>
      ) : null}
    </Section>
  );
}

function Incentives({ session }: { session: Session }) {
  const { client, addresses } = session.config;
  const queryClient = useQueryClient();
  const params = useQuery({
    queryKey: ['incentive-params'],
    queryFn: async () => {
      const inc = { address: addresses.incentives, abi: IncentivesAbi } as const;
      const [authorReward, producerReward, maxValidators, breakGlass, thresholds] = await Promise.all([
        client.readContract({ ...inc, functionName: 'authorReward' }), client.readContract({ ...inc, functionName: 'producerReward' }),
        client.readContract({ ...inc, functionName: 'maxValidators' }),
        client.readContract({ address: addresses.consent, abi: ConsentAbi, functionName: 'breakGlassDuration' }),
        Promise.all([client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'accreditationThreshold' }), client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'adminThreshold' })]),
      ]);
      return { authorReward, producerReward, maxValidators, breakGlass: Number(breakGlass), accreditationThreshold: thresholds[0], adminThreshold: thresholds[1] };
    },
  });
  const [form, setForm] = useState({ author: '', producer: '', max: '', minutes: '' });
  if (params.isPending) return <Section title="Incentive parameters"><Loading what="parameters" /></Section>;
  if (params.error) return <Section title="Incentive parameters"><ErrorNote error={params.error} /></Section>;
  const p = params.data;
  const units = (s: string, what: string) => {
    if (!/^\d+(\.\d{1,18})?$/.test(s)) throw new Error(`${what}: enter a non-negative amount of MED`);
    const [whole, frac = ''] = s.split('.');
    return BigInt(whole!) * 10n ** 18n + BigInt(frac.padEnd(18, '0'));
  };
  return (
    <Section title="Incentive parameters">
      <dl className="facts">
        <dt>Author reward</dt><dd data-testid="author-reward">{formatUnits(p.authorReward, 18)} MED per patient per reward period</dd>
        <dt>Producer reward</dt><dd data-testid="producer-reward">{formatUnits(p.producerReward, 18)} MED per block with record work</dd>
        <dt>Max validators</dt><dd data-testid="max-validators">{String(p.maxValidators)}</dd>
        <dt>Break-glass duration</dt><dd data-testid="break-glass-duration">{duration(p.breakGlass)}</dd>
        <dt>Thresholds</dt><dd>accreditation {String(p.accreditationThreshold)}, other governance {String(p.adminThreshold)}</dd>
      </dl>
      <h3>Change parameters</h3>
      <p className="muted">Each change is a governance call (Identity.approve): it executes when {String(p.adminThreshold)} admin(s) approve the same values, and the figures above update.</p>
      <div className="row">
        <Field label="Author reward (MED)"><input inputMode="decimal" value={form.author} onChange={(e) => setForm({ ...form, author: e.target.value })} /></Field>
        <Field label="Producer reward (MED)"><input inputMode="decimal" value={form.producer} onChange={(e) => setForm({ ...form, producer: e.target.value })} /></Field>
      </div>
      <ActionButton label="Approve new rewards" done="Approval recorded" run={async () => {
        const data = encodeFunctionData({ abi: IncentivesAbi, functionName: 'setRewards', args: [units(form.author, 'author reward'), units(form.producer, 'producer reward')] });
        await approveGovernance(session, addresses.incentives, data);
        await queryClient.invalidateQueries({ queryKey: ['incentive-params'] });
      }} />
      <Field label="Max validators (1–64)"><input inputMode="numeric" value={form.max} onChange={(e) => setForm({ ...form, max: e.target.value })} /></Field>
      <ActionButton label="Approve validator count" done="Approval recorded" run={async () => {
        const n = Number(form.max);
        if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error('max validators is an integer from 1 to 64');
        await approveGovernance(session, addresses.incentives, encodeFunctionData({ abi: IncentivesAbi, functionName: 'setMaxValidators', args: [BigInt(n)] }));
        await queryClient.invalidateQueries({ queryKey: ['incentive-params'] });
      }} />
      <Field label="Break-glass duration (minutes, 5–4320)"><input inputMode="numeric" value={form.minutes} onChange={(e) => setForm({ ...form, minutes: e.target.value })} /></Field>
      <ActionButton label="Approve break-glass duration" done="Approval recorded" run={async () => {
        const m = Number(form.minutes);
        if (!Number.isInteger(m) || m < 5 || m > 72 * 60) throw new Error('the break-glass duration is a whole number of minutes from 5 to 4320 (72 h)');
        await approveGovernance(session, addresses.consent, encodeFunctionData({ abi: ConsentAbi, functionName: 'setBreakGlassDuration', args: [BigInt(m * 60)] }));
        await queryClient.invalidateQueries({ queryKey: ['incentive-params'] });
      }} />
    </Section>
  );
}

function Leaderboard({ session, isAdmin = false }: { session: Session; isAdmin?: boolean }) {
  const { client, addresses } = session.config;
  const queryClient = useQueryClient();
  const q = useQuery({
    queryKey: ['leaderboard'],
    queryFn: async () => {
      const inc = { address: addresses.incentives, abi: IncentivesAbi } as const;
      const [contributors, validators, ranking] = await Promise.all([
        client.readContract({ ...inc, functionName: 'contributors' }), client.readContract({ ...inc, functionName: 'getValidators' }), client.readContract({ ...inc, functionName: 'ranking' }),
      ]);
      const rows = await Promise.all(contributors.map(async (a) => ({
        address: a,
        score: await client.readContract({ ...inc, functionName: 'contributionScore', args: [a] }),
        balance: await client.readContract({ address: addresses.token, abi: MedTokenAbi, functionName: 'balanceOf', args: [a] }),
        status: Number(await client.readContract({ address: addresses.identity, abi: IdentityAbi, functionName: 'providerStatus', args: [a] })),
      })));
      rows.sort((x, y) => (y.score > x.score ? 1 : y.score < x.score ? -1 : x.address.localeCompare(y.address)));
      return { rows, validators, ranking };
    },
    refetchInterval: 10_000,
  });
  return (
    <>
      <Section title="Leaderboard">
        {q.isPending ? <Loading what="contributors" /> : q.error ? <ErrorNote error={q.error} /> : q.data.rows.length === 0 ? <Empty>No provider has contributed a record yet.</Empty> : (
          <div className="scroll"><table>
            <thead><tr><th scope="col">#</th><th scope="col">Provider</th><th scope="col">Score</th><th scope="col">MED</th><th scope="col">Status</th></tr></thead>
            <tbody>{q.data.rows.map((r, i) => <tr key={r.address} data-testid="leader"><td>{i + 1}</td><td><ProviderName origin={session.config.origin} address={r.address} /></td><td>{String(r.score)}</td><td>{formatUnits(r.balance, 18)}</td><td>{STATUS[r.status]}</td></tr>)}</tbody>
          </table></div>
        )}
      </Section>
      <Section title="Validator set">
        <p className="muted">Incentives.getValidators(): what Besu's QBFT contract-based validator selection reads. Scores alone never change it: governance adopts the score ranking.</p>
        {q.isPending ? <Loading what="validators" /> : q.error ? <ErrorNote error={q.error} /> : (
          <>
            <ol>{q.data.validators.map((v) => <li key={v} data-testid="validator"><code>{v}</code></li>)}</ol>
            <p className="muted">Current ranking: {q.data.ranking.length === 0 ? 'nobody has contributed yet' : q.data.ranking.map((v) => v.slice(0, 10)).join(', ')}</p>
            {isAdmin && q.data.ranking.length > 0 ? (
              <ActionButton label="Approve adopting the ranking" done="Approval recorded" run={async () => {
                await approveGovernance(session, addresses.incentives, encodeFunctionData({ abi: IncentivesAbi, functionName: 'adoptValidatorRanking' }));
                await queryClient.invalidateQueries({ queryKey: ['leaderboard'] });
              }} />
            ) : null}
          </>
        )}
      </Section>
    </>
  );
}

export function AdminScreen() {
  const session = useSession();
  const info = useAccountInfo(session);
  if (info.isPending) return <Loading what="your roles" />;
  if (info.error) return <ErrorNote error={info.error} />;
  if (!info.data.isAdmin) {
    return <main className="screen"><Empty>This account is not an admin. The admin screen is for the security and access-control department.</Empty><Leaderboard session={session} /></main>;
  }
  return (
    <main className="screen">
      <Providers session={session} />
      <Incentives session={session} />
      <Leaderboard session={session} isAdmin />
    </main>
  );
}
