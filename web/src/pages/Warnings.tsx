import { useState } from 'react';
import { client, data, useCall } from '../client.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, Loaded, Tlp } from '../ui.tsx';

interface Signal { substance: string; substanceClass: string | null; recent: number; before: number; firstSeen: string; reason: 'new' | 'growing'; priority: 'high' | 'normal' }
interface ListingRow { id: number; title: string; substance: string | null; market: string; vendor_id: number | null; vendor: string | null; tlp: string; last_seen: string | null }

/** New substances and fast-growing ones (opioids — fentanyl and nitazene analogues — first), with their listings. */
export function Warnings() {
  const [windowDays, setWindowDays] = useState(30);
  const [load] = useCall(() => data<{ items: Signal[] }>(client.GET('/api/reports/warnings', { params: { query: { windowDays } } })), String(windowDays));
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div className="page">
      <h1>Early warning</h1>
      <p className="muted">
        Substances whose listings first appear in the last {windowDays} days, or that grew at least twofold over the {windowDays} days before; opioids
        (fentanyl analogues, nitazenes) are listed first.{' '}
        <label className="small">Window <select aria-label="window" value={windowDays} onChange={(e) => setWindowDays(Number(e.target.value))}>{[7, 30, 90, 180, 365].map((d) => <option key={d} value={d}>{d} days</option>)}</select></label>
      </p>
      <Loaded load={load}>
        {(d) => d.items.length ? (
          <Card>
            <table className="warnings">
              <thead><tr><th>substance</th><th>class</th><th>signal</th><th className="num">recent</th><th className="num">before</th><th>first seen</th><th /></tr></thead>
              <tbody>
                {d.items.map((w) => (
                  <Row key={w.substance} w={w} open={open === w.substance} toggle={() => setOpen(open === w.substance ? null : w.substance)} />
                ))}
              </tbody>
            </table>
          </Card>
        ) : <Empty>No new or fast-growing substance in this window.</Empty>}
      </Loaded>
    </div>
  );
}

function Row(props: { w: Signal; open: boolean; toggle: () => void }) {
  const w = props.w;
  return (
    <>
      <tr className={`warning priority-${w.priority}`} data-substance={w.substance}>
        <td><b>{w.substance}</b> {w.priority === 'high' && <span className="status status-seized">high priority</span>}</td>
        <td>{w.substanceClass ?? '—'}</td>
        <td>{w.reason === 'new' ? 'new' : `growing ×${(w.recent / Math.max(1, w.before)).toFixed(1)}`}</td>
        <td className="num">{w.recent}</td><td className="num">{w.before}</td><td className="small">{fmtDate(w.firstSeen)}</td>
        <td><button className="small secondary" aria-expanded={props.open} onClick={props.toggle}>{props.open ? 'Hide listings' : 'Listings'}</button></td>
      </tr>
      {props.open && <tr><td colSpan={7}><Listings substance={w.substance} /></td></tr>}
    </>
  );
}

function Listings(props: { substance: string }) {
  const [load] = useCall(() => data<{ items: ListingRow[] }>(client.GET('/api/listings', { params: { query: { substance: props.substance, limit: 50 } } })), props.substance);
  return (
    <Loaded load={load}>
      {(d) => d.items.length ? (
        <ul className="warning-listings">
          {d.items.map((l) => (
            <li key={l.id}>
              <span className="listing-title">{l.title}</span> <span className="muted">@{l.market}</span> {l.vendor_id && l.vendor ? <Link to={`/vendors/${l.vendor_id}`}>{l.vendor}</Link> : null} <span className="small muted">last seen {fmtDate(l.last_seen)}</span> <Tlp tlp={l.tlp} />
            </li>
          ))}
        </ul>
      ) : <Empty>No listing visible to you.</Empty>}
    </Loaded>
  );
}
