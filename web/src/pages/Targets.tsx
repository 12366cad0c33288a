import { Link } from '../router.tsx';
import { Card, Empty, Loaded, useApi } from '../ui.tsx';

type FactorName = 'revenue' | 'harm' | 'reach' | 'persistence' | 'identifiability';
interface Factor { raw: number; normalised: number; weight: number; contribution: number; explanation: string }
interface Target { rank: number; kind: 'identity' | 'vendor'; id: number; key: string; label: string; accounts: number; score: number; factors: Record<FactorName, Factor> }

const ORDER: FactorName[] = ['revenue', 'harm', 'reach', 'persistence', 'identifiability'];

export function Targets() {
  const [load] = useApi<{ items: Target[] }>('/reports/targets?limit=25');
  return (
    <div className="page">
      <h1>Top targets</h1>
      <p className="muted">Score = Σ weight × factor, each factor normalised across the ranked population (src/analyse ranking, over the rows your agency may see). Every factor is explained.</p>
      <Loaded load={load}>
        {(d) => d.items.length ? (
          <Card>
            <table className="targets">
              <thead><tr><th>#</th><th>target</th><th className="num">score</th><th>why</th></tr></thead>
              <tbody>
                {d.items.map((t) => (
                  <tr key={t.key}>
                    <td>{t.rank}</td>
                    <td><Link to={t.kind === 'identity' ? `/identities/${t.id}` : `/vendors/${t.id}`}>{t.label}</Link> <span className="muted small">{t.kind}, {t.accounts} account(s)</span></td>
                    <td className="num">{t.score.toFixed(3)}</td>
                    <td>
                      {ORDER.map((name) => {
                        const f = t.factors[name];
                        return (
                          <div className="factor" key={name} title={`weight ${f.weight.toFixed(2)} × ${f.normalised.toFixed(2)} = ${f.contribution.toFixed(3)}`}>
                            <span className="fname">{name}</span>
                            <span className="fbar"><span style={{ width: `${Math.round(f.normalised * 100)}%` }} /></span>
                            <span className="small">{f.explanation}</span>
                          </div>
                        );
                      })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        ) : <Empty>No candidates yet: the ranking needs feedback with prices.</Empty>}
      </Loaded>
    </div>
  );
}
