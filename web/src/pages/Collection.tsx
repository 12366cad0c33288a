import { Fragment, useEffect, useState } from 'react';
import { client, data, errorText, useCall } from '../client.ts';
import type { Page } from '../api.ts';
import { CaptchaAnswer, type CaptchaTask } from '../captcha.tsx';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, Loaded } from '../ui.tsx';
import { uploadImportFile, type UploadKind } from '../upload.ts';

type JobState = 'queued' | 'running' | 'retrying' | 'paused' | 'completed' | 'failed' | 'cancelled';
interface Job {
  id: string;
  kind: string;
  requestedBy: string;
  payload: Record<string, unknown>;
  state: JobState;
  progress: { done: number; total?: number; unit?: string; message?: string; queued?: number; errors?: Record<string, number> };
  result: unknown;
  error: string | null;
  attempts: number;
  control: 'pause' | 'cancel' | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
interface Worker { id: string; host: string; pid: number; queues: string[]; heartbeatAt: string; stoppedAt: string | null; running: string[] }
interface MarketRow { id: number; name: string; slug: string; kind: string; status: string; last_seen: string | null }

const LIVE: JobState[] = ['queued', 'running', 'retrying', 'paused'];

/** Crawl, extract, import (uploaded from the browser or in the import directory) and re-link jobs: start them, watch their progress and an import's reject report, pause, resume or cancel. */
export function Collection(props: { canStart: boolean }) {
  const [tick, setTick] = useState(0);
  const [jobs, reload] = useCall(() => data<{ items: Job[]; counts: Record<string, number> }>(client.GET('/api/jobs', { params: { query: { limit: 100 } } })), `jobs-${tick}`, { keep: true });
  const [workers] = useCall(() => data<{ items: Worker[] }>(client.GET('/api/jobs/workers')), `workers-${Math.floor(tick / 5)}`);
  const [markets] = useCall(() => data<Page<MarketRow>>(client.GET('/api/markets', { params: { query: { limit: 200, offset: 0 } } })), 'markets');
  const [error, setError] = useState<string | null>(null);
  const anyLive = jobs.state === 'ok' && jobs.data.items.some((j) => LIVE.includes(j.state));
  // Live progress: poll while something is queued or running.
  useEffect(() => {
    if (!anyLive) return;
    const t = setTimeout(() => setTick((x) => x + 1), 2000);
    return () => clearTimeout(t);
  }, [anyLive, tick]);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const control = (id: string, action: 'pause' | 'resume' | 'cancel') =>
    act(() => data(action === 'pause' ? client.POST('/api/jobs/{id}/pause', { params: { path: { id } }, body: {} }) : action === 'resume' ? client.POST('/api/jobs/{id}/resume', { params: { path: { id } }, body: {} }) : client.POST('/api/jobs/{id}/cancel', { params: { path: { id } }, body: {} })));
  return (
    <div className="page">
      <h1>Collection</h1>
      <p className="muted">Crawls run through Tor on the workers; a market asking for a CAPTCHA parks its crawl until an analyst answers it, in the crawl's row below or in the <Link to="/captchas">CAPTCHA queue</Link>.</p>
      {error && <div className="state error" role="alert">{error}</div>}
      <div className="grid2">
        {props.canStart ? <StartJob markets={markets.state === 'ok' ? markets.data.items : []} act={act} /> : <Card title="Start a job"><Empty>Analysts and supervisors start collection jobs; your role sees their progress.</Empty></Card>}
        <Card title="Workers">
          <Loaded load={workers}>
            {(w) => w.items.length ? (
              <table><thead><tr><th>worker</th><th>queues</th><th>heartbeat</th><th>running</th></tr></thead>
                <tbody>{w.items.map((x) => <tr key={x.id}><td className="mono small">{x.host}:{x.pid}</td><td className="small">{x.queues.join(', ')}</td><td className="small">{x.stoppedAt ? 'stopped' : new Date(x.heartbeatAt).toISOString().slice(11, 19)}</td><td className="num">{x.running.length}</td></tr>)}</tbody></table>
            ) : <Empty>No worker has registered: start <span className="mono">darkpatrol worker</span> (the demo server runs jobs itself).</Empty>}
          </Loaded>
        </Card>
      </div>
      <Card title="Jobs">
        <Loaded load={jobs}>
          {(d) => (
            <>
              <p className="counts small">{Object.entries(d.counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(' · ') || 'no jobs yet'}</p>
              {d.items.length ? (
                <table className="jobs">
                  <thead><tr><th>kind</th><th>what</th><th>state</th><th>progress</th><th>result / error</th><th>queued</th><th /></tr></thead>
                  <tbody>
                    {d.items.map((j) => (
                      <Fragment key={j.id}>
                      <tr data-job-id={j.id} data-state={j.state}>
                        <td>{j.kind}</td>
                        <td className="small mono wrap">{describe(j.payload)}</td>
                        <td><span className={`status job-${j.state}`}>{j.state}</span>{j.control && <span className="muted small"> ({j.control} asked)</span>}</td>
                        {j.kind === 'crawl' ? <CrawlProgressCell job={j} /> : <td className="small progress">{j.progress.done}{j.progress.total ? ` / ${j.progress.total}` : ''} {j.progress.unit ?? ''}{j.progress.message ? ` — ${j.progress.message}` : ''}</td>}
                        <td className="small mono wrap">{j.error ?? (j.result ? summary(j.result) : '')}</td>
                        <td className="small">{fmtDate(j.createdAt)}</td>
                        <td>
                          {(j.state === 'running' || j.state === 'queued') && j.kind === 'crawl' && <button className="small secondary" onClick={() => control(j.id, 'pause')}>Pause</button>}{' '}
                          {(j.state === 'paused' || j.state === 'failed') && <button className="small secondary" onClick={() => control(j.id, 'resume')}>Resume</button>}{' '}
                          {LIVE.includes(j.state) && <button className="small secondary" onClick={() => control(j.id, 'cancel')}>Cancel</button>}
                          {props.canStart && j.kind === 'crawl' && j.state === 'completed' && crawlJobOf(j) && <button className="small" onClick={() => act(() => data(client.POST('/api/jobs', { body: { kind: 'extract', payload: { crawlJobId: crawlJobOf(j)! } } })))}>Extract</button>}
                        </td>
                      </tr>
                      {j.kind === 'import' && j.state === 'completed' && <RejectReport result={j.result} />}
                      </Fragment>
                    ))}
                  </tbody>
                </table>
              ) : <Empty>No jobs yet. Start a crawl above.</Empty>}
            </>
          )}
        </Loaded>
      </Card>
    </div>
  );
}

/** A crawl job's live progress (pages, the frontier queue, errors by kind) while it runs, its summary once done. */
interface CrawlResult { jobId?: string; outcome?: string; pages?: number; errors?: Record<string, number>; frontier?: { queued: number; done: number; failed: number; total: number } }
const crawlJobOf = (j: Job): string | undefined => (j.result as CrawlResult | null)?.jobId;

function CrawlProgressCell(props: { job: Job }) {
  const { job } = props;
  const r = (job.result ?? {}) as CrawlResult;
  const finished = job.state === 'completed' && r.frontier !== undefined;
  const pages = finished ? r.frontier!.done + r.frontier!.failed : job.progress.done;
  const total = finished ? r.frontier!.total : job.progress.total;
  const queued = finished ? r.frontier!.queued : job.progress.queued;
  const errors = Object.entries((finished ? r.errors : job.progress.errors) ?? {}).filter(([, n]) => n > 0);
  const captcha = job.state === 'paused' && /^waiting for a human/.test(job.error ?? '');
  return (
    <td className="small progress crawl-progress" data-pages={pages} data-queued={queued ?? ''}>
      <div><span className="pages">{pages}{total ? ` / ${total}` : ''} pages</span>{queued !== undefined && <span className="queue"> · queue {queued}</span>}</div>
      <div className="errors">{errors.length ? <>errors: {errors.map(([k, n], i) => <span key={k} className="error-kind" data-kind={k}>{i ? ', ' : ''}{k} {n}</span>)}</> : <span className="muted">no errors</span>}</div>
      {job.progress.message && !finished && <div className="mono wrap muted">{job.progress.message}</div>}
      {captcha && <CaptchaHandoff job={job.id} />}
    </td>
  );
}

/** A paused crawl's pending CAPTCHA(s), answered in the row; the crawl then resumes by itself. */
function CaptchaHandoff(props: { job: string }) {
  const [load, reload] = useCall(() => data<{ items: CaptchaTask[] }>(client.GET('/api/captchas', { params: { query: { job: props.job, status: 'pending' } } })), `captchas-${props.job}`);
  return (
    <div className="captcha-handoff">
      <div>A CAPTCHA is waiting for a human: answer it here (or <Link to="/captchas">in the CAPTCHA queue</Link>); the crawl then resumes by itself.</div>
      <Loaded load={load}>
        {(d) => d.items.length ? d.items.map((t) => <CaptchaAnswer key={t.id} task={t} onSolved={reload} />) : <div className="muted">Answered: the crawl resumes on the worker's next tick.</div>}
      </Loaded>
    </div>
  );
}

const describe = (p: Record<string, unknown>) => Object.entries(p).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');

/** A result as one line of its numbers (pages, captures, errors by kind…), never as markup. */
function summary(r: unknown): string {
  if (!r || typeof r !== 'object') return String(r);
  return Object.entries(r as Record<string, unknown>)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || (v && typeof v === 'object' && !Array.isArray(v)))
    .slice(0, 8)
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ')
    .slice(0, 300);
}

/** One line of a reject report: a CSV row (line, byte offset, the raw row), a WARC record (number, offset) or a file of a page archive (path). */
interface Reject { line?: number; record?: number; path?: string; offset?: number; reason: string; raw?: string }

const whereOf = (x: Reject) => String(x.path ?? x.record ?? x.line ?? '');

/** What an import refused or skipped, and why, as the importer reported it: CSV rows, WARC records, files of a page archive. */
function RejectReport(props: { result: unknown }) {
  const r = (props.result ?? {}) as { rejected?: number; rejects?: Reject[]; format?: string };
  if (typeof r.rejected !== 'number') return null;
  const archive = r.format === 'warc' || r.format === 'pages';
  const noun = r.format === 'warc' ? 'record' : r.format === 'pages' ? 'file' : 'row';
  const verb = archive ? 'skipped' : 'refused';
  return (
    <tr className="reject-report">
      <td colSpan={7}>
        {r.rejected === 0 ? <span className="small muted">Reject report: no {noun} {verb}.</span> : (
          <details open>
            <summary className="small">Reject report: {r.rejected} {noun}{r.rejected === 1 ? '' : 's'} {verb}{r.rejects && r.rejects.length < r.rejected ? ` (the first ${r.rejects.length} shown)` : ''}</summary>
            <table aria-label="reject report"><thead><tr><th>{r.format === 'pages' ? 'file' : r.format === 'warc' ? 'record' : 'line'}</th><th>byte offset</th><th>reason</th>{!archive && <th>row</th>}</tr></thead>
              <tbody>{(r.rejects ?? []).map((x, i) => <tr key={i}><td className={x.path !== undefined ? 'small mono wrap' : 'num'}>{whereOf(x)}</td><td className="num">{x.offset ?? ''}</td><td className="small">{x.reason}</td>{!archive && <td className="small mono wrap">{(x.raw ?? '').slice(0, 300)}</td>}</tr>)}</tbody></table>
          </details>
        )}
      </td>
    </tr>
  );
}

/** The import formats, what the upload takes for each, and the file types the picker offers. */
const FORMATS = {
  telegram: { label: 'Telegram Desktop export', file: 'result.json of the export', accept: '.json,application/json' },
  dump: { label: 'seized database dump', file: '.sql dump', accept: '.sql,text/plain' },
  csv: { label: 'CSV', file: '.csv', accept: '.csv,text/csv' },
  warc: { label: 'WARC file (other tools\' web archive)', file: '.warc or .warc.gz', accept: '.warc,.gz,application/warc' },
  pages: { label: 'page archive (saved pages, .tar / .tar.gz)', file: '.tar or .tar.gz of the page folders, e.g. agora/2014-04-06/…; .zip or .tar.xz: repack as .tar.gz', accept: '.tar,.gz,.tgz,application/x-tar,application/gzip' },
} as const;
type ImportFormat = keyof typeof FORMATS;

function StartJob(props: { markets: MarketRow[]; act: (fn: () => Promise<unknown>) => Promise<void> }) {
  const [kind, setKind] = useState<'crawl' | 'extract' | 'import' | 'relink'>('crawl');
  const [market, setMarket] = useState('');
  const [maxPages, setMaxPages] = useState('');
  const [startUrls, setStartUrls] = useState('');
  const [caseRef, setCaseRef] = useState('');
  const [format, setFormat] = useState<ImportFormat>('telegram');
  const [file, setFile] = useState('');
  const [source, setSource] = useState<'upload' | 'dir'>('upload');
  const [picked, setPicked] = useState<File | null>(null);
  const [mappingFile, setMappingFile] = useState<File | null>(null);
  const [mappingName, setMappingName] = useState('');
  const [sent, setSent] = useState<{ name: string; done: number; total: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [when, setWhen] = useState('');
  const payload = (): Record<string, unknown> => {
    if (kind === 'crawl') {
      const seeds = startUrls.split('\n').map((u) => u.trim()).filter(Boolean);
      return { market: Number(market) || market, ...(maxPages ? { maxPages: Number(maxPages) } : {}), ...(seeds.length ? { startUrls: seeds } : {}), ...(caseRef.trim() ? { caseRef: caseRef.trim() } : {}) };
    }
    if (kind === 'extract') return market ? { marketId: Number(market) } : {};
    if (kind === 'import') return { format, file, ...(format === 'csv' && mappingName ? { mapping: mappingName } : {}), ...(market ? { market: props.markets.find((m) => String(m.id) === market)?.slug ?? market } : {}) };
    return {};
  };
  const send = async (k: UploadKind, f: File): Promise<string> => {
    if (f.size === 0) throw new Error(`${f.name} is empty`);
    setSent({ name: f.name, done: 0, total: f.size });
    const up = await uploadImportFile(k, f, (done, total) => setSent({ name: f.name, done, total }));
    setSent({ name: f.name, done: up.bytes, total: up.bytes });
    return up.file;
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const startAfter = when ? { startAfter: new Date(when).toISOString() } : {};
    if (kind === 'import' && source === 'upload') {
      setBusy(true);
      void props
        .act(async () => {
          // Upload first (the mapping too, for a CSV), then queue the import of the server-named file.
          const uploaded = await send(format, picked!);
          const mapping = format === 'csv' && mappingFile ? await send('csv-mapping', mappingFile) : undefined;
          // The server names the file; without a chosen market a dump or CSV lands on a market named after the
          // client's file name (the importer would otherwise name it after the server's uuid).
          // Archives file their pages by the markets their layout or hosts name.
          const named = (format === 'dump' || format === 'csv') && !market ? { market: picked!.name.replace(/\.[^.]*$/, '').slice(0, 100) || format } : {};
          const p = { ...payload(), ...named, file: uploaded, ...(mapping ? { mapping } : {}) };
          return data(client.POST('/api/jobs', { body: { kind, payload: p, ...startAfter } }));
        })
        .finally(() => setBusy(false));
      return;
    }
    void props.act(() => data(client.POST('/api/jobs', { body: { kind, payload: payload(), ...startAfter } })));
  };
  const importReady = source === 'upload' ? picked !== null && (format !== 'csv' || mappingFile !== null) : file !== '' && (format !== 'csv' || mappingName !== '');
  return (
    <Card title="Start a job">
      <form className="stack" onSubmit={submit}>
        <label>Kind<select aria-label="job kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
          <option value="crawl">crawl a market</option><option value="extract">extract listings</option><option value="import">import a file</option><option value="relink">re-link aliases</option>
        </select></label>
        {kind !== 'relink' && (
          <label>Market<select aria-label="market" value={market} onChange={(e) => setMarket(e.target.value)}>
            <option value="">{kind === 'crawl' ? 'choose…' : 'all / from the file'}</option>
            {props.markets.map((m) => <option key={m.id} value={m.id}>{m.name} ({m.status}, last seen {fmtDate(m.last_seen)})</option>)}
          </select></label>
        )}
        {kind === 'crawl' && (
          <>
            <label>Start URLs (optional, one per line: pages on the market's own onions, e.g. a vendor's page; empty = the market's start page)<textarea aria-label="start urls" rows={2} value={startUrls} onChange={(e) => setStartUrls(e.target.value)} placeholder="http://….onion/u/vendor" /></label>
            <label>For case (optional: the reference of an open case of your agency)<input aria-label="case reference" value={caseRef} onChange={(e) => setCaseRef(e.target.value)} placeholder="BKA-SO-44" /></label>
            <label>Page limit (optional)<input aria-label="page limit" type="number" min={1} value={maxPages} onChange={(e) => setMaxPages(e.target.value)} /></label>
          </>
        )}
        {kind === 'import' && (
          <>
            <label>Format<select aria-label="import format" value={format} onChange={(e) => setFormat(e.target.value as ImportFormat)}>{(Object.keys(FORMATS) as ImportFormat[]).map((f) => <option key={f} value={f}>{FORMATS[f].label}</option>)}</select></label>
            <label>Source<select aria-label="import source" value={source} onChange={(e) => setSource(e.target.value as typeof source)}><option value="upload">upload from this computer</option><option value="dir">a file already in the workers' import directory</option></select></label>
            {source === 'upload' ? (
              <>
                <label>File ({FORMATS[format].file})<input aria-label="file to upload" type="file" accept={FORMATS[format].accept} onChange={(e) => setPicked(e.target.files?.[0] ?? null)} /></label>
                {format === 'csv' && <label>Column mapping (JSON: vendor, title, price… → column names)<input aria-label="csv mapping file" type="file" accept=".json,application/json" onChange={(e) => setMappingFile(e.target.files?.[0] ?? null)} /></label>}
                {sent && (
                  <div className="small" aria-live="polite">
                    <progress aria-label="upload progress" max={sent.total || 1} value={sent.done} /> {sent.name}: {sent.done === sent.total ? 'uploaded' : 'uploading'} {sent.done} / {sent.total} bytes
                  </div>
                )}
              </>
            ) : (
              <>
                <label>File in the workers' import directory<input aria-label="import file" value={file} onChange={(e) => setFile(e.target.value)} placeholder="case-17/result.json" /></label>
                {format === 'csv' && <label>Mapping file in the import directory<input aria-label="import mapping" value={mappingName} onChange={(e) => setMappingName(e.target.value)} placeholder="case-17/mapping.json" /></label>}
              </>
            )}
          </>
        )}
        <label>Start at (optional; empty = now)<input aria-label="start at" type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} /></label>
        <button type="submit" disabled={busy || (kind === 'crawl' && !market) || (kind === 'import' && !importReady)}>{busy ? 'Uploading…' : kind === 'import' && source === 'upload' ? 'Upload and start' : 'Start'}</button>
      </form>
    </Card>
  );
}
