import { RevenueChart } from '../charts.tsx';
import type { RevenuePoint, RevenueTotal } from '../api.ts';
import { FlowMap, type FlowMapData } from '../map.tsx';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, fmtUsd, Loaded, useApi } from '../ui.tsx';

interface Overview {
  counts: Record<string, number>;
  revenue: RevenuePoint[];
  revenueTotal: RevenueTotal;
  marketStatus: { status: string; n: number }[];
  alerts: { id: number; kind: string; observed_at: string; detail: string; market: string; market_id: number }[];
}

export function Dashboard() {
  const [load] = useApi<Overview>('/reports/overview?bucket=week&days=3650');
  const [flows] = useApi<FlowMapData>('/reports/shipping-flows?days=3650');
  return (
    <Loaded load={load}>
      {(o) => (
        <div className="page">
          <h1>Overview</h1>
          <div className="stats">
            {(['markets', 'vendors', 'listings', 'feedback', 'identities', 'proposed_links'] as const).map((k) => (
              <div className="stat" key={k}>
                <div className="value" data-figure={k}>{(o.counts[k] ?? 0).toLocaleString('en')}</div>
                <div className="label">{k.replace('_', ' ')}</div>
              </div>
            ))}
            <div className="stat">
              <div className="value" data-figure="revenue">{fmtUsd(o.revenueTotal.usd)}</div>
              <div className="label">est. revenue</div>
            </div>
          </div>
          <div className="grid2">
            <Card title="Revenue over time (estimated from feedback)">{o.revenue.length ? <RevenueChart points={o.revenue} /> : <Empty>No feedback with prices yet.</Empty>}</Card>
            <Card title="Alerts">
              {o.alerts.length ? (
                <ul className="alerts">
                  {o.alerts.map((a) => (
                    <li key={a.id} className={`alert-${a.kind}`}>
                      <span className="badge">{a.kind.replace('_', ' ')}</span> <Link to={`/markets/${a.market_id}`}>{a.market ?? '?'}</Link> <span className="muted">{fmtDate(a.observed_at)}</span>
                      {a.detail && <div className="muted small">{a.detail}</div>}
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty>No market events.</Empty>
              )}
            </Card>
          </div>
          <Card title="Shipping flows (ships-from → ships-to)" className="flows-card">
            <Loaded load={flows}>{(f) => <FlowMap data={f} />}</Loaded>
          </Card>
          <div className="grid2">
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
