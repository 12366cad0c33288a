import { client, data, useCall } from '../client.ts';
import type { Page } from '../api.ts';
import { Card, Empty, fmtDate, Loaded, Tlp } from '../ui.tsx';

interface FeedAnswer { feed: string; name: string; description: string; tlp: string; entries: { kind: string; value: string; label?: string; country?: string; firstSeen?: string }[] }
interface Token { id: number; name: string; role: string; scopes: string[]; created_at: string; expires_at: string | null; revoked_at: string | null; last_used: string | null }
interface Entry { id: number; at: string; actor: string; action: string; object_id: string | null; detail: { format?: string; entries?: number; tlp?: string } | null }

/** Partner feeds: the partners (tokens) that read them, what each feed publishes now, and every access. */
export function Feeds() {
  const [tokens] = useCall(() => data<{ items: Token[] }>(client.GET('/api/tokens')), 'tokens');
  const [postal] = useCall(() => data<FeedAnswer>(client.GET('/api/feed/postal', { params: { query: { days: 365, format: 'json' } } })), 'postal');
  const [financial] = useCall(() => data<FeedAnswer>(client.GET('/api/feed/financial', { params: { query: { targets: 25, format: 'json' } } })), 'financial');
  const [log] = useCall(() => data<Page<Entry>>(client.GET('/api/audit', { params: { query: { action: 'feed.', limit: 100, offset: 0 } } })), 'log');
  return (
    <div className="page">
      <h1>Partner feeds</h1>
      <p className="muted">Postal operators and financial institutions read these feeds with a partner API token (scope feed). They carry only CLEAR/GREEN rows; every read is audited. Issue or revoke tokens under Administration.</p>
      <Card title="Partners">
        <Loaded load={tokens}>
          {(t) => {
            const partners = t.items.filter((x) => x.role === 'partner' || x.scopes.includes('feed'));
            return partners.length ? (
              <table className="partners"><thead><tr><th>partner token</th><th>scopes</th><th>created</th><th>expires</th><th>last used</th><th>state</th></tr></thead>
                <tbody>{partners.map((x) => <tr key={x.id}><td>{x.name}</td><td className="small">{x.scopes.join(', ')}</td><td className="small">{fmtDate(x.created_at)}</td><td className="small">{fmtDate(x.expires_at)}</td><td className="small">{fmtDate(x.last_used)}</td><td>{x.revoked_at ? <span className="status status-closed">revoked</span> : <span className="status status-up">active</span>}</td></tr>)}</tbody></table>
            ) : <Empty>No partner has a token yet.</Empty>;
          }}
        </Loaded>
      </Card>
      <div className="grid2">
        <FeedCard title="Postal feed (last 365 days)" load={postal} />
        <FeedCard title="Financial feed (top 25 targets)" load={financial} />
      </div>
      <Card title="Access log">
        <Loaded load={log}>
          {(p) => p.items.length ? (
            <table className="feed-log"><thead><tr><th>when</th><th>who</th><th>feed</th><th>format</th><th className="num">entries</th><th>marking</th></tr></thead>
              <tbody>{p.items.map((e) => <tr key={e.id}><td className="small">{new Date(e.at).toISOString().replace('T', ' ').slice(0, 19)}</td><td>{e.actor}</td><td>{e.object_id}</td><td>{e.detail?.format ?? ''}</td><td className="num">{e.detail?.entries ?? ''}</td><td>{e.detail?.tlp ? <Tlp tlp={e.detail.tlp} /> : null}</td></tr>)}</tbody></table>
          ) : <Empty>No feed has been read yet.</Empty>}
        </Loaded>
      </Card>
    </div>
  );
}

function FeedCard(props: { title: string; load: Parameters<typeof Loaded<FeedAnswer>>[0]['load'] }) {
  return (
    <Card title={props.title}>
      <Loaded load={props.load}>
        {(f) => (
          <div className="feed" data-feed={f.feed}>
            <p className="small">{f.description} <Tlp tlp={f.tlp} /> · <b className="feed-count">{f.entries.length}</b> entries</p>
            {f.entries.length ? (
              <table><thead><tr><th>kind</th><th>value</th><th>country</th><th>first seen</th></tr></thead>
                <tbody>{f.entries.slice(0, 15).map((e, i) => <tr key={i}><td className="small">{e.kind}</td><td className="mono small wrap">{e.value}</td><td>{e.country ?? ''}</td><td className="small">{fmtDate(e.firstSeen)}</td></tr>)}</tbody></table>
            ) : <Empty>Nothing published now.</Empty>}
          </div>
        )}
      </Loaded>
    </Card>
  );
}
