import { RevenueChart } from '../charts.tsx';
import type { LinkView, Page, RevenuePoint, RevenueTotal } from '../api.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, fmtUsd, Loaded, Tlp, useApi } from '../ui.tsx';
import { LinksPanel } from './LinksPanel.tsx';

interface IdentityDetail {
  identity: { id: number; label: string; tlp: string };
  members: { id: number; handle: string; market: string; market_id: number; market_status: string; first_seen: string; last_seen: string }[];
  links: LinkView[];
  selectors: { kind: string; value: string; accounts: number }[];
  revenue: RevenuePoint[];
  /** The profile's revenue: the same figure as Top targets and /reports/revenue. */
  revenueTotal: RevenueTotal;
}

export function Identity(props: { id: string }) {
  const [load, reload] = useApi<IdentityDetail>(`/identities/${props.id}`);
  return (
    <Loaded load={load}>
      {(d) => (
        <div className="page">
          <h1>{d.identity.label} <Tlp tlp={d.identity.tlp} /></h1>
          <p className="muted">{d.members.length} accounts · <span data-figure="revenue">est. revenue {fmtUsd(d.revenueTotal.usd)}</span> · <Link to={`/money/${d.identity.id}`}>Follow the money</Link></p>
          <Card title="Timeline of accounts">
            <ol className="timeline">
              {d.members.map((m) => (
                <li key={m.id}>
                  <span className="muted">{fmtDate(m.first_seen)} – {fmtDate(m.last_seen)}</span> <Link to={`/vendors/${m.id}`}>{m.handle}</Link> on {m.market === null ? '?' : <Link to={`/markets/${m.market_id}`}>{m.market}</Link>}{' '}
                  <span className={`status status-${m.market_status}`}>{m.market_status}</span>
                </li>
              ))}
            </ol>
          </Card>
          <Card title="Link evidence"><LinksPanel links={d.links} onChange={reload} /></Card>
          <div className="grid2">
            <Card title="Shared selectors">
              {d.selectors.length ? (
                <table><thead><tr><th>kind</th><th>value</th><th className="num">accounts</th></tr></thead>
                  <tbody>{d.selectors.map((s) => <tr key={`${s.kind}:${s.value}`}><td>{s.kind}</td><td className="mono small wrap">{s.value}</td><td className="num">{s.accounts}</td></tr>)}</tbody></table>
              ) : <Empty>No selectors.</Empty>}
            </Card>
            <Card title="Revenue">{d.revenue.length ? <RevenueChart points={d.revenue} height={200} /> : <Empty>No priced feedback.</Empty>}</Card>
          </div>
        </div>
      )}
    </Loaded>
  );
}

export function Identities() {
  const [load] = useApi<Page<{ id: number; label: string; tlp: string; accounts: number }>>('/identities?limit=100');
  return (
    <div className="page">
      <h1>Identities</h1>
      <Loaded load={load}>
        {(p) => p.items.length ? (
          <Card><table><thead><tr><th>identity</th><th className="num">accounts</th><th>marking</th></tr></thead>
            <tbody>{p.items.map((i) => <tr key={i.id}><td><Link to={`/identities/${i.id}`}>{i.label}</Link></td><td className="num">{i.accounts}</td><td><Tlp tlp={i.tlp} /></td></tr>)}</tbody></table></Card>
        ) : <Empty>No identities resolved yet.</Empty>}
      </Loaded>
    </div>
  );
}
