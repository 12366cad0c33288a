import { RevenueChart } from '../charts.tsx';
import type { LinkView, RevenuePoint, RevenueTotal } from '../api.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, fmtUsd, Loaded, Tlp, useApi } from '../ui.tsx';
import { LinksPanel } from './LinksPanel.tsx';

interface VendorProfile {
  vendor: { id: number; handle: string; tlp: string; profile_text: string; rating: string | null; first_seen: string; last_seen: string; market_id: number };
  market: { id: number; name: string; status: string } | null;
  identity: { id: number; label: string } | null;
  accounts: { id: number; handle: string; market: string; first_seen: string; last_seen: string }[];
  selectors: { id: number; kind: string; value: string; sightings: number; first_seen: string; last_seen: string }[];
  listings: { id: number; title: string; substance: string | null; price_usd: number | null; ships_from: string | null; ships_to: string[] | null; last_seen: string }[];
  feedback: { count: number; avg_rating: number | null; first: string | null; last: string | null };
  links: LinkView[];
  captures: { id: number; url: string; fetched_at: string; payload_sha256: string }[];
  revenue: RevenuePoint[];
  /** The profile's revenue: the same figure as Top targets and /reports/revenue. */
  revenueTotal: RevenueTotal;
}

export function Vendor(props: { id: string }) {
  const [load, reload] = useApi<VendorProfile>(`/vendors/${props.id}`);
  return (
    <Loaded load={load}>
      {(v) => (
        <div className="page">
          <h1>
            {v.vendor.handle} <span className="muted">on</span> {v.market ? <Link to={`/markets/${v.market.id}`}>{v.market.name}</Link> : '?'} <Tlp tlp={v.vendor.tlp} />
          </h1>
          <p className="muted">
            Seen {fmtDate(v.vendor.first_seen)} – {fmtDate(v.vendor.last_seen)} · {v.feedback.count} feedback
            {v.feedback.avg_rating !== null && ` · avg ${v.feedback.avg_rating.toFixed(2)}`} · <span data-figure="revenue">est. revenue {fmtUsd(v.revenueTotal.usd)}</span> <span className="small">({v.revenueTotal.feedback} of {v.feedback.count} feedback counted one by one; the rest fall in windows counted by stock decrements, or are unpriced or holding listings)</span>
            {v.identity && (
              <>
                {' '}· identity <Link to={`/identities/${v.identity.id}`}>{v.identity.label}</Link>
              </>
            )}
          </p>
          {v.vendor.profile_text && <Card title="Profile text (as captured, shown as plain text)"><pre className="profile">{v.vendor.profile_text.slice(0, 4000)}</pre></Card>}
          <div className="grid2">
            <Card title="Accounts across markets">
              {v.accounts.length ? (
                <table><thead><tr><th>handle</th><th>market</th><th>first</th><th>last</th></tr></thead>
                  <tbody>{v.accounts.map((a) => <tr key={a.id}><td><Link to={`/vendors/${a.id}`}>{a.handle}</Link></td><td>{a.market}</td><td>{fmtDate(a.first_seen)}</td><td>{fmtDate(a.last_seen)}</td></tr>)}</tbody></table>
              ) : <Empty>Not yet part of an identity.</Empty>}
            </Card>
            <Card title="Selectors">
              {v.selectors.length ? (
                <table><thead><tr><th>kind</th><th>value</th><th className="num">seen</th></tr></thead>
                  <tbody>{v.selectors.map((s) => <tr key={s.id}><td>{s.kind}</td><td className="mono small wrap">{s.value}</td><td className="num">{s.sightings}</td></tr>)}</tbody></table>
              ) : <Empty>No selectors extracted.</Empty>}
            </Card>
          </div>
          <Card title="Link evidence"><LinksPanel links={v.links} onChange={reload} /></Card>
          <div className="grid2">
            <Card title="Revenue">{v.revenue.length ? <RevenueChart points={v.revenue} height={200} /> : <Empty>No priced feedback.</Empty>}</Card>
            <Card title="Evidence captures">
              {v.captures.length ? (
                <ul className="captures">{v.captures.map((c) => <li key={c.id}><Link to={`/captures/${c.id}`}>capture #{c.id}</Link> <span className="muted small">{fmtDate(c.fetched_at)}</span> <span className="mono small">{c.payload_sha256.slice(0, 16)}…</span></li>)}</ul>
              ) : <Empty>No captures linked.</Empty>}
            </Card>
          </div>
          <Card title={`Listings (${v.listings.length})`}>
            {v.listings.length ? (
              <table><thead><tr><th>title</th><th>substance</th><th className="num">price</th><th>ships</th><th>last seen</th></tr></thead>
                <tbody>{v.listings.map((l) => <tr key={l.id}><td>{l.title}</td><td>{l.substance ?? '—'}</td><td className="num">{l.price_usd !== null ? fmtUsd(l.price_usd) : '—'}</td><td>{l.ships_from ?? '?'} → {(l.ships_to ?? []).join(', ') || '?'}</td><td>{fmtDate(l.last_seen)}</td></tr>)}</tbody></table>
            ) : <Empty>No listings.</Empty>}
          </Card>
        </div>
      )}
    </Loaded>
  );
}
