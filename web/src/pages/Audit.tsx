import type { Page } from '../api.ts';
import { Card, Empty, Loaded, useApi } from '../ui.tsx';

export function Audit() {
  const [load] = useApi<Page<{ id: number; at: string; actor: string; action: string; object_type: string; object_id: string; hash: string }>>('/audit?limit=200');
  const [verify] = useApi<{ ok: boolean; entries: number }>('/audit/verify');
  return (
    <div className="page">
      <h1>Audit log</h1>
      <Loaded load={verify}>{(v) => <p className={v.ok ? 'ok' : 'state error'}>{v.ok ? `Hash chain intact over ${v.entries} entries.` : 'Hash chain BROKEN — the log was altered.'}</p>}</Loaded>
      <Loaded load={load}>
        {(p) => p.items.length ? (
          <Card><table><thead><tr><th>when</th><th>who</th><th>action</th><th>object</th><th>hash</th></tr></thead>
            <tbody>{p.items.map((e) => <tr key={e.id}><td className="small">{new Date(e.at).toISOString().replace('T', ' ').slice(0, 19)}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.object_type} {e.object_id}</td><td className="mono small">{e.hash.slice(0, 12)}</td></tr>)}</tbody></table></Card>
        ) : <Empty>No entries.</Empty>}
      </Loaded>
    </div>
  );
}
