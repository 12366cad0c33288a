import { useCallback, useState } from 'react';
import { LinkGraph, type GraphData } from '../graph.tsx';
import { go } from '../router.tsx';
import { Empty, Loaded, useApi } from '../ui.tsx';

export function Graph() {
  const [minScore, setMinScore] = useState(0.5);
  const [load] = useApi<GraphData>(`/graph?limit=5000&minScore=${minScore}`);
  const open = useCallback((id: number) => go(`/vendors/${id}`), []);
  return (
    <div className="page">
      <h1>Link graph</h1>
      <label className="inline">
        minimum score {minScore.toFixed(2)}
        <input type="range" min={0} max={1} step={0.05} value={minScore} onChange={(e) => setMinScore(Number(e.target.value))} />
      </label>
      <Loaded load={load}>
        {(g) => g.edges.length ? (
          <>
            <p className="muted small">{g.nodes.length} accounts, {g.edges.length} links (green: confirmed). Click an account to open it.</p>
            <LinkGraph data={g} onOpen={open} />
          </>
        ) : <Empty>No links at this score.</Empty>}
      </Loaded>
    </div>
  );
}
