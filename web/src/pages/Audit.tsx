import { useState } from 'react';
import { client, data, useCall } from '../client.ts';
import type { Page } from '../api.ts';
import { Card, Empty, Loaded } from '../ui.tsx';

interface Entry { id: number; at: string; actor: string; action: string; object_type: string | null; object_id: string | null; detail: unknown; hash: string }

/** The agency's audit log, filterable by action prefix and actor, with the hash chain checked. */
export function Audit() {
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [applied, setApplied] = useState({ action: '', actor: '' });
  const [load] = useCall(
    () => data<Page<Entry>>(client.GET('/api/audit', { params: { query: { limit: 200, offset: 0, ...(applied.action ? { action: applied.action } : {}), ...(applied.actor ? { actor: applied.actor } : {}) } } })),
    `${applied.action}|${applied.actor}`,
  );
  const [verify] = useCall(() => data<{ ok: boolean; entries: number }>(client.GET('/api/audit/verify')), 'verify');
  return (
    <div className="page">
      <h1>Audit log</h1>
      <Loaded load={verify}>{(v) => <p className={v.ok ? 'ok' : 'state error'}>{v.ok ? `Hash chain intact over ${v.entries} entries.` : 'Hash chain BROKEN — the log was altered.'}</p>}</Loaded>
      <form className="inline filters" onSubmit={(e) => { e.preventDefault(); setApplied({ action: action.trim(), actor: actor.trim() }); }}>
        <input aria-label="action starts with" placeholder="action starts with (e.g. case.)" value={action} onChange={(e) => setAction(e.target.value)} />
        <input aria-label="actor" placeholder="actor (e.g. user:anna)" value={actor} onChange={(e) => setActor(e.target.value)} />
        <button type="submit">Filter</button>
      </form>
      <Loaded load={load}>
        {(p) => p.items.length ? (
          <Card><table className="audit"><thead><tr><th>when</th><th>who</th><th>action</th><th>object</th><th>detail</th><th>hash</th></tr></thead>
            <tbody>{p.items.map((e) => (
              <tr key={e.id}>
                <td className="small">{new Date(e.at).toISOString().replace('T', ' ').slice(0, 19)}</td><td>{e.actor}</td><td className="action">{e.action}</td>
                <td>{e.object_type} {e.object_id}</td><td className="mono small wrap">{e.detail ? JSON.stringify(e.detail).slice(0, 160) : ''}</td><td className="mono small">{e.hash.slice(0, 12)}</td>
              </tr>
            ))}</tbody></table></Card>
        ) : <Empty>No entries match.</Empty>}
      </Loaded>
    </div>
  );
}
