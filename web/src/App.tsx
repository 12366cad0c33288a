import { useEffect, useState } from 'react';
import { api, ApiFailure, type Me } from './api.ts';
import { go, Link, useRoute } from './router.tsx';
import { Adapters } from './pages/Adapters.tsx';
import { Admin } from './pages/Admin.tsx';
import { Audit } from './pages/Audit.tsx';
import { Cases, CaseView } from './pages/Cases.tsx';
import { CaseEvidence, EvidenceCases } from './pages/CaseEvidence.tsx';
import { Collection } from './pages/Collection.tsx';
import { Exchange } from './pages/Exchange.tsx';
import { Feeds } from './pages/Feeds.tsx';
import { Warnings } from './pages/Warnings.tsx';
import { Captchas } from './pages/Captchas.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Evidence } from './pages/Evidence.tsx';
import { Graph } from './pages/Graph.tsx';
import { Identities, Identity } from './pages/Identity.tsx';
import { Login } from './pages/Login.tsx';
import { Market, Markets } from './pages/Markets.tsx';
import { Money } from './pages/Money.tsx';
import { Search } from './pages/Search.tsx';
import { Targets } from './pages/Targets.tsx';
import { Vendor } from './pages/Vendor.tsx';
import { Empty } from './ui.tsx';

/** Cases, de-confliction and exchange: the roles of ACCESS.deconflict / ACCESS.exchange on the server. */
const DECONFLICT: Me['role'][] = ['investigator', 'supervisor', 'admin'];

const NAV: { to: string; label: string; key: string; roles?: Me['role'][] }[] = [
  { to: '/', label: 'Overview', key: 'o' },
  { to: '/markets', label: 'Markets', key: 'm' },
  { to: '/search', label: 'Search', key: 's' },
  { to: '/identities', label: 'Identities', key: 'i' },
  { to: '/graph', label: 'Link graph', key: 'g' },
  { to: '/targets', label: 'Top targets', key: 't' },
  { to: '/warnings', label: 'Early warning', key: 'w' },
  { to: '/collection', label: 'Collection', key: 'l' },
  { to: '/captchas', label: 'CAPTCHA queue', key: 'c', roles: ['analyst', 'supervisor', 'admin'] },
  { to: '/adapters', label: 'Adapter induction', key: 'u', roles: ['analyst', 'supervisor', 'admin'] },
  { to: '/cases', label: 'Cases', key: 'k', roles: DECONFLICT },
  { to: '/evidence', label: 'Evidence', key: 'e', roles: DECONFLICT },
  { to: '/exchange', label: 'Exchange', key: 'x', roles: DECONFLICT },
  { to: '/feeds', label: 'Partner feeds', key: 'f', roles: ['admin'] },
  { to: '/audit', label: 'Audit log', key: 'a', roles: ['supervisor', 'admin'] },
  { to: '/admin', label: 'Administration', key: 'd', roles: ['admin'] },
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    api<{ user: Me }>('/auth/me').then(
      (r) => setMe(r.user),
      (e: unknown) => setMe(e instanceof ApiFailure && e.status === 401 ? null : null),
    );
  }, []);
  // Keyboard: '/' focuses search, 'g' then a letter jumps to a section.
  useEffect(() => {
    let pendingG = false;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '/') {
        e.preventDefault();
        go('/search');
        return;
      }
      if (pendingG) {
        pendingG = false;
        const n = NAV.find((x) => x.key === e.key);
        if (n) go(n.to);
        return;
      }
      if (e.key === 'g') pendingG = true;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (me === undefined) return <div className="state loading">Loading…</div>;
  if (me === null) return <Login onLogin={(u) => { setMe(u); go('/'); }} />;
  if (me.role === 'partner') return <div className="state empty">Partner accounts use the feed API (/api/feed/…), not the console.</div>;

  const logout = async () => {
    await api('/auth/logout', { method: 'POST', body: {} }).catch(() => undefined);
    setMe(null);
  };
  const [section, id] = route;
  const current = `/${section ?? ''}`;
  return (
    <div className="shell">
      <nav className="side" aria-label="main">
        <div className="brand">DarkPatrol</div>
        <ul>
          {NAV.filter((n) => !n.roles || n.roles.includes(me.role)).map((n) => (
            <li key={n.to}>
              <Link to={n.to} className={current === n.to ? 'active' : ''} title={`g ${n.key}`}>{n.label}</Link>
            </li>
          ))}
        </ul>
        <div className="whoami">
          <div>{me.username}</div>
          <div className="muted small">{me.role} · {me.agencyCode}</div>
          <button className="secondary small" onClick={logout}>Log out</button>
          <div className="muted small keys">/ search · g+letter jump</div>
        </div>
      </nav>
      <main>{page(section, id, me)}</main>
    </div>
  );
}

function page(section: string | undefined, id: string | undefined, me: Me) {
  switch (section) {
    case undefined: return <Dashboard />;
    case 'markets': return id ? <Market key={id} id={id} /> : <Markets />;
    case 'vendors': return id ? <Vendor key={id} id={id} /> : <Search />;
    case 'identities': return id ? <Identity key={id} id={id} /> : <Identities />;
    case 'money': return id ? <Money key={id} id={id} /> : <Empty>Open the money view from an identity.</Empty>;
    case 'search': return <Search />;
    case 'graph': return <Graph />;
    case 'targets': return <Targets />;
    case 'captchas': return <Captchas />;
    case 'captures': return id ? <Evidence key={id} id={id} /> : <Empty>Open a capture from a vendor profile.</Empty>;
    case 'audit': return <Audit />;
    case 'warnings': return <Warnings />;
    case 'collection': return <Collection canStart={me.role !== 'investigator'} />;
    case 'cases': return id ? <CaseView key={id} id={Number(id)} /> : <Cases />;
    case 'evidence': return id ? <CaseEvidence key={id} id={Number(id)} /> : <EvidenceCases />;
    case 'exchange': return <Exchange me={me} />;
    case 'feeds': return <Feeds />;
    case 'admin': return <Admin />;
    case 'adapters': return <Adapters />;
    default: return <Empty>No such page.</Empty>;
  }
}
