/**
 * Choosing a provider by name: the patient types part of a name, specialty or organization and
 * picks from the accredited providers the gateway's directory finds (their signed profiles). An
 * address can still be typed, for a provider that has published no profile.
 */
import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getAddress, isAddress, type Address } from 'viem';
import { directory } from './lib/api.ts';
import type { Session } from './lib/session.tsx';
import { ProviderName } from './names.tsx';
import { ErrorNote, Field } from './ui.tsx';

export function ProviderPicker({ session, value, onChange }: { session: Session; value: Address | undefined; onChange: (a: Address | undefined) => void }) {
  const [q, setQ] = useState('');
  const [typed, setTyped] = useState('');
  const search = useQuery({
    queryKey: ['directory-search', q.trim()], enabled: q.trim().length >= 2, placeholderData: keepPreviousData,
    queryFn: () => directory.search(session.config.origin, { q: q.trim(), status: 'active', limit: 10 }),
  });
  return (
    <div className="picker">
      <Field label="Find a provider by name" hint="name, specialty or organization; at least 2 letters">
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
      </Field>
      {search.error ? <ErrorNote error={search.error} title="Search failed" /> : null}
      {q.trim().length >= 2 && search.data ? (
        search.data.providers.length === 0 ? <p className="muted" role="status">No accredited provider matches “{q.trim()}”.</p> : (
          <ul className="people" aria-label="Providers found">{search.data.providers.map((p) => (
            <li key={p.address} data-testid="provider-result">
              <label><input type="radio" name="provider-choice" checked={value === p.address} onChange={() => onChange(p.address)} />{' '}
                <strong>{p.label ?? p.address}</strong>{p.profile ? <span className="muted"> · {p.profile.kind} · licence {p.profile.licenceNumber}</span> : null}</label>
            </li>
          ))}</ul>
        )
      ) : null}
      <details>
        <summary>Or enter a provider's address</summary>
        <form className="inline" onSubmit={(e) => {
          e.preventDefault();
          onChange(isAddress(typed.trim(), { strict: false }) ? getAddress(typed.trim()) : undefined);
        }}>
          <Field label="Provider address"><input value={typed} onChange={(e) => setTyped(e.target.value)} spellCheck={false} /></Field>
          <button type="submit">Use this address</button>
        </form>
      </details>
      <p aria-live="polite">{value ? <>Chosen: <ProviderName origin={session.config.origin} address={value} /></> : <span className="muted">No provider chosen yet.</span>}</p>
    </div>
  );
}
