import { useCallback, useEffect, useState } from 'react';
import { api, ApiFailure } from './api.ts';

export type Load<T> = { state: 'loading' } | { state: 'error'; error: string; status: number } | { state: 'ok'; data: T };

/** Fetches on mount and whenever `path` changes; `reload` fetches again (after a decision, for example). */
export function useApi<T>(path: string | null): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoad({ state: 'loading' });
    api<T>(path).then(
      (data) => live && setLoad({ state: 'ok', data }),
      (e: unknown) => live && setLoad({ state: 'error', error: e instanceof Error ? e.message : String(e), status: e instanceof ApiFailure ? e.status : 0 }),
    );
    return () => {
      live = false;
    };
  }, [path, n]);
  return [load, useCallback(() => setN((x) => x + 1), [])];
}

export function Loaded<T>(props: { load: Load<T>; children: (data: T) => React.ReactNode }) {
  if (props.load.state === 'loading') return <div className="state loading" role="status">Loading…</div>;
  if (props.load.state === 'error')
    return (
      <div className="state error" role="alert">
        {props.load.status === 404 ? 'Not found, or not visible to your agency at its TLP marking.' : `Could not load: ${props.load.error}`}
      </div>
    );
  return <>{props.children(props.load.data)}</>;
}

export function Empty(props: { children: React.ReactNode }) {
  return <div className="state empty">{props.children}</div>;
}

export function Tlp(props: { tlp: string }) {
  return <span className={`tlp tlp-${props.tlp.replace('+', '-').toLowerCase()}`}>TLP:{props.tlp}</span>;
}

export function Card(props: { title?: string; children: React.ReactNode; className?: string; actions?: React.ReactNode }) {
  return (
    <section className={`card ${props.className ?? ''}`}>
      {props.title && (
        <header>
          <h2>{props.title}</h2>
          {props.actions}
        </header>
      )}
      {props.children}
    </section>
  );
}

export const fmtDate = (d: string | null | undefined) => (d ? new Date(d).toISOString().slice(0, 10) : '—');
export const fmtUsd = (n: number) => `$${Math.round(n).toLocaleString('en')}`;
