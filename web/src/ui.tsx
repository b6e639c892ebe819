/** Small accessible building blocks shared by the screens: states, count-downs, action buttons. */
import { useEffect, useState, type ReactNode } from 'react';
import { errorText } from './lib/session.tsx';

export function Loading({ what }: { what: string }) {
  return <p className="state loading" role="status" aria-live="polite">Loading {what}…</p>;
}

export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  return <p className="state error" role="alert">{title ? <strong>{title}: </strong> : null}{errorText(error)}</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  const headingId = `h-${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** The wall-clock second, re-rendered every second (count-downs, access windows). */
export function useNow(): number {
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const timer = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function duration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', !d && !h ? `${s}s` : ''].filter(Boolean).join(' ');
}

export function Countdown({ until, label = 'left' }: { until: number; label?: string }) {
  const now = useNow();
  const left = until - now;
  return <span className={left > 0 ? 'countdown' : 'countdown ended'} aria-live="off">{left > 0 ? `${duration(left)} ${label}` : 'ended'}</span>;
}

export const when = (unix: number) => (unix ? new Date(unix * 1000).toLocaleString() : '—');

export function Addr({ value }: { value: string }) {
  return <code className="addr" title={value}>{value.slice(0, 8)}…{value.slice(-6)}</code>;
}

/**
 * A button that runs an async action, disables itself while running and announces the outcome
 * (success text or the error) in a live region next to it.
 */
export function ActionButton({ label, run, done, disabled, kind }: {
  label: string; run: () => Promise<unknown>; done?: string; disabled?: boolean; kind?: 'danger' | 'primary';
}) {
  const [state, setState] = useState<{ busy: boolean; error?: unknown; ok?: boolean }>({ busy: false });
  return (
    <span className="action">
      <button type="button" className={kind} disabled={disabled || state.busy} aria-busy={state.busy}
        onClick={async () => {
          setState({ busy: true });
          try { await run(); setState({ busy: false, ok: true }); } catch (error) { setState({ busy: false, error }); }
        }}>{state.busy ? `${label}…` : label}</button>
      <span aria-live="polite" className="outcome">
        {state.error !== undefined ? <span className="error" role="alert">{errorText(state.error)}</span> : state.ok && done ? <span className="ok">{done}</span> : null}
      </span>
    </span>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field"><span>{label}</span>{children}{hint ? <small>{hint}</small> : null}</label>
  );
}
