import { useState } from 'react';
import { client, data, errorText, useCall } from '../client.ts';
import { Card, Empty, fmtDate, Loaded } from '../ui.tsx';

const ROLES = ['analyst', 'investigator', 'supervisor', 'partner', 'admin'] as const;
const SCOPES = ['intel:read', 'intel:write', 'captcha', 'feed', 'audit', 'admin', 'self', 'deconflict', 'exchange', 'taxii'] as const;
type Role = (typeof ROLES)[number];
type Scope = (typeof SCOPES)[number];

interface Agency { id: number; code: string; name: string; country: string; contact_point: string }
interface User { id: number; username: string; display_name: string | null; role: Role; disabled: boolean; created_at: string; login_delayed_until: string | null }
interface Token { id: number; name: string; role: Role; scopes: Scope[]; created_at: string; expires_at: string | null; revoked_at: string | null; last_used: string | null }

/** Agencies, the agency's users (role, disable, lift login delays), API tokens; the audit log has its own page. */
export function Admin() {
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>, after: () => void) => {
    setError(null);
    try {
      await fn();
      after();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div className="page">
      <h1>Administration</h1>
      {error && <div className="state error" role="alert">{error}</div>}
      <Users act={act} />
      <Tokens act={act} />
      <Agencies act={act} />
      <p className="muted">The audit log with filters is under <a href="#/audit">Audit log</a>.</p>
    </div>
  );
}

type Act = (fn: () => Promise<unknown>, after: () => void) => Promise<void>;

function Users(props: { act: Act }) {
  const [load, reload] = useCall(() => data<{ items: User[] }>(client.GET('/api/users')), 'users');
  const [f, setF] = useState({ username: '', role: 'analyst' as Role, password: '', displayName: '' });
  const patch = (id: number, body: { unlock?: boolean; disabled?: boolean; role?: Role }) => props.act(() => data(client.PATCH('/api/users/{id}', { params: { path: { id } }, body })), reload);
  return (
    <Card title="Users">
      <Loaded load={load}>
        {(d) => d.items.length ? (
          <table className="users">
            <thead><tr><th>user</th><th>role</th><th>state</th><th>since</th><th /></tr></thead>
            <tbody>
              {d.items.map((u) => (
                <tr key={u.id} data-user={u.username}>
                  <td>{u.username} <span className="muted small">{u.display_name ?? ''}</span></td>
                  <td>
                    <select aria-label={`role of ${u.username}`} value={u.role} onChange={(e) => patch(u.id, { role: e.target.value as Role })}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
                  </td>
                  <td>
                    {u.disabled ? <span className="status status-closed">disabled</span> : <span className="status status-up">enabled</span>}{' '}
                    {u.login_delayed_until && <span className="status status-exit_scam" title="failed logins: each try waits">login delayed until {new Date(u.login_delayed_until).toISOString().slice(11, 19)}</span>}
                  </td>
                  <td className="small">{fmtDate(u.created_at)}</td>
                  <td>
                    <button className="small secondary" onClick={() => patch(u.id, { disabled: !u.disabled })}>{u.disabled ? 'Enable' : 'Disable'}</button>{' '}
                    {u.login_delayed_until && <button className="small secondary" onClick={() => patch(u.id, { unlock: true })}>Lift delay</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <Empty>No users.</Empty>}
      </Loaded>
      <form className="inline" onSubmit={(e) => { e.preventDefault(); void props.act(() => data(client.POST('/api/users', { body: { ...f, displayName: f.displayName || undefined } })), () => { setF({ username: '', role: 'analyst', password: '', displayName: '' }); reload(); }); }}>
        <input aria-label="new username" placeholder="username" value={f.username} onChange={(e) => setF({ ...f, username: e.target.value })} required />
        <input aria-label="display name" placeholder="display name" value={f.displayName} onChange={(e) => setF({ ...f, displayName: e.target.value })} />
        <select aria-label="new user role" value={f.role} onChange={(e) => setF({ ...f, role: e.target.value as Role })}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        <input aria-label="initial password" placeholder="initial password (≥ 10)" type="password" value={f.password} onChange={(e) => setF({ ...f, password: e.target.value })} required />
        <button type="submit">Add user</button>
      </form>
    </Card>
  );
}

function Tokens(props: { act: Act }) {
  const [load, reload] = useCall(() => data<{ items: Token[] }>(client.GET('/api/tokens')), 'tokens');
  const [f, setF] = useState({ name: '', role: 'partner' as Role, scopes: ['feed'] as Scope[], expiresInDays: 90 });
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Card title="API tokens">
      {secret && <div className="state ok secret" role="status">New token (shown once, copy it now): <span className="mono wrap">{secret}</span></div>}
      <Loaded load={load}>
        {(d) => d.items.length ? (
          <table className="tokens">
            <thead><tr><th>name</th><th>role</th><th>scopes</th><th>created</th><th>expires</th><th>last used</th><th /></tr></thead>
            <tbody>
              {d.items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td><td>{t.role}</td><td className="small">{t.scopes.join(', ')}</td><td className="small">{fmtDate(t.created_at)}</td>
                  <td className="small">{fmtDate(t.expires_at)}</td><td className="small">{fmtDate(t.last_used)}</td>
                  <td>{t.revoked_at ? <span className="status status-closed">revoked</span> : <button className="small secondary" onClick={() => props.act(() => data(client.DELETE('/api/tokens/{id}', { params: { path: { id: t.id } }, body: {} })), reload)}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <Empty>No API tokens.</Empty>}
      </Loaded>
      <form className="inline" onSubmit={(e) => { e.preventDefault(); void props.act(async () => setSecret((await data<{ token: string }>(client.POST('/api/tokens', { body: f }))).token), reload); }}>
        <input aria-label="token name" placeholder="token name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required />
        <select aria-label="token role" value={f.role} onChange={(e) => setF({ ...f, role: e.target.value as Role })}>{ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        <span className="scopes">
          {SCOPES.map((s) => (
            <label key={s} className="small"><input type="checkbox" checked={f.scopes.includes(s)} onChange={(e) => setF({ ...f, scopes: e.target.checked ? [...f.scopes, s] : f.scopes.filter((x) => x !== s) })} />{s}</label>
          ))}
        </span>
        <input aria-label="expires in days" type="number" min={1} max={3650} value={f.expiresInDays} onChange={(e) => setF({ ...f, expiresInDays: Number(e.target.value) })} />
        <button type="submit" disabled={!f.scopes.length}>Issue token</button>
      </form>
    </Card>
  );
}

function Agencies(props: { act: Act }) {
  const [load, reload] = useCall(() => data<{ items: Agency[] }>(client.GET('/api/agencies')), 'agencies');
  const [f, setF] = useState({ code: '', name: '', country: '', contactPoint: '' });
  return (
    <Card title="Agencies">
      <Loaded load={load}>
        {(d) => d.items.length ? (
          <table><thead><tr><th>code</th><th>name</th><th>country</th><th>contact point</th></tr></thead>
            <tbody>{d.items.map((a) => <tr key={a.id}><td className="mono">{a.code}</td><td>{a.name}</td><td>{a.country}</td><td>{a.contact_point}</td></tr>)}</tbody></table>
        ) : <Empty>No agencies.</Empty>}
      </Loaded>
      <form className="inline" onSubmit={(e) => { e.preventDefault(); void props.act(() => data(client.POST('/api/agencies', { body: f })), () => { setF({ code: '', name: '', country: '', contactPoint: '' }); reload(); }); }}>
        <input aria-label="agency code" placeholder="CODE" value={f.code} onChange={(e) => setF({ ...f, code: e.target.value.toUpperCase() })} required />
        <input aria-label="agency name" placeholder="name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} required />
        <input aria-label="country" placeholder="CC" maxLength={2} value={f.country} onChange={(e) => setF({ ...f, country: e.target.value.toUpperCase() })} required />
        <input aria-label="agency contact point" placeholder="contact point" value={f.contactPoint} onChange={(e) => setF({ ...f, contactPoint: e.target.value })} />
        <button type="submit">Register agency</button>
      </form>
    </Card>
  );
}
