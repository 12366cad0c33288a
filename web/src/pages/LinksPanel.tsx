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
            <Link to={`/vendors/${k.vendor_a}`}>{k.handle_a}</Link> <span className="muted">@{k.market_a ?? '?'}</span> ⇄ <Link to={`/vendors/${k.vendor_b}`}>{k.handle_b}</Link>{' '}
            <span className="muted">@{k.market_b ?? '?'}</span>
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

interface EvidenceItem { feature: string; label: string; value: number; weight: number; contribution: number; selectors?: { kind: string; value: string; captures: number[] }[] }
interface Explanation { model: string; score: number; logOdds: number; bias: number; hard: boolean; items: EvidenceItem[]; captures?: { a: number | null; b: number | null } }

const isExplanation = (e: unknown): e is Explanation => !!e && typeof e === 'object' && Array.isArray((e as Explanation).items);

/**
 * The linker's explanation (src/link/model.ts LinkExplanation): one row per evidence item — what it is, its value,
 * the model's weight and the log-odds it adds — with each shared selector linked to the captures it was read from.
 * Older rows stored a list of { kind, detail }: shown as rows too. Always text, never HTML.
 */
export function Evidence(props: { evidence: unknown }) {
  const ev = typeof props.evidence === 'string' ? safeParse(props.evidence) : props.evidence;
  if (isExplanation(ev)) {
    return (
      <div className="evidence">
        <table className="evidence-table">
          <thead><tr><th>evidence</th><th className="num">value</th><th className="num">weight</th><th className="num">adds (log-odds)</th><th>shared selector / capture</th></tr></thead>
          <tbody>
            {ev.items.map((it) => (
              <tr key={it.feature} className="evidence-item">
                <td>{it.label}</td>
                <td className="num">{fmt(it.value)}</td>
                <td className="num">{fmt(it.weight)}</td>
                <td className="num">{it.contribution > 0 ? '+' : ''}{fmt(it.contribution)}</td>
                <td>
                  {(it.selectors ?? []).map((sel, i) => (
                    <div key={i} className="small">
                      <span className="muted">{sel.kind}</span> <span className="mono wrap">{sel.value}</span>{' '}
                      {sel.captures.slice(0, 4).map((c) => <Link key={c} to={`/captures/${c}`}>capture {c}</Link>).reduce<React.ReactNode[]>((a, x) => (a.length ? [...a, ', ', x] : [x]), [])}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="small muted">
          model {ev.model} · prior {fmt(ev.bias)} · total log-odds {fmt(ev.logOdds)}{ev.hard ? ' · hard evidence (shared key or address)' : ''}
          {ev.captures?.a ? <> · profile <Link to={`/captures/${ev.captures.a}`}>A</Link></> : null}
          {ev.captures?.b ? <> · profile <Link to={`/captures/${ev.captures.b}`}>B</Link></> : null}
        </div>
      </div>
    );
  }
  const items = Array.isArray(ev) ? ev : [];
  if (!items.length) return null;
  return (
    <table className="evidence-table evidence">
      <tbody>
        {items.slice(0, 20).map((e, i) => {
          const o = (e ?? {}) as Record<string, unknown>;
          return <tr key={i} className="evidence-item"><td>{String(o.kind ?? o.label ?? 'evidence')}</td><td className="small">{typeof o.detail === 'string' ? o.detail : ''}</td></tr>;
        })}
      </tbody>
    </table>
  );
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
