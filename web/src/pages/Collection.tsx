import { useEffect, useState } from 'react';
import { client, data, errorText, useCall } from '../client.ts';
import type { Page } from '../api.ts';
import { Link } from '../router.tsx';
import { Card, Empty, fmtDate, Loaded } from '../ui.tsx';

type JobState = 'queued' | 'running' | 'retrying' | 'paused' | 'completed' | 'failed' | 'cancelled';
interface Job {
  id: string;
  kind: string;
  requestedBy: string;
  payload: Record<string, unknown>;
  state: JobState;
  progress: { done: number; total?: number; unit?: string; message?: string };
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

/** Crawl, extract, import and re-link jobs: start them, watch their progress, pause, resume or cancel. */
export function Collection(props: { canStart: boolean }) {
  const [tick, setTick] = useState(0);
  const [jobs, reload] = useCall(() => data<{ items: Job[]; counts: Record<string, number> }>(client.GET('/api/jobs', { params: { query: { limit: 100 } } })), `jobs-${tick}`);
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
      <p className="muted">Crawls run through Tor on the workers; a market asking for a CAPTCHA parks its crawl in the <Link to="/captchas">CAPTCHA queue</Link> until an analyst answers.</p>
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
                      <tr key={j.id} data-job-id={j.id} data-state={j.state}>
                        <td>{j.kind}</td>
                        <td className="small mono wrap">{describe(j.payload)}</td>
                        <td><span className={`status job-${j.state}`}>{j.state}</span>{j.control && <span className="muted small"> ({j.control} asked)</span>}</td>
                        <td className="small progress">{j.progress.done}{j.progress.total ? ` / ${j.progress.total}` : ''} {j.progress.unit ?? ''}{j.progress.message ? ` — ${j.progress.message}` : ''}</td>
                        <td className="small mono wrap">{j.error ?? (j.result ? summary(j.result) : '')}</td>
                        <td className="small">{fmtDate(j.createdAt)}</td>
                        <td>
                          {(j.state === 'running' || j.state === 'queued') && j.kind === 'crawl' && <button className="small secondary" onClick={() => control(j.id, 'pause')}>Pause</button>}{' '}
                          {(j.state === 'paused' || j.state === 'failed') && <button className="small secondary" onClick={() => control(j.id, 'resume')}>Resume</button>}{' '}
                          {LIVE.includes(j.state) && <button className="small secondary" onClick={() => control(j.id, 'cancel')}>Cancel</button>}
                        </td>
                      </tr>
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

function StartJob(props: { markets: MarketRow[]; act: (fn: () => Promise<unknown>) => Promise<void> }) {
  const [kind, setKind] = useState<'crawl' | 'extract' | 'import' | 'relink'>('crawl');
  const [market, setMarket] = useState('');
  const [maxPages, setMaxPages] = useState('');
  const [format, setFormat] = useState<'telegram' | 'dump' | 'csv'>('telegram');
  const [file, setFile] = useState('');
  const [when, setWhen] = useState('');
  const payload = (): Record<string, unknown> => {
    if (kind === 'crawl') return { market: Number(market) || market, ...(maxPages ? { maxPages: Number(maxPages) } : {}) };
    if (kind === 'extract') return market ? { marketId: Number(market) } : {};
    if (kind === 'import') return { format, file, ...(market ? { market: props.markets.find((m) => String(m.id) === market)?.slug ?? market } : {}) };
    return {};
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void props.act(() => data(client.POST('/api/jobs', { body: { kind, payload: payload(), ...(when ? { startAfter: new Date(when).toISOString() } : {}) } })));
  };
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
        {kind === 'crawl' && <label>Page limit (optional)<input aria-label="page limit" type="number" min={1} value={maxPages} onChange={(e) => setMaxPages(e.target.value)} /></label>}
        {kind === 'import' && (
          <>
            <label>Format<select aria-label="import format" value={format} onChange={(e) => setFormat(e.target.value as typeof format)}><option value="telegram">Telegram Desktop export</option><option value="dump">seized database dump</option><option value="csv">CSV</option></select></label>
            <label>File in the workers' import directory<input aria-label="import file" value={file} onChange={(e) => setFile(e.target.value)} placeholder="case-17/result.json" /></label>
          </>
        )}
        <label>Start at (optional; empty = now)<input aria-label="start at" type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} /></label>
        <button type="submit" disabled={(kind === 'crawl' && !market) || (kind === 'import' && !file)}>Start</button>
      </form>
    </Card>
  );
}
