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

export function Market(props: { id: string }) {
  const [load] = useApi<MarketDetail>(`/markets/${props.id}`);
  const [mig] = useApi<{ flows: { market_id: number; name: string; identities: number }[] }>(`/markets/${props.id}/migration`);
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
                {(m) => m.flows.length ? (
                  <table><thead><tr><th>market</th><th className="num">identities</th></tr></thead>
                    <tbody>{m.flows.map((f) => <tr key={f.market_id}><td><Link to={`/markets/${f.market_id}`}>{f.name}</Link></td><td className="num">{f.identities}</td></tr>)}</tbody></table>
                ) : <Empty>No linked identities seen on other markets.</Empty>}
              </Loaded>
            </Card>
          </div>
          <p><Link to={`/search?market=${d.market.id}`}>Search this market's listings →</Link></p>
        </div>
      )}
    </Loaded>
  );
}
