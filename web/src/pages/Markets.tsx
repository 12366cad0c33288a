import type { Page } from '../api.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, Loaded, Tlp, useApi } from '../ui.tsx';

interface MarketRow { id: number; name: string; slug: string; kind: string; status: string; tlp: string; vendors: number; listings: number; first_seen: string | null; last_seen: string | null }

export function Markets() {
  const [load] = useApi<Page<MarketRow>>('/markets?limit=200');
  return (
    <div className="page">
      <h1>Markets</h1>
      <Loaded load={load}>
        {(p) =>
          p.items.length ? (
            <Card>
              <table>
                <thead><tr><th>name</th><th>kind</th><th>status</th><th className="num">vendors</th><th className="num">listings</th><th>last seen</th><th>marking</th></tr></thead>
                <tbody>
                  {p.items.map((m) => (
                    <tr key={m.id}>
                      <td><Link to={`/markets/${m.id}`}>{m.name}</Link></td><td>{m.kind}</td><td><span className={`status status-${m.status}`}>{m.status}</span></td>
                      <td className="num">{m.vendors}</td><td className="num">{m.listings}</td><td>{fmtDate(m.last_seen)}</td><td><Tlp tlp={m.tlp} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
          ) : (
            <Empty>No markets are visible to you yet.</Empty>
          )
        }
      </Loaded>
    </div>
  );
}

interface MarketDetail {
  market: MarketRow;
  onions: { onion: string; first_seen: string; last_seen: string }[];
  events: { id: number; kind: string; observed_at: string; detail: string }[];
  counts: { vendors: number; listings: number; feedback: number };
}

/** GET /markets/:id/migration: src/analyse's takedown migration, as `darkpatrol report migration`. */
interface MigrationView {
  closure: { kind: string; at: string } | null;
  identities: number;
  reappeared: number;
  flows: { to: string | null; market_id: number | null; name: string | null; identities: number; medianDays: number | null }[];
}

export function Market(props: { id: string }) {
  const [load] = useApi<MarketDetail>(`/markets/${props.id}`);
  const [mig] = useApi<MigrationView>(`/markets/${props.id}/migration`);
  return (
    <Loaded load={load}>
      {(d) => (
        <div className="page">
          <h1>{d.market.name} <span className={`status status-${d.market.status}`}>{d.market.status}</span> <Tlp tlp={d.market.tlp} /></h1>
          <div className="stats">
            <div className="stat"><div className="value">{d.counts.vendors}</div><div className="label">vendors</div></div>
            <div className="stat"><div className="value">{d.counts.listings}</div><div className="label">listings</div></div>
            <div className="stat"><div className="value">{d.counts.feedback}</div><div className="label">feedback</div></div>
          </div>
          <div className="grid2">
            <Card title="Lifecycle">
              {d.events.length ? (
                <ol className="timeline">{d.events.map((e) => <li key={e.id}><b>{e.kind.replace('_', ' ')}</b> <span className="muted">{fmtDate(e.observed_at)}</span> {e.detail}</li>)}</ol>
              ) : <Empty>No lifecycle events recorded.</Empty>}
              {d.onions.length > 0 && <><h3>Onion addresses</h3><ul className="mono small">{d.onions.map((o) => <li key={o.onion}>{o.onion}</li>)}</ul></>}
            </Card>
            <Card title="Migration: where its vendors went">
              <Loaded load={mig}>
                {(m) => !m.closure ? <Empty>Not closed: no seizure, exit scam or closure recorded, so no migration to show.</Empty> : m.flows.length ? (
                  <>
                    <p className="muted">{m.closure.kind.replace('_', ' ')} {fmtDate(m.closure.at)}: {m.identities} vendor identities, {Math.round(m.reappeared * 100)}% reappeared</p>
                    <table><thead><tr><th>first active on</th><th className="num">identities</th><th className="num">median days</th></tr></thead>
                      <tbody>{m.flows.map((f) => <tr key={f.to ?? '-'}><td>{f.market_id !== null ? <Link to={`/markets/${f.market_id}`}>{f.name}</Link> : f.to === null ? <span className="muted">not seen again</span> : f.name}</td><td className="num">{f.identities}</td><td className="num">{f.medianDays === null ? '—' : Math.round(f.medianDays)}</td></tr>)}</tbody></table>
                  </>
                ) : <Empty>No vendors were active on it before it closed.</Empty>}
              </Loaded>
            </Card>
          </div>
          <p><Link to={`/search?market=${d.market.id}`}>Search this market's listings →</Link></p>
        </div>
      )}
    </Loaded>
  );
}
