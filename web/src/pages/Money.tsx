import cytoscape from 'cytoscape';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiFailure } from '../api.ts';
import { cytoscapeWithoutInlineStyle } from '../graph.tsx';
import { Link } from '../router.tsx';
import { Card, Empty, Loaded, Tlp, useApi } from '../ui.tsx';

// Follow the money for one identity (GET /api/identities/:id/money): its bitcoin addresses, the latest cash-out
// report (src/money, the same computation as `darkpatrol money trace`), a flow graph, a Sankey-style summary, and the
// actions to run a trace and to draft requests to the exchanges.

interface Valued { sats: number; btc: number; usd: number | null; eur: number | null }
interface Transfer extends Valued { txid: string; date: string | null; hops: number; path: string[] }
interface Deposit extends Valued { address: string; firstDate: string | null; lastDate: string | null; transfers: Transfer[] }
interface Service extends Valued { label: string; category: string; taggedAddress: string; tagSource: string; via: string; deposits: Deposit[] }
export interface MoneyReport {
  id: number; source: string; createdAt: string; createdBy: string; subject: string; rule: string; maxHops: number;
  startAddresses: string[]; clusterAddresses: string[]; received: Valued; exchanges: Service[]; otherServices: Service[];
  mixed: Valued & { txids: string[] }; unspent: Valued; hopLimit: Valued; preserved: { captures: number; txs: number };
  evidence: Array<{ address: string; what: string; captureId?: number | null; url?: string | null }>;
}
interface MoneyView {
  identity: { id: number; label: string; tlp: string };
  sourceConfigured: boolean;
  addresses: Array<{ address: string; sightings: Array<{ vendorId: number; handle: string; market: string; source: string; captureId: number | null }> }>;
  report: MoneyReport | null;
  requests: Array<{ id: number; exchange: string; case_ref: string | null; created_at: string; partner_agency: string | null }>;
}

const btc = (v: Valued) => `${v.btc.toFixed(8)} BTC`;
const fiat = (n: number | null, c: string) => (n === null ? '—' : `${c} ${n.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
const short = (s: string) => (s.length > 16 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s);

export function Money(props: { id: string }) {
  const [load, reload] = useApi<MoneyView>(`/identities/${props.id}/money`);
  // Held here, not in MoneyPage: a reload after an action shows "Loading…" and remounts the page below.
  const state: ActionState = {
    message: useState<{ ok: boolean; text: string } | null>(null),
    caseRef: useState(''),
    partner: useState(''),
    drafts: useState<Array<{ id: number; exchange: string; body: string }>>([]),
  };
  return (
    <Loaded load={load}>
      {(d) => <MoneyPage view={d} reload={reload} state={state} />}
    </Loaded>
  );
}

type Pair<T> = [T, (v: T) => void];
interface ActionState {
  message: Pair<{ ok: boolean; text: string } | null>;
  caseRef: Pair<string>;
  partner: Pair<string>;
  drafts: Pair<Array<{ id: number; exchange: string; body: string }>>;
}

function MoneyPage({ view, reload, state }: { view: MoneyView; reload: () => void; state: ActionState }) {
  const [busy, setBusy] = useState<'trace' | 'request' | null>(null);
  const [message, setMessage] = state.message;
  const [caseRef, setCaseRef] = state.caseRef;
  const [partner, setPartner] = state.partner;
  const [drafts, setDrafts] = state.drafts;
  const r = view.report;
  const trace = async () => {
    setBusy('trace');
    setMessage(null);
    try {
      const t = await api<MoneyReport>(`/identities/${view.identity.id}/money/trace`, { method: 'POST', body: {} });
      setMessage({ ok: true, text: `Trace ${t.id} done: ${t.exchanges.length} exchange(s), ${t.preserved.captures} chain fetches kept as evidence.` });
      reload();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof ApiFailure ? `${e.status}: ${e.message}` : String(e) });
    } finally {
      setBusy(null);
    }
  };
  const draft = async () => {
    setBusy('request');
    setMessage(null);
    try {
      const body: Record<string, string> = {};
      if (caseRef.trim()) body.caseRef = caseRef.trim();
      if (partner.trim()) body.partnerAgency = partner.trim();
      const made = await api<{ requests: Array<{ id: number; exchange: string; body: string }> }>(`/identities/${view.identity.id}/money/requests`, { method: 'POST', body });
      setDrafts(made.requests);
      setMessage({ ok: true, text: `${made.requests.length} draft request(s) made${partner.trim() ? `, addressed to ${partner.trim().toUpperCase()}` : ''}.` });
      reload();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof ApiFailure ? `${e.status}: ${e.message}` : String(e) });
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="page money">
      <h1>Follow the money — <Link to={`/identities/${view.identity.id}`}>{view.identity.label}</Link> <Tlp tlp={view.identity.tlp} /></h1>
      <div className="actions">
        <button onClick={trace} disabled={busy !== null || !view.sourceConfigured || view.addresses.length === 0} title={view.sourceConfigured ? '' : 'start the server with --chain-esplora or --chain-rpc'}>
          {busy === 'trace' ? 'Tracing…' : 'Run trace'}
        </button>
        <label className="inline">Case reference <input value={caseRef} onChange={(e) => setCaseRef(e.target.value)} maxLength={200} /></label>
        <label className="inline">Partner agency <input value={partner} onChange={(e) => setPartner(e.target.value)} maxLength={32} placeholder="optional" /></label>
        <button onClick={draft} disabled={busy !== null || !r || r.exchanges.length === 0}>{busy === 'request' ? 'Drafting…' : 'Draft exchange requests'}</button>
      </div>
      {!view.sourceConfigured && <p className="muted small">No chain source is configured on this server (serve --chain-esplora URL or --chain-rpc URL): reports can be read, not traced.</p>}
      {busy === 'trace' && <div className="state loading" role="status">Tracing over the chain source…</div>}
      {message && <div className={message.ok ? 'ok' : 'state error'} role={message.ok ? 'status' : 'alert'}>{message.text}</div>}
      {drafts.length > 0 && (
        <Card title="Draft requests (not sent)">
          {drafts.map((d) => <details key={d.id} className="draft"><summary>#{d.id} {d.exchange}</summary><pre className="wrap small">{d.body}</pre></details>)}
        </Card>
      )}
      <Card title={`Bitcoin addresses (${view.addresses.length})`}>
        {view.addresses.length ? (
          <table><thead><tr><th>address</th><th>seen</th></tr></thead>
            <tbody>{view.addresses.map((a) => (
              <tr key={a.address}><td className="mono small">{a.address}</td>
                <td className="small">{a.sightings.slice(0, 3).map((s, k) => <span key={k}>{k ? '; ' : ''}{s.source} · <Link to={`/vendors/${s.vendorId}`}>{s.handle}</Link> on {s.market}{s.captureId ? <> · <Link to={`/captures/${s.captureId}`}>capture {s.captureId}</Link></> : null}</span>)}</td></tr>
            ))}</tbody></table>
        ) : <Empty>No bitcoin address is known for this identity's accounts.</Empty>}
      </Card>
      {r ? <ReportView report={r} requests={view.requests} /> : <Empty>No trace yet{view.sourceConfigured ? ': run one.' : '.'}</Empty>}
    </div>
  );
}

function ReportView({ report: r, requests }: { report: MoneyReport; requests: MoneyView['requests'] }) {
  const services = [...r.exchanges, ...r.otherServices];
  return (
    <>
      <p className="muted small" data-figure="report">
        Report {r.id} · {r.createdAt.slice(0, 16).replace('T', ' ')} by {r.createdBy} · {r.source} · {r.clusterAddresses.length} address(es) after clustering ·
        received {btc(r.received)} · {r.preserved.captures} fetches kept as evidence · rule: haircut, ≤ {r.maxHops} hops
      </p>
      <Card title="Summary (addresses → hops → services)"><Sankey report={r} /></Card>
      <Card title="Flow graph"><FlowGraph report={r} /></Card>
      <Card title="Cash-outs">
        {services.length ? (
          <table className="cashouts">
            <thead><tr><th>service</th><th>deposit address</th><th>date</th><th>txid</th><th className="num">hops</th><th className="num">BTC</th><th className="num">USD</th><th className="num">EUR</th></tr></thead>
            <tbody>
              {services.flatMap((s) => s.deposits.flatMap((d) => d.transfers.map((t) => (
                <tr key={`${s.label}:${d.address}:${t.txid}`} className="cashout">
                  <td>{s.label} <span className="muted small">({s.category}, by {s.via})</span></td>
                  <td className="mono small">{d.address}</td><td>{t.date ?? '—'}</td>
                  <td className="mono small" title={t.path.join(' → ')}>{short(t.txid)}</td><td className="num">{t.hops}</td>
                  <td className="num">{t.btc.toFixed(8)}</td><td className="num">{fiat(t.usd, 'USD')}</td><td className="num">{fiat(t.eur, 'EUR')}</td>
                </tr>
              ))))}
            </tbody>
            <tfoot>{services.map((s) => <tr key={s.label}><th>{s.label}</th><td colSpan={4} className="muted small">{s.deposits.length} deposit address(es)</td><th className="num">{s.btc.toFixed(8)}</th><th className="num">{fiat(s.usd, 'USD')}</th><th className="num">{fiat(s.eur, 'EUR')}</th></tr>)}</tfoot>
          </table>
        ) : <Empty>The traced value reached no attributed service.</Empty>}
        <p className="muted small">Into CoinJoins (not followed): {btc(r.mixed)} · unspent: {btc(r.unspent)} · beyond the hop limit: {btc(r.hopLimit)}</p>
      </Card>
      {requests.length > 0 && (
        <Card title="Draft requests">
          <ul>{requests.map((q) => <li key={q.id}>#{q.id} {q.exchange}{q.case_ref ? ` · case ${q.case_ref}` : ''} · {q.partner_agency ? `addressed to ${q.partner_agency} (financial partner feed)` : 'not addressed'} · {q.created_at.slice(0, 10)}</li>)}</ul>
        </Card>
      )}
    </>
  );
}

/** Columns: the identity's (clustered) addresses, the number of hops, where the value ended. Widths ∝ satoshis. */
export function sankeyOf(r: MoneyReport) {
  const links: Array<{ from: string; to: string; sats: number }> = [];
  const add = (from: string, to: string, sats: number) => {
    if (sats <= 0) return;
    const l = links.find((x) => x.from === from && x.to === to);
    if (l) l.sats += sats;
    else links.push({ from, to, sats });
  };
  const src = `addresses (${r.clusterAddresses.length})`;
  for (const s of [...r.exchanges, ...r.otherServices])
    for (const d of s.deposits)
      for (const t of d.transfers) {
        const hop = `${t.hops} hop${t.hops === 1 ? '' : 's'}`;
        add(src, hop, t.sats);
        add(hop, s.label, t.sats);
      }
  for (const [label, v] of [['CoinJoin (not followed)', r.mixed], ['unspent', r.unspent], [`beyond ${r.maxHops} hops`, r.hopLimit]] as const) {
    add(src, 'not attributed', v.sats);
    add('not attributed', label, v.sats);
  }
  const col = (name: string) => (name === src ? 0 : links.some((l) => l.from === name) ? 1 : 2);
  const names = [...new Set(links.flatMap((l) => [l.from, l.to]))];
  return { links, nodes: names.map((n) => ({ name: n, column: col(n), sats: Math.max(links.filter((l) => l.to === n).reduce((a, l) => a + l.sats, 0), links.filter((l) => l.from === n).reduce((a, l) => a + l.sats, 0)) })) };
}

function Sankey({ report }: { report: MoneyReport }) {
  const { nodes, links } = useMemo(() => sankeyOf(report), [report]);
  if (!links.length) return <Empty>Nothing left the addresses.</Empty>;
  const W = 900;
  const H = 320;
  const colX = [10, 390, 770];
  const nodeW = 14;
  const gap = 10;
  const columns = [0, 1, 2].map((c) => nodes.filter((n) => n.column === c).sort((a, b) => b.sats - a.sats));
  const scale = Math.min(...columns.filter((c) => c.length).map((c) => (H - gap * (c.length - 1)) / c.reduce((a, n) => a + n.sats, 0)));
  const pos = new Map<string, { x: number; y: number; h: number; outY: number; inY: number }>();
  for (const [c, list] of columns.entries()) {
    let y = 0;
    for (const n of list) {
      const h = Math.max(2, n.sats * scale);
      pos.set(n.name, { x: colX[c]!, y, h, outY: y, inY: y });
      y += h + gap;
    }
  }
  return (
    <svg className="sankey" viewBox={`0 0 ${W} ${H + 10}`} role="img" aria-label="Sankey summary of the traced value">
      {links.map((l) => {
        const a = pos.get(l.from)!;
        const b = pos.get(l.to)!;
        const w = Math.max(1, l.sats * scale);
        const y1 = a.outY + w / 2;
        const y2 = b.inY + w / 2;
        a.outY += w;
        b.inY += w;
        const x1 = a.x + nodeW;
        const x2 = b.x;
        const mx = (x1 + x2) / 2;
        return (
          <path key={`${l.from}>${l.to}`} className="sankey-link" d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`} fill="none" stroke="#6c8ebf" strokeOpacity={0.45} strokeWidth={w}>
            <title>{`${l.from} → ${l.to}: ${(l.sats / 1e8).toFixed(8)} BTC`}</title>
          </path>
        );
      })}
      {nodes.map((n) => {
        const p = pos.get(n.name)!;
        const right = n.column === 2;
        return (
          <g key={n.name} className="sankey-node" data-name={n.name}>
            <rect x={p.x} y={p.y} width={nodeW} height={p.h} fill={n.column === 2 ? '#e8590c' : '#2f6fde'} />
            <text x={right ? p.x - 6 : p.x + nodeW + 6} y={p.y + p.h / 2} dominantBaseline="middle" textAnchor={right ? 'end' : 'start'} fontSize={12}>
              {n.name} · {(n.sats / 1e8).toFixed(4)} BTC
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** The paths as a graph: the identity's addresses → transactions → deposit addresses → services (bounded). */
function FlowGraph({ report }: { report: MoneyReport }) {
  const el = useRef<HTMLDivElement>(null);
  const elements = useMemo(() => {
    const nodes = new Map<string, { id: string; label: string; kind: string }>();
    const edges = new Map<string, { id: string; source: string; target: string }>();
    const node = (id: string, label: string, kind: string) => nodes.has(id) || nodes.set(id, { id, label, kind });
    const edge = (source: string, target: string) => edges.set(`${source}>${target}`, { id: `e${edges.size}`, source, target });
    node('src', `identity addresses (${report.clusterAddresses.length})`, 'source');
    let shown = 0;
    for (const s of [...report.exchanges, ...report.otherServices]) {
      node(`s:${s.label}`, s.label, 'service');
      for (const d of s.deposits) {
        node(`a:${d.address}`, short(d.address), 'deposit');
        edge(`a:${d.address}`, `s:${s.label}`);
        for (const t of d.transfers) {
          if (shown++ > 300) break;
          let prev = 'src';
          for (const txid of t.path) {
            node(`t:${txid}`, short(txid), 'tx');
            edge(prev, `t:${txid}`);
            prev = `t:${txid}`;
          }
          edge(prev, `a:${d.address}`);
        }
      }
    }
    for (const txid of report.mixed.txids.slice(0, 50)) {
      node(`t:${txid}`, `CoinJoin ${short(txid)}`, 'coinjoin');
      edge('src', `t:${txid}`);
    }
    return { nodes: [...nodes.values()], edges: [...edges.values()] };
  }, [report]);
  useEffect(() => {
    if (!el.current) return;
    cytoscapeWithoutInlineStyle();
    const cy = cytoscape({
      container: el.current,
      elements: [...elements.nodes.map((n) => ({ data: n })), ...elements.edges.map((e) => ({ data: e }))],
      style: [
        { selector: 'node', style: { width: 12, height: 12, 'background-color': '#9bb0d0', label: 'data(label)', 'font-size': 8, color: '#223' } },
        { selector: 'node[kind = "source"]', style: { 'background-color': '#2f6fde', width: 20, height: 20 } },
        { selector: 'node[kind = "deposit"]', style: { 'background-color': '#f59f00' } },
        { selector: 'node[kind = "service"]', style: { 'background-color': '#e8590c', width: 20, height: 20, shape: 'round-rectangle' } },
        { selector: 'node[kind = "coinjoin"]', style: { 'background-color': '#868e96', shape: 'diamond' } },
        { selector: 'edge', style: { width: 1, 'line-color': '#9bb0d0', 'target-arrow-color': '#9bb0d0', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'arrow-scale': 0.6 } },
      ],
      layout: { name: 'breadthfirst', directed: true, roots: ['src'], spacingFactor: 0.9 },
      pixelRatio: 1,
      wheelSensitivity: 0.3,
    });
    return () => cy.destroy();
  }, [elements]);
  return (
    <>
      <p className="muted small">{elements.nodes.length} nodes: the identity's addresses (blue), transactions, deposit addresses (amber), services (orange), CoinJoins (grey).</p>
      <div ref={el} className="graph flow-graph" role="img" aria-label="money flow graph" />
    </>
  );
}
