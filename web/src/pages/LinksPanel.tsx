import { useState } from 'react';
import { api, type LinkView } from '../api.ts';
import { Link } from '../router.tsx';
import { Empty, Tlp } from '../ui.tsx';

/** Link evidence with confirm/reject: every decision is a POST that the server audits with the analyst's name. */
export function LinksPanel(props: { links: LinkView[]; onChange: () => void }) {
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!props.links.length) return <Empty>No links proposed for these accounts.</Empty>;
  const decide = async (id: number, decision: 'confirm' | 'reject') => {
    setBusy(id);
    setError(null);
    try {
      await api(`/links/${id}/${decision}`, { method: 'POST', body: {} });
      props.onChange();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="links">
      {error && <div className="state error" role="alert">{error}</div>}
      {props.links.map((k) => (
        <div className={`link link-${k.status}`} key={k.id} data-link-id={k.id}>
          <div className="link-head">
            <Link to={`/vendors/${k.vendor_a}`}>{k.handle_a}</Link> <span className="muted">@{k.market_a}</span> ⇄ <Link to={`/vendors/${k.vendor_b}`}>{k.handle_b}</Link>{' '}
            <span className="muted">@{k.market_b}</span>
            <span className="score" title="link score">{(k.score * 100).toFixed(0)}%</span>
            <span className={`badge badge-${k.status}`}>{k.status}</span>
            <Tlp tlp={k.tlp} />
          </div>
          <Evidence evidence={k.evidence} />
          {k.status === 'proposed' && (
            <div className="actions">
              <button onClick={() => decide(k.id, 'confirm')} disabled={busy === k.id} aria-label={`confirm link ${k.id}`}>Confirm</button>
              <button className="secondary" onClick={() => decide(k.id, 'reject')} disabled={busy === k.id} aria-label={`reject link ${k.id}`}>Reject</button>
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

/** Evidence is whatever the link stage explained; shown as text, item by item, never as HTML. */
function Evidence(props: { evidence: unknown }) {
  const items = Array.isArray(props.evidence) ? props.evidence : props.evidence && typeof props.evidence === 'object' ? Object.entries(props.evidence).map(([k, v]) => ({ kind: k, detail: v })) : [];
  if (!items.length) return null;
  return (
    <ul className="evidence">
      {items.slice(0, 12).map((e, i) => {
        const o = (e ?? {}) as Record<string, unknown>;
        const kind = String(o.kind ?? o.type ?? o.name ?? 'evidence');
        const rest = Object.fromEntries(Object.entries(o).filter(([k]) => !['kind', 'type', 'name'].includes(k)));
        return (
          <li key={i}>
            <b>{kind}</b> <span className="mono small">{typeof o.detail === 'string' ? o.detail : JSON.stringify(rest).slice(0, 300)}</span>
          </li>
        );
      })}
    </ul>
  );
}
