import { useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import { go, Link, queryParam } from '../router.tsx';
import { Card, Empty } from '../ui.tsx';

interface Results {
  q: string;
  listings: { id: number; title: string; substance: string | null; market: string; vendor_id: number | null; vendor: string | null }[];
  vendors: { id: number; handle: string; market: string }[];
  selectors: { id: number; kind: string; value: string }[];
}

export function Search() {
  const initial = queryParam('q') ?? '';
  const [q, setQ] = useState(initial);
  const [res, setRes] = useState<Results | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    if (initial.trim().length >= 2) void run(initial);
  }, [initial]);
  const run = async (text: string) => {
    setError(null);
    setBusy(true);
    try {
      setRes(await api<Results>(`/search?q=${encodeURIComponent(text)}&limit=25`));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="page">
      <h1>Search</h1>
      <form
        className="searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          go(`/search?q=${encodeURIComponent(q)}`);
          if (q === initial) void run(q);
        }}
      >
        <input ref={input} name="q" value={q} onChange={(e) => setQ(e.target.value)} placeholder="listing titles and descriptions, vendor handles and profiles, selectors…" aria-label="search" />
        <button type="submit" disabled={q.trim().length < 2}>Search</button>
      </form>
      {busy && <div className="state loading" role="status">Searching…</div>}
      {error && <div className="state error" role="alert">Could not search: {error}</div>}
      {!res && !busy && !error && <Empty>Type at least two characters: listing titles and descriptions, vendor handles and profiles, selectors.</Empty>}
      {res && (
        <div className="grid2">
          <Card title={`Vendors (${res.vendors.length})`}>
            {res.vendors.length ? <ul className="results">{res.vendors.map((v) => <li key={v.id}><Link to={`/vendors/${v.id}`}>{v.handle}</Link> <span className="muted">@{v.market}</span></li>)}</ul> : <Empty>No vendor matches.</Empty>}
            <h3>Selectors ({res.selectors.length})</h3>
            {res.selectors.length ? <ul className="results">{res.selectors.map((s) => <li key={s.id}><b>{s.kind}</b> <span className="mono small">{s.value}</span></li>)}</ul> : <Empty>No selector matches.</Empty>}
          </Card>
          <Card title={`Listings (${res.listings.length})`}>
            {res.listings.length ? (
              <ul className="results">
                {res.listings.map((l) => (
                  <li key={l.id}>
                    <span className="listing-title">{l.title}</span> <span className="muted">@{l.market}</span>{' '}
                    {l.vendor_id && <Link to={`/vendors/${l.vendor_id}`}>{l.vendor}</Link>}
                  </li>
                ))}
              </ul>
            ) : <Empty>No listing matches.</Empty>}
          </Card>
        </div>
      )}
    </div>
  );
}
