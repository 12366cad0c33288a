import { useState } from 'react';
import { client, data, errorText, useCall } from '../client.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, Loaded, Tlp } from '../ui.tsx';
import { portableBlindingClient } from '../../../src/deconflict/blinded/client.ts';

interface CaseRow { id: number; reference: string; title: string; contact_point: string; tlp: string; created_at: string; closed_at: string | null }
interface Notice {
  hitId: number;
  via: 'selector' | 'identity';
  yourCase: { id: number; reference: string };
  yourSelector: { kind: string; value: string };
  other: { agencyCode: string; agencyName: string; contactPoint: string };
  createdAt: string;
  acknowledgedAt: string | null;
}
interface BlindedNotice { hitId: number; tokenId: string; yourCaseRef: string; otherAgency: string; otherContact: string; createdAt: string; acknowledgedAt: string | null }
interface Budget { capacity: number; available: number; refillPerSecond: number }

export const SELECTOR_KINDS = ['vendor_handle', 'pgp_key', 'btc_address', 'xmr_address', 'ltc_address', 'eth_address', 'onion', 'email', 'phone', 'telegram', 'wickr', 'session', 'signal', 'threema', 'jabber', 'postal_address'] as const;
/** The opaque handle a console case registers its blinded tokens under (the matcher never learns the case). */
export const blindedCaseRef = (caseId: number): string => `case-${caseId}`;
const caseIdOfRef = (ref: string): number | null => (/^case-(\d+)$/.test(ref) ? Number(ref.slice(5)) : null);

/**
 * Blinded registration in the browser: each value is normalised and blinded here (RFC 9497 OPRF, the same
 * `selectorOprfInput` as the server and CLI); only the blinded elements go to the evaluator, and only the
 * finished tokens to the matcher. The clear value never leaves the browser.
 */
async function registerBlinded(caseId: number, contact: string, kind: (typeof SELECTOR_KINDS)[number], values: string[]): Promise<{ registered: number; notices: BlindedNotice[] }> {
  const prepared = values.map((v) => portableBlindingClient.prepare(kind, v));
  const ev = await data<{ evaluatedElements: string[] }>(client.POST('/api/deconflict/oprf/evaluate', { body: { blindedElements: prepared.map((p) => p.request.blindedElement) } }));
  if (ev.evaluatedElements.length !== prepared.length) throw new Error('the evaluator answered a different number of elements');
  const tokens = prepared.map((p, i) => portableBlindingClient.finish(p.state, ev.evaluatedElements[i] as string));
  return data<{ registered: number; notices: BlindedNotice[] }>(client.POST('/api/deconflict/blinded/tokens', { body: { caseRef: blindedCaseRef(caseId), contact, tokens } }));
}

const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;

/** Cases of the agency, a form to open one, its hit notices (with the other agency's contact point) and the budget. */
export function Cases() {
  const [cases, reloadCases] = useCall(() => data<{ items: CaseRow[] }>(client.GET('/api/deconflict/cases', { params: { query: { limit: 200 } } })), 'cases');
  const [budget] = useCall(() => data<Budget>(client.GET('/api/deconflict/budget')), 'budget');
  return (
    <div className="page">
      <h1>Cases and de-confliction</h1>
      <p className="muted">Register a case's selectors: when another agency holds the same selector — registered in its case, or seen by its case's crawl — both sides get a notice naming the other's contact point — never its case.</p>
      <Notices />
      <div className="grid2">
        <Card title="Your cases">
          <Loaded load={cases}>
            {(d) => d.items.length ? (
              <table className="cases">
                <thead><tr><th>reference</th><th>title</th><th>opened</th><th>state</th><th /></tr></thead>
                <tbody>
                  {d.items.map((c) => (
                    <tr key={c.id}>
                      <td><Link to={`/cases/${c.id}`}>{c.reference}</Link></td>
                      <td>{c.title}</td>
                      <td className="small">{fmtDate(c.created_at)}</td>
                      <td>{c.closed_at ? <span className="status status-closed">closed</span> : <span className="status status-up">open</span>}</td>
                      <td><Tlp tlp={c.tlp} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : <Empty>No cases yet. Open one to register its selectors.</Empty>}
          </Loaded>
        </Card>
        <div>
          <NewCase onCreated={reloadCases} />
          <Card title="Registration budget">
            <Loaded load={budget}>
              {(b) => (
                <p className="budget">
                  <b>{b.available.toLocaleString('en')}</b> of {b.capacity.toLocaleString('en')} selector registrations available now; {b.refillPerSecond} more each second. Every submitted selector costs one, new or not, so
                  no agency can test guesses faster.
                </p>
              )}
            </Loaded>
            <p className="muted small">Every case read, registration and acknowledgement is written to the audit log (supervisors: Audit log, filter by “case.” or “deconflict.”).</p>
          </Card>
        </div>
      </div>
    </div>
  );
}

function NewCase(props: { onCreated: () => void }) {
  const [f, setF] = useState({ reference: '', title: '', contactPoint: '', tlp: 'AMBER' as (typeof TLPS)[number] });
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await data(client.POST('/api/deconflict/cases', { body: f }));
      setF({ reference: '', title: '', contactPoint: '', tlp: 'AMBER' });
      props.onCreated();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Card title="Open a case">
      <form className="stack" onSubmit={submit}>
        <label>Reference<input value={f.reference} onChange={(e) => setF({ ...f, reference: e.target.value })} required /></label>
        <label>Title<input value={f.title} onChange={(e) => setF({ ...f, title: e.target.value })} required /></label>
        <label>Contact point (what other agencies are told on a hit)<input value={f.contactPoint} onChange={(e) => setF({ ...f, contactPoint: e.target.value })} required /></label>
        <label>TLP<select value={f.tlp} onChange={(e) => setF({ ...f, tlp: e.target.value as (typeof TLPS)[number] })}>{TLPS.map((t) => <option key={t}>{t}</option>)}</select></label>
        <button type="submit">Open case</button>
        {error && <div className="state error" role="alert">{error}</div>}
      </form>
    </Card>
  );
}

/** The agency's hit notices, clear and blinded; acknowledging records the agency's side only (audited; the other agency is not told). */
export function Notices(props: { caseId?: number; refreshKey?: number }) {
  const [load, reload] = useCall(() => data<{ items: Notice[] }>(client.GET('/api/deconflict/notices')), `notices-${props.refreshKey ?? 0}`);
  const [blinded, reloadBlinded] = useCall(() => data<{ items: BlindedNotice[] }>(client.GET('/api/deconflict/blinded/notices')), `blinded-notices-${props.refreshKey ?? 0}`);
  const [error, setError] = useState<string | null>(null);
  const ack = async (id: number) => {
    setError(null);
    try {
      await data(client.POST('/api/deconflict/notices/{id}/acknowledge', { params: { path: { id } }, body: {} }));
      reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const ackBlinded = async (id: number) => {
    setError(null);
    try {
      await data(client.POST('/api/deconflict/blinded/notices/{id}/acknowledge', { params: { path: { id } }, body: {} }));
      reloadBlinded();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Card title="Hit notices" className="notices">
      {error && <div className="state error" role="alert">{error}</div>}
      <Loaded load={load}>
        {(d) => {
          const items = props.caseId === undefined ? d.items : d.items.filter((n) => n.yourCase.id === props.caseId);
          return items.length ? (
            <table>
              <thead><tr><th>hit</th><th>your case</th><th>selector</th><th>other agency</th><th>contact point</th><th>when</th><th /></tr></thead>
              <tbody>
                {items.map((n) => (
                  <tr key={n.hitId} className="notice" data-hit-id={n.hitId}>
                    <td>#{n.hitId} <span className="muted small">via {n.via}</span></td>
                    <td><Link to={`/cases/${n.yourCase.id}`}>{n.yourCase.reference}</Link></td>
                    <td><span className="muted small">{n.yourSelector.kind}</span> <span className="mono">{n.yourSelector.value}</span></td>
                    <td>{n.other.agencyName} <span className="muted small">({n.other.agencyCode})</span></td>
                    <td className="contact">{n.other.contactPoint}</td>
                    <td className="small">{fmtDate(n.createdAt)}</td>
                    <td>{n.acknowledgedAt ? <span className="badge badge-confirmed">acknowledged</span> : <button className="small" onClick={() => ack(n.hitId)}>Acknowledge</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : <Empty>No hits: no other agency holds these selectors.</Empty>;
        }}
      </Loaded>
      <h3>Blinded-mode hits</h3>
      <Loaded load={blinded}>
        {(d) => {
          const items = props.caseId === undefined ? d.items : d.items.filter((n) => n.yourCaseRef === blindedCaseRef(props.caseId as number));
          return items.length ? (
            <table className="blinded-notices">
              <thead><tr><th>hit</th><th>your case</th><th>selector</th><th>other agency</th><th>contact point</th><th>when</th><th /></tr></thead>
              <tbody>
                {items.map((n) => {
                  const id = caseIdOfRef(n.yourCaseRef);
                  return (
                    <tr key={n.hitId} className="notice blinded-notice" data-blinded-hit-id={n.hitId}>
                      <td>#{n.hitId} <span className="muted small">via blinded</span></td>
                      <td>{id !== null ? <Link to={`/cases/${id}`}>{n.yourCaseRef}</Link> : <span className="mono">{n.yourCaseRef}</span>}</td>
                      <td><span className="muted small">token</span> <span className="mono" title="first 128 bits of the OPRF output; the server never held the selector">{n.tokenId.slice(0, 12)}…</span></td>
                      <td>{n.otherAgency}</td>
                      <td className="contact">{n.otherContact}</td>
                      <td className="small">{fmtDate(n.createdAt)}</td>
                      <td>{n.acknowledgedAt ? <span className="badge badge-confirmed" title={`acknowledged ${fmtDate(n.acknowledgedAt)}`}>acknowledged</span> : <button className="small" onClick={() => ackBlinded(n.hitId)}>Acknowledge</button>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : <Empty>No blinded-mode hits.</Empty>;
        }}
      </Loaded>
    </Card>
  );
}

/** One case: its selectors, a form to register more (one per line), and the notices they raised. */
export function CaseView(props: { id: number }) {
  const [load, reload] = useCall(() => data<{ case: CaseRow; selectors: { id: number; kind: string; value: string; registered_at: string }[] }>(client.GET('/api/deconflict/cases/{id}', { params: { path: { id: props.id } } })), String(props.id));
  const [kind, setKind] = useState<(typeof SELECTOR_KINDS)[number]>('vendor_handle');
  const [values, setValues] = useState('');
  const [mode, setMode] = useState<'clear' | 'blinded'>('clear');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const register = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const lines = values.split('\n').map((v) => v.trim()).filter(Boolean);
    const selectors = lines.map((value) => ({ kind, value }));
    try {
      if (mode === 'blinded') {
        const contact = load.state === 'ok' ? load.data.case.contact_point : '';
        const r = await registerBlinded(props.id, contact, kind, lines);
        setResult(`${lines.length} blinded in this browser, ${r.registered} new token(s) registered, ${r.notices.length} hit(s).`);
        setValues('');
        setN((x) => x + 1);
        return;
      }
      const r = await data<{ registered: number; notices: Notice[] }>(client.POST('/api/deconflict/cases/{id}/selectors', { params: { path: { id: props.id } }, body: { selectors } }));
      setResult(`${r.registered} registered, ${r.notices.length} hit(s).`);
      setValues('');
      reload();
      setN((x) => x + 1);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const close = async () => {
    try {
      await data(client.POST('/api/deconflict/cases/{id}/close', { params: { path: { id: props.id } }, body: {} }));
      reload();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div className="page">
      <Loaded load={load}>
        {(d) => (
          <>
            <h1>
              Case {d.case.reference} <Tlp tlp={d.case.tlp} /> {d.case.closed_at ? <span className="status status-closed">closed {fmtDate(d.case.closed_at)}</span> : <span className="status status-up">open</span>}
            </h1>
            <p>{d.case.title} <span className="muted">· contact point {d.case.contact_point} · opened {fmtDate(d.case.created_at)}</span> · <Link to={`/evidence/${d.case.id}`}>Evidence and court export</Link></p>
            <div className="grid2">
              <Card title={`Registered selectors (${d.selectors.length})`}>
                {d.selectors.length ? (
                  <table><thead><tr><th>kind</th><th>value</th><th>registered</th></tr></thead>
                    <tbody>{d.selectors.map((s) => <tr key={s.id}><td>{s.kind}</td><td className="mono wrap">{s.value}</td><td className="small">{fmtDate(s.registered_at)}</td></tr>)}</tbody></table>
                ) : <Empty>No selectors registered.</Empty>}
              </Card>
              <Card title={`Register selectors (${mode} mode)`}>
                {d.case.closed_at ? <Empty>The case is closed: its selectors no longer produce hits.</Empty> : (
                  <form className="stack" onSubmit={register}>
                    <fieldset className="inline mode-switch">
                      <legend>Mode</legend>
                      <label><input type="radio" name="mode" value="clear" checked={mode === 'clear'} onChange={() => setMode('clear')} /> Clear</label>
                      <label><input type="radio" name="mode" value="blinded" checked={mode === 'blinded'} onChange={() => setMode('blinded')} /> Blinded</label>
                    </fieldset>
                    <p className="muted small">
                      {mode === 'clear'
                        ? 'Clear: the values are sent to the server and matched as they are (after normalisation).'
                        : 'Blinded (RFC 9497 OPRF): each value is normalised and blinded in this browser; the server sees only random-looking blinded elements and the finished tokens — never the value. Hits match other agencies’ blinded registrations and name only their contact point.'}
                    </p>
                    <label>Kind<select value={kind} onChange={(e) => setKind(e.target.value as (typeof SELECTOR_KINDS)[number])}>{SELECTOR_KINDS.map((k) => <option key={k}>{k}</option>)}</select></label>
                    <label>Values, one per line<textarea rows={4} value={values} onChange={(e) => setValues(e.target.value)} /></label>
                    <div className="inline">
                      <button type="submit" disabled={!values.trim()}>Register</button>
                      <button type="button" className="secondary" onClick={close}>Close case</button>
                    </div>
                    {result && <div className="ok" role="status">{result}</div>}
                    {error && <div className="state error" role="alert">{error}</div>}
                  </form>
                )}
              </Card>
            </div>
            <Notices caseId={d.case.id} refreshKey={n} />
          </>
        )}
      </Loaded>
    </div>
  );
}
