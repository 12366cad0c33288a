import { useRef, useState } from 'react';
import { client, data, errorText, useCall } from '../client.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, Loaded, Tlp } from '../ui.tsx';

interface Entry { id: number; at: string; recordType: string; recordId: string; warcFile: string; warcOffset: number; warcLength: number; blockSha256: string; prevHash: string; hash: string; sealed: boolean }
interface Capture {
  id: number; kind: string; url: string; fetchedAt: string; httpStatus: number | null; contentType: string | null; payloadSha256: string; payloadSize: number;
  jobId: string | null; account: string | null; tlp: string; via: 'attached' | 'crawl'; attachedAt: string | null; attachedBy: string | null;
  entries: Entry[]; verification: 'verified' | 'failed' | 'unverified';
}
interface Problem { kind: string; severity: string; captureId?: number; entryId?: number; detail: string }
interface Verification { ok: boolean; chainOk: boolean; at: string; by: string; chainHead: string; entries: number; records: number; problems: Problem[] }
interface CaseEvidenceData {
  case: { id: number; reference: string; title: string; tlp: string; closedAt: string | null };
  total: number; offset: number; nextOffset: number | null;
  captures: Capture[];
  verification: Verification | null;
  steps: { at: string; actor: string; action: string; detail: string }[];
}
interface CaseRow { id: number; reference: string; title: string; tlp: string; created_at: string; closed_at: string | null }

const PAGE = 50;
const when = (iso: string) => iso.replace('T', ' ').slice(0, 19);

/** Cases of the agency, to open one's evidence. */
export function EvidenceCases() {
  const [cases] = useCall(() => data<{ items: CaseRow[] }>(client.GET('/api/deconflict/cases', { params: { query: { limit: 200 } } })), 'evidence-cases');
  return (
    <div className="page">
      <h1>Evidence and court export</h1>
      <p className="muted">Per case: the captures with their chain of custody, verification against the hash-chained evidence log, a printable custody report and the court bundle.</p>
      <Card title="Your cases">
        <Loaded load={cases}>
          {(d) => d.items.length ? (
            <table className="cases">
              <thead><tr><th>reference</th><th>title</th><th>opened</th><th /></tr></thead>
              <tbody>{d.items.map((c) => <tr key={c.id}><td><Link to={`/evidence/${c.id}`}>{c.reference}</Link></td><td>{c.title}</td><td className="small">{fmtDate(c.created_at)}</td><td><Tlp tlp={c.tlp} /></td></tr>)}</tbody>
            </table>
          ) : <Empty>No cases yet. Open one under Cases, then attach its captures here.</Empty>}
        </Loaded>
      </Card>
    </div>
  );
}

/** One case's evidence: captures and custody, verify, report, export. */
export function CaseEvidence(props: { id: number }) {
  const [offset, setOffset] = useState(0);
  const [load, reload] = useCall(() => data<CaseEvidenceData>(client.GET('/api/cases/{id}/evidence', { params: { path: { id: props.id }, query: { limit: PAGE, offset } } })), `${props.id}-${offset}`);
  // While reloading after a step, keep showing the last answer (the forms and their messages stay).
  const last = useRef<{ key: string; load: typeof load } | null>(null);
  const key = `${props.id}-${offset}`;
  if (load.state !== 'loading') last.current = { key, load };
  const shown = load.state === 'loading' && last.current?.key === key ? last.current.load : load;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [exported, setExported] = useState<string | null>(null);

  const verify = async () => {
    setBusy('Verifying…');
    setError(null);
    try {
      await data(client.POST('/api/cases/{id}/evidence/verify', { params: { path: { id: props.id } }, body: {} }));
      reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };
  const exportBundle = async (reference: string) => {
    setBusy('Verifying and building the bundle…');
    setError(null);
    setExported(null);
    try {
      const r = await client.POST('/api/cases/{id}/evidence/export', { params: { path: { id: props.id } }, body: {}, parseAs: 'blob' });
      if (!r.response.ok) {
        const e = (await r.response.clone().json().catch(() => ({}))) as { message?: string };
        throw new Error(e.message ?? r.response.statusText);
      }
      const name = /filename="([^"]+)"/.exec(r.response.headers.get('content-disposition') ?? '')?.[1] ?? `${reference}-evidence.wacz`;
      const url = URL.createObjectURL(r.data as unknown as Blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExported(`${name} · SHA-256 ${r.response.headers.get('x-bundle-sha256') ?? '?'}`);
      reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="page case-evidence">
      <Loaded load={shown}>
        {(d) => (
          <>
            <h1>Evidence — case {d.case.reference} <Tlp tlp={d.case.tlp} /></h1>
            <p>{d.case.title} <span className="muted">· <Link to={`/cases/${d.case.id}`}>case and selectors</Link> · {d.total} capture(s)</span></p>
            <div className="grid2">
              <Card title="Verification" className="verification">
                <VerificationView v={d.verification} />
                <div className="inline">
                  <button onClick={verify} disabled={busy !== null || d.total === 0}>Verify now</button>
                  <button onClick={() => exportBundle(d.case.reference)} disabled={busy !== null || d.total === 0}>Export court bundle</button>
                  <a className="button secondary" href={`/api/cases/${d.case.id}/evidence/report`} target="_blank" rel="noopener noreferrer">Printable custody report</a>
                </div>
                {busy && <div className="state loading" role="status">{busy}</div>}
                {exported && <div className="ok exported" role="status">Downloaded {exported}</div>}
                {error && <div className="state error" role="alert">{error}</div>}
                <p className="muted small">The bundle is a WACZ (opens in ReplayWeb.page): the case's WARC records byte for byte, DarkPatrol's manifest with every record's digests and log hash, this custody report, and file digests signed with the agency's key.</p>
              </Card>
              <div>
                <Attach caseId={d.case.id} closed={d.case.closedAt !== null} onAttached={reload} />
                <Card title="Custody steps">
                  {d.steps.length ? (
                    <table className="steps"><thead><tr><th>when</th><th>who</th><th>step</th><th>detail</th></tr></thead>
                      <tbody>{d.steps.map((s, i) => <tr key={i}><td className="small">{when(s.at)}</td><td className="small">{s.actor}</td><td>{s.action}</td><td className="small">{s.detail}</td></tr>)}</tbody></table>
                  ) : <Empty>No custody steps yet.</Empty>}
                </Card>
              </div>
            </div>
            <Card title={`Captures (${d.total})`}>
              {d.captures.length ? (
                <>
                  <table className="captures evidence-table">
                    <thead><tr><th>capture</th><th>URL (text)</th><th>fetched</th><th>payload SHA-256</th><th>in case</th><th>status</th></tr></thead>
                    <tbody>{d.captures.map((c) => <CaptureRow key={c.id} c={c} />)}</tbody>
                  </table>
                  <div className="hex-nav">
                    <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>◀ previous</button>
                    <span className="small">{d.offset + 1}–{d.offset + d.captures.length} of {d.total}</span>
                    <button type="button" disabled={d.nextOffset === null} onClick={() => setOffset(d.nextOffset ?? offset)}>next ▶</button>
                  </div>
                </>
              ) : <Empty>No captures in this case yet. Attach captures by id, or start a crawl for the case.</Empty>}
            </Card>
          </>
        )}
      </Loaded>
    </div>
  );
}

function VerificationView(props: { v: Verification | null }) {
  const v = props.v;
  if (!v) return <p className="verify-state unverified">Not verified yet.</p>;
  return (
    <>
      <p className={`verify-state ${v.ok ? 'verified' : 'failed'}`}>
        <b>{v.ok ? 'Verified' : 'Verification failed'}</b> {when(v.at)} by {v.by}: {v.records} record(s) re-read, hash chain of {v.entries} entries {v.chainOk ? 'intact' : 'BROKEN'}.
      </p>
      <p className="small">chain head <span className="mono">{v.chainHead}</span></p>
      {v.problems.length > 0 && (
        <table className="problems"><thead><tr><th>problem</th><th>capture</th><th>detail</th></tr></thead>
          <tbody>{v.problems.map((p, i) => <tr key={i}><td>{p.kind}</td><td>{p.captureId ?? '—'}</td><td className="small wrap">{p.detail}</td></tr>)}</tbody></table>
      )}
    </>
  );
}

function CaptureRow(props: { c: Capture }) {
  const c = props.c;
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr className="capture" data-capture-id={c.id}>
        <td><Link to={`/captures/${c.id}`}>#{c.id}</Link> <span className="muted small">{c.kind}</span></td>
        <td className="mono wrap">{c.url}</td>
        <td className="small">{when(c.fetchedAt)}</td>
        <td className="mono small">{c.payloadSha256.slice(0, 16)}…</td>
        <td className="small">{c.via === 'attached' ? `attached by ${c.attachedBy ?? '?'}` : `crawl ${c.jobId ?? ''}`}</td>
        <td>
          <span className={`badge verify-${c.verification}`}>{c.verification}</span>{' '}
          <button type="button" className="secondary small" onClick={() => setOpen(!open)} aria-expanded={open}>{open ? 'hide' : 'custody'} ({c.entries.length})</button>
        </td>
      </tr>
      {open && (
        <tr className="custody">
          <td colSpan={6}>
            {c.entries.length ? (
              <table><thead><tr><th>log entry</th><th>logged</th><th>record</th><th>WARC @ offset (length)</th><th>block SHA-256</th><th>previous → entry hash</th></tr></thead>
                <tbody>{c.entries.map((e) => (
                  <tr key={e.id}>
                    <td>#{e.id}{e.sealed ? ' sealed' : ''}</td><td className="small">{when(e.at)}</td><td>{e.recordType}<div className="mono small">{e.recordId}</div></td>
                    <td className="mono small">{e.warcFile} @ {e.warcOffset} ({e.warcLength})</td><td className="mono small wrap">{e.blockSha256}</td>
                    <td className="mono small wrap">{e.prevHash}<br />→ {e.hash}</td>
                  </tr>
                ))}</tbody></table>
            ) : <div className="state error">No evidence-log entry: this capture is not in the chain of custody.</div>}
          </td>
        </tr>
      )}
    </>
  );
}

function Attach(props: { caseId: number; closed: boolean; onAttached: () => void }) {
  const [ids, setIds] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    const captureIds = ids.split(/[\s,]+/).filter(Boolean).map(Number);
    if (captureIds.some((n) => !Number.isInteger(n) || n <= 0)) return setError('capture ids are positive whole numbers, separated by spaces or commas');
    try {
      const r = await data<{ attached: number[]; alreadyAttached: number[]; notFound: number[] }>(client.POST('/api/cases/{id}/evidence', { params: { path: { id: props.caseId } }, body: { captureIds } }));
      setResult(`${r.attached.length} attached${r.alreadyAttached.length ? `, ${r.alreadyAttached.length} already in the case` : ''}${r.notFound.length ? `; not found or not your agency's: ${r.notFound.join(', ')}` : ''}.`);
      setIds('');
      props.onAttached();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Card title="Attach captures">
      {props.closed ? <Empty>The case is closed: no evidence can be attached.</Empty> : (
        <form className="stack" onSubmit={submit}>
          <label>Capture ids<input value={ids} onChange={(e) => setIds(e.target.value)} placeholder="e.g. 12, 15 16" /></label>
          <button type="submit" disabled={!ids.trim()}>Attach</button>
          {result && <div className="ok" role="status">{result}</div>}
          {error && <div className="state error" role="alert">{error}</div>}
        </form>
      )}
    </Card>
  );
}
