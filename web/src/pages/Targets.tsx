import { Link } from '../router.tsx';
import { Card, Empty, Loaded, useApi } from '../ui.tsx';

interface Target { kind: 'identity' | 'vendor'; id: number; label: string; score: number; factors: { name: string; normalised: number; weight: number; explanation: string }[] }

export function Targets() {
  const [load] = useApi<{ items: Target[] }>('/reports/targets?limit=25');
  return (
    <div className="page">
      <h1>Top targets</h1>
      <p className="muted">Score = Σ weight × factor, each factor normalised against the strongest candidate. Every factor is explained.</p>
      <Loaded load={load}>
        {(d) => d.items.length ? (
          <Card>
            <table className="targets">
              <thead><tr><th>#</th><th>target</th><th className="num">score</th><th>why</th></tr></thead>
              <tbody>
                {d.items.map((t, i) => (
                  <tr key={`${t.kind}${t.id}`}>
                    <td>{i + 1}</td>
                    <td><Link to={t.kind === 'identity' ? `/identities/${t.id}` : `/vendors/${t.id}`}>{t.label}</Link> <span className="muted small">{t.kind}</span></td>
                    <td className="num">{t.score.toFixed(3)}</td>
                    <td>
                      {t.factors.map((f) => (
                        <div className="factor" key={f.name} title={`weight ${f.weight}`}>
                          <span className="fname">{f.name}</span>
                          <span className="fbar"><span style={{ width: `${Math.round(f.normalised * 100)}%` }} /></span>
                          <span className="small">{f.explanation}</span>
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        ) : <Empty>No candidates yet.</Empty>}
      </Loaded>
    </div>
  );
}
