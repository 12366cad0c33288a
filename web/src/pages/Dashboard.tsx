import { RevenueChart } from '../charts.tsx';
import type { RevenuePoint } from '../api.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, fmtUsd, Loaded, useApi } from '../ui.tsx';

interface Overview {
  counts: Record<string, number>;
  revenue: RevenuePoint[];
  flows: { from: string; to: string; listings: number }[];
  marketStatus: { status: string; n: number }[];
  alerts: { id: number; kind: string; observed_at: string; detail: string; market: string; market_id: number }[];
}

export function Dashboard() {
  const [load] = useApi<Overview>('/reports/overview?bucket=week&days=3650');
  return (
    <Loaded load={load}>
      {(o) => (
        <div className="page">
          <h1>Overview</h1>
          <div className="stats">
            {(['markets', 'vendors', 'listings', 'feedback', 'identities', 'proposed_links'] as const).map((k) => (
              <div className="stat" key={k}>
                <div className="value">{(o.counts[k] ?? 0).toLocaleString('en')}</div>
                <div className="label">{k.replace('_', ' ')}</div>
              </div>
            ))}
            <div className="stat">
              <div className="value">{fmtUsd(o.revenue.reduce((s, p) => s + p.usd, 0))}</div>
              <div className="label">est. revenue</div>
            </div>
          </div>
          <div className="grid2">
            <Card title="Revenue over time (feedback × price)">{o.revenue.length ? <RevenueChart points={o.revenue} /> : <Empty>No feedback with prices yet.</Empty>}</Card>
            <Card title="Alerts">
              {o.alerts.length ? (
                <ul className="alerts">
                  {o.alerts.map((a) => (
                    <li key={a.id} className={`alert-${a.kind}`}>
                      <span className="badge">{a.kind.replace('_', ' ')}</span> <Link to={`/markets/${a.market_id}`}>{a.market}</Link> <span className="muted">{fmtDate(a.observed_at)}</span>
                      {a.detail && <div className="muted small">{a.detail}</div>}
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty>No market events.</Empty>
              )}
            </Card>
          </div>
          <div className="grid2">
            <Card title="Shipping flows (listings, ships-from → ships-to)">
              {o.flows.length ? (
                <table>
                  <thead><tr><th>from</th><th>to</th><th className="num">listings</th><th /></tr></thead>
                  <tbody>
                    {o.flows.slice(0, 12).map((f) => (
                      <tr key={`${f.from}-${f.to}`}>
                        <td>{f.from}</td><td>{f.to}</td><td className="num">{f.listings}</td>
                        <td><div className="bar" style={{ width: `${Math.max(2, (100 * f.listings) / o.flows[0]!.listings)}%` }} /></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <Empty>No shipping data yet.</Empty>
              )}
            </Card>
            <Card title="Markets by status">
              {o.marketStatus.length ? (
                <table><tbody>{o.marketStatus.map((m) => <tr key={m.status}><td><span className={`status status-${m.status}`}>{m.status}</span></td><td className="num">{m.n}</td></tr>)}</tbody></table>
              ) : (
                <Empty>No markets yet.</Empty>
              )}
              <p><Link to="/markets">All markets →</Link></p>
            </Card>
          </div>
        </div>
      )}
    </Loaded>
  );
}
