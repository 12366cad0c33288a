import { useState } from 'react';
import { api, type Page } from '../api.ts';
import { errorText } from '../client.ts';
import { Card, Empty, Loaded, useApi } from '../ui.tsx';

// Adapter induction: choose a market, pick 3–5 of its captured pages, click the element that shows each field in
// the page's inert structure (tags, classes and text from the server — the captured page itself is never loaded or
// run here), induce, read the per-field coverage on the market's other captures, save a version.

interface Market { id: number; slug: string; name: string }
interface CapturedPage { captureId: number; url: string; fetchedAt: string; pageType: string | null }
interface Node { path: string; depth: number; tag: string; id: string | null; classes: string[]; text: string; children: number }
interface Structure { captureId: number; url: string; nodes: Node[]; elements: number; truncated: boolean; warnings: string[] }
interface Coverage { pageType: string; field: string; pages: number; withValue: number; coverage: number }
interface Induced {
  adapter: { id: string; version: string; market: string };
  fields: { pageType: string; field: string; labelled: number; correct: number; chosen: (string | null)[]; problems: string[] }[];
  warnings: string[];
  coverage: { pages: number; pageTypes: Record<string, number>; fields: Coverage[] };
  coverageCaptures: { read: number; unreadable: number; truncated: boolean; limit: number };
}

const FIELDS: Record<string, string[]> = {
  listing: ['title', 'price', 'currency', 'vendor', 'ships_from', 'ships_to', 'category'],
  vendor_profile: ['handle', 'rating'],
};
/** Fields whose value is a list: each click adds an element. */
const LISTS = new Set(['ships_to', 'category']);
const TYPES = ['listing', 'vendor_profile'];
const MAX_PAGES = 5;

type Labels = Record<string, string | string[]>;
interface Example { captureId: number; url: string; pageType: string; fields: Labels }

export function Adapters() {
  const [markets] = useApi<Page<Market>>('/markets?limit=500');
  const [marketId, setMarketId] = useState<number | null>(null);
  return (
    <div className="page adapters">
      <h1>Adapter induction</h1>
      <p className="muted">
        Teach DarkPatrol a market it has no adapter for: pick 3–5 captured pages per page type, click the element that shows each field, and induce a
        declarative adapter. Pages are shown as their element structure only (text, tags and classes); nothing of a captured page is run.
      </p>
      <Card title="Market">
        <Loaded load={markets}>
          {(m) =>
            m.items.length ? (
              <label>
                Market{' '}
                <select aria-label="Market" value={marketId ?? ''} onChange={(e) => setMarketId(e.target.value ? Number(e.target.value) : null)}>
                  <option value="">choose…</option>
                  {m.items.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
                </select>
              </label>
            ) : <Empty>No markets yet.</Empty>
          }
        </Loaded>
      </Card>
      {marketId !== null && <Induction key={marketId} marketId={marketId} />}
    </div>
  );
}

function Induction(props: { marketId: number }) {
  const [pages] = useApi<Page<CapturedPage>>(`/adapters/pages?marketId=${props.marketId}&limit=500`);
  const [examples, setExamples] = useState<Example[]>([]);
  const [active, setActive] = useState<number | null>(null);
  const [result, setResult] = useState<Induced | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const toggle = (p: CapturedPage) => {
    setResult(null);
    setSaved(null);
    if (examples.some((e) => e.captureId === p.captureId)) {
      setExamples(examples.filter((e) => e.captureId !== p.captureId));
      if (active === p.captureId) setActive(null);
      return;
    }
    const type = p.pageType && TYPES.includes(p.pageType) ? p.pageType : 'listing';
    setExamples([...examples, { captureId: p.captureId, url: p.url, pageType: type, fields: {} }]);
    setActive(p.captureId);
  };
  const update = (id: number, f: (e: Example) => Example) => {
    setResult(null);
    setSaved(null);
    setExamples((xs) => xs.map((e) => (e.captureId === id ? f(e) : e)));
  };
  const perType = (t: string) => examples.filter((e) => e.pageType === t).length;
  const induce = async () => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      setResult(await api<Induced>('/adapters/induce', { method: 'POST', body: { marketId: props.marketId, examples: examples.map(({ captureId, pageType, fields }) => ({ captureId, pageType, fields, ...(pageType === 'vendor_profile' && fields.rating ? { ratingMax: 5 } : {}) })) } }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    if (!result) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ adapterId: string; version: string }>('/adapters', { method: 'POST', body: { marketId: props.marketId, adapter: result.adapter, labels: examples.length } });
      setSaved(`${r.adapterId}@${r.version}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const labelled = examples.filter((e) => Object.keys(e.fields).length > 0);
  return (
    <>
      <Card title="Captured pages">
        <Loaded load={pages}>
          {(p) =>
            p.items.length ? (
              <>
                <p className="small muted">Pick up to {MAX_PAGES} pages of each type ({examples.length} picked).</p>
                <table className="capture-pick">
                  <thead><tr><th></th><th>capture</th><th>URL</th><th>detected type</th></tr></thead>
                  <tbody>
                    {p.items.map((c) => {
                      const on = examples.some((e) => e.captureId === c.captureId);
                      const full = !on && perType(c.pageType && TYPES.includes(c.pageType) ? c.pageType : 'listing') >= MAX_PAGES;
                      return (
                        <tr key={c.captureId} className={active === c.captureId ? 'active' : ''}>
                          <td><input type="checkbox" aria-label={`pick capture ${c.captureId}`} checked={on} disabled={full} onChange={() => toggle(c)} /></td>
                          <td className="num">{c.captureId}</td>
                          <td className="mono small wrap">{c.url}</td>
                          <td className="small">{c.pageType ?? 'not parsed yet'}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                {p.nextOffset !== null && <p className="small muted">Showing the first {p.items.length} pages.</p>}
              </>
            ) : <Empty>This market has no captured HTML pages yet. Crawl it first.</Empty>
          }
        </Loaded>
      </Card>
      {examples.length > 0 && (
        <Card title="Label the picked pages">
          <div className="tabs" role="tablist">
            {examples.map((e) => (
              <button key={e.captureId} role="tab" aria-selected={active === e.captureId} className={active === e.captureId ? '' : 'secondary'} onClick={() => setActive(e.captureId)}>
                {e.captureId} · {e.pageType} · {Object.keys(e.fields).length} field(s)
              </button>
            ))}
          </div>
          {active !== null && examples.some((e) => e.captureId === active) && (
            <Labeller key={active} example={examples.find((e) => e.captureId === active)!} onChange={(f) => update(active, f)} />
          )}
        </Card>
      )}
      {examples.length > 0 && (
        <div className="actions">
          <button onClick={induce} disabled={busy || labelled.length === 0}>{busy ? 'Working…' : 'Induce adapter'}</button>
          {labelled.length === 0 && <span className="muted small"> Click at least one field on a page first.</span>}
        </div>
      )}
      {error && <div className="state error" role="alert">{error}</div>}
      {result && <Result result={result} onSave={save} busy={busy} saved={saved} />}
    </>
  );
}

function Labeller(props: { example: Example; onChange: (f: (e: Example) => Example) => void }) {
  const ex = props.example;
  const [s] = useApi<Structure>(`/captures/${ex.captureId}/structure`);
  const fields = FIELDS[ex.pageType] ?? [];
  const [field, setField] = useState<string>(fields[0] ?? 'title');
  const assign = (n: Node) =>
    props.onChange((e) => {
      const cur = e.fields[field];
      const value = LISTS.has(field) ? [...(Array.isArray(cur) ? cur : cur ? [cur] : []).filter((x) => x !== n.path), n.path] : n.path;
      return { ...e, fields: { ...e.fields, [field]: value } };
    });
  const fieldOf = (path: string) => Object.entries(ex.fields).filter(([, v]) => (Array.isArray(v) ? v.includes(path) : v === path)).map(([k]) => k);
  return (
    <div className="labeller">
      <div className="toolbar">
        <label>
          Page type{' '}
          <select aria-label="Page type" value={ex.pageType} onChange={(e) => { const t = e.target.value; props.onChange((x) => ({ ...x, pageType: t, fields: {} })); setField(FIELDS[t]![0]!); }}>
            {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <span className="small muted mono wrap"> {ex.url}</span>
      </div>
      <div className="fields" role="radiogroup" aria-label="Field to assign">
        {fields.map((f) => (
          <label key={f} className={`field-pick ${ex.fields[f] ? 'done' : ''}`}>
            <input type="radio" name={`field-${ex.captureId}`} checked={field === f} onChange={() => setField(f)} /> {f}
            {ex.fields[f] ? ' ✓' : ''}
          </label>
        ))}
        <button className="secondary small" onClick={() => props.onChange((e) => { const { [field]: _gone, ...rest } = e.fields; return { ...e, fields: rest }; })}>Clear {field}</button>
      </div>
      <p className="small muted">Click the element that shows <b>{field}</b>{LISTS.has(field) ? ' (each click adds one item)' : ''}.</p>
      <Loaded load={s}>
        {(st) => (
          <>
            {st.truncated && <p className="small state error">Only the first {st.nodes.length} of {st.elements} elements are shown.</p>}
            <ol className="structure" aria-label={`structure of capture ${st.captureId}`}>
              {st.nodes.map((n) => {
                const f = fieldOf(n.path);
                return (
                  <li key={n.path} style={{ paddingLeft: `${Math.min(n.depth, 30) * 0.8}em` }}>
                    <button className={`node ${f.length ? 'assigned' : ''}`} title={n.path} onClick={() => assign(n)} data-path={n.path}>
                      <span className="tag">{n.tag}{n.id ? `#${n.id}` : ''}{n.classes.length ? `.${n.classes.join('.')}` : ''}</span>
                      {n.text && <span className="text"> {n.text}</span>}
                      {f.length > 0 && <span className="badge"> ← {f.join(', ')}</span>}
                    </button>
                  </li>
                );
              })}
            </ol>
          </>
        )}
      </Loaded>
    </div>
  );
}

function Result(props: { result: Induced; onSave: () => void; busy: boolean; saved: string | null }) {
  const r = props.result;
  const c = r.coverageCaptures;
  return (
    <Card title={`Induced adapter ${r.adapter.id}@${r.adapter.version}`}>
      <p className="small">
        Coverage on the market's other <b className="coverage-pages">{c.read}</b> captures
        {c.truncated ? ` (the first ${c.limit} only — the market has more)` : ''}{c.unreadable ? `; ${c.unreadable} could not be read` : ''}. Page types:{' '}
        {Object.entries(r.coverage.pageTypes).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}.
      </p>
      {r.coverage.fields.length ? (
        <table className="coverage">
          <thead><tr><th>page type</th><th>field</th><th className="num">pages</th><th className="num">with value</th><th className="num">coverage</th></tr></thead>
          <tbody>
            {r.coverage.fields.map((f) => (
              <tr key={`${f.pageType} ${f.field}`} data-field={f.field}>
                <td>{f.pageType}</td><td>{f.field}</td><td className="num">{f.pages}</td><td className="num">{f.withValue}</td><td className="num">{(f.coverage * 100).toFixed(0)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <Empty>The adapter recognised none of the other captures as a labelled page type.</Empty>}
      <details>
        <summary className="small">Training: what was read on the labelled pages</summary>
        <table>
          <thead><tr><th>page type</th><th>field</th><th className="num">read correctly</th><th>selectors</th><th>problems</th></tr></thead>
          <tbody>{r.fields.map((f) => <tr key={`${f.pageType} ${f.field}`}><td>{f.pageType}</td><td>{f.field}</td><td className="num">{f.correct}/{f.labelled}</td><td className="mono small">{f.chosen.map((x) => x ?? '(page)').join(' | ')}</td><td className="small">{f.problems.join('; ')}</td></tr>)}</tbody>
        </table>
        {r.warnings.map((w, i) => <p key={i} className="small state error">{w}</p>)}
      </details>
      <div className="actions">
        <button onClick={props.onSave} disabled={props.busy || props.saved !== null}>Save adapter</button>
        {props.saved && <span className="saved" role="status"> Saved as <b>{props.saved}</b>. <code>extract --reparse</code> now reads this market with it.</span>}
      </div>
    </Card>
  );
}
