import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { openStore } from '../../src/store/index.ts';
import { Socks5Server } from '../../src/sim/index.ts';
import { configureMarketCrawl, runCrawl, socksFetch, parseProxyUrl, FetchError } from '../../src/collect/index.ts';
import { PageAnalyser } from '../../src/collect/crawl/analyser.ts';
import { readWarcFile, verifyEvidence } from '../../src/evidence/index.ts';

/** A hostile "onion service": each fault case is a path. Reached only through a SOCKS5 proxy that knows its name. */
const ONION = 'faultsxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion';
const BASE = `http://${ONION}/`;
const NESTED = 100_000;

function nestedPage(): Buffer {
  return Buffer.from(`<html><body><a href="/">home</a>${'<div>'.repeat(NESTED)}deep${'</div>'.repeat(NESTED)}<a href="/after-deep">after</a></body></html>`);
}

describe('fault cases: no page can stop the crawler', () => {
  let store: TestStore;
  let dir: string;
  let site: http.Server;
  let proxy: Socks5Server;
  let proxyUrl: string;
  const requested: string[] = [];
  let agencyId: number;

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-faults-'));
    const deep = nestedPage();
    site = http.createServer((req, res) => {
      requested.push(req.url ?? '');
      const html = (body: string | Buffer) => {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(body);
      };
      if (req.url === '/') {
        // A link whose bytes are not UTF-8 (0xFF 0xFE): the crawler must request exactly those bytes.
        return html(Buffer.concat([Buffer.from('<html><body><a href="/deep">deep</a> <a href="/huge">huge</a> <a href="/declared">declared</a> <a href="/'), Buffer.from([0xff, 0xfe]), Buffer.from('">bytes</a></body></html>')]));
      }
      if (req.url === '/deep') return html(deep);
      if (req.url === '/after-deep' || req.url === '/%FF%FE') return html('<html><body>ok</body></html>');
      if (req.url === '/huge') {
        // 50 MB, neither length nor end announced: only a size cap can stop it.
        res.setHeader('content-type', 'application/octet-stream');
        const block = Buffer.alloc(1024 * 1024, 0x41);
        let sent = 0;
        const pump = () => {
          while (sent < 50 && !res.destroyed) {
            sent++;
            if (!res.write(block)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      if (req.url === '/declared') {
        res.setHeader('content-type', 'text/html');
        res.setHeader('content-length', String(50 * 1024 * 1024));
        res.write('<html>');
        return; // never finishes: the declared length alone must be refused
      }
      res.statusCode = 404;
      res.end('no');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const port = (site.address() as AddressInfo).port;
    proxy = new Socks5Server({
      auth: { password: 'pw' },
      resolve: (host, p) => (host === ONION && p === 80 ? { kind: 'connect', host: '127.0.0.1', port } : { kind: 'refuse', reply: 0x04, reason: 'unknown' }),
    });
    await proxy.listen();
    proxyUrl = `socks5h://dp:pw@127.0.0.1:${proxy.port}`;
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    await configureMarketCrawl(store.db, { agencyId, slug: 'hostile', startUrls: [BASE], delayMs: 0, concurrency: 12, skipPatterns: [] });
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    site?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crawls the hostile site to the end: deep page preserved and marked, 50 MB refused as too-large, raw link bytes kept, no listener leak', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const ac = new AbortController();
    let s;
    try {
      s = await runCrawl({ db: store.db, evidenceDir: path.join(dir, 'warc'), proxy: proxyUrl, market: 'hostile', signal: ac.signal, timeoutMs: 30_000, retry: { baseMs: 10, maxMs: 50 } });
    } finally {
      process.off('warning', onWarning);
    }
    expect(s.outcome, JSON.stringify(s)).toBe('done');
    expect(warnings).not.toContain('MaxListenersExceededWarning');

    const frontier = await store.db.selectFrom('crawl_frontier').select(['url', 'state', 'attempts', 'error', 'capture_id']).where('job_id', '=', s.jobId).execute();
    const byPath = new Map(frontier.map((f) => [new URL(f.url).pathname, f]));
    // 100,000 nested divs: captured once, marked, its links (found in one streaming pass) followed, never retried.
    const deep = byPath.get('/deep')!;
    expect(deep).toMatchObject({ state: 'done', attempts: 1 });
    expect(deep.capture_id).not.toBeNull();
    expect(deep.error).toMatch(/element nesting 100\d{3} is over 2000/);
    expect(byPath.get('/after-deep')?.state).toBe('done');
    // 50 MB without a length, and a declared 50 MB: too-large at once, not a timeout, not retried.
    for (const p of ['/huge', '/declared']) {
      expect(byPath.get(p), p).toMatchObject({ state: 'failed', attempts: 1 });
      expect(byPath.get(p)!.error, p).toMatch(/^too-large: /);
    }
    expect(s.errors['too-large']).toBe(2);
    expect(s.errors.timeout).toBeUndefined();
    // The link's bytes 0xFF 0xFE, percent-encoded as sent: never U+FFFD.
    expect(byPath.get('/%FF%FE')?.state).toBe('done');
    expect(frontier.some((f) => f.url.includes('%EF%BF%BD'))).toBe(false);
    expect(requested).toContain('/%FF%FE');

    // The mark is in the evidence itself (the capture's WARC metadata record), and the evidence verifies.
    const warcDir = path.join(dir, 'warc');
    const notes: string[] = [];
    for (const f of readdirSync(warcDir)) {
      for (const rec of readWarcFile(path.join(warcDir, f))) {
        if (rec.header.get('WARC-Type') === 'metadata' && rec.header.get('WARC-Target-URI') === `${BASE}deep`) notes.push(rec.block.toString());
      }
    }
    expect(notes.join('\n')).toMatch(/crawler-note: element nesting/);
    const report = await verifyEvidence(store.db, { dir: warcDir });
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
  }, 180_000);

  it('gives up on a page whose analysis overruns its deadline, off the event loop, and analyses the next one', async () => {
    const analyser = new PageAnalyser({ inlineBytes: 1024, timeoutMs: 1 });
    try {
      const slow = await analyser.analyse(nestedPage(), BASE);
      expect(slow.limited).toMatch(/analysis took more than 1 ms/);
      expect(slow.links).toEqual([]);
    } finally {
      await analyser.close();
    }
    const normal = new PageAnalyser({ inlineBytes: 1024, timeoutMs: 60_000 });
    try {
      const ok = await normal.analyse(nestedPage(), BASE);
      expect(ok.links.sort()).toEqual([BASE, `${BASE}after-deep`]);
      expect(ok.nesting).toBeGreaterThanOrEqual(NESTED);
    } finally {
      await normal.close();
    }
  }, 120_000);

  it('a dead socks5h proxy fails the crawl clearly: outcome proxy-unavailable, exit code 1, never "done"', async () => {
    const dead = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    await expect(socksFetch(BASE, { proxy: parseProxyUrl(`socks5h://127.0.0.1:${dead}`), isolationUsername: 'x' })).rejects.toMatchObject({ kind: 'proxy-unavailable' });
    const s = await runCrawl({ db: store.db, evidenceDir: path.join(dir, 'warc2'), proxy: `socks5h://127.0.0.1:${dead}`, market: 'hostile' });
    expect(s.outcome).toBe('proxy-unavailable');
    expect(s.pages).toBe(0);
    expect(s.stopReason).toMatch(/cannot reach the SOCKS5 proxy at 127\.0\.0\.1/);
    const job = await store.db.selectFrom('crawl_jobs').select('status').where('id', '=', s.jobId).executeTakeFirstOrThrow();
    expect(job.status).toBe('paused'); // resumable once the proxy is back

    const dataDir = path.join(dir, 'cli-db');
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/darkpatrol.js', '--data-dir', dataDir, ...args], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    const seeded = await openStore({ dataDir });
    try {
      const a = await seeded.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
      await configureMarketCrawl(seeded.db, { agencyId: a.id, slug: 'hostile', startUrls: [BASE] });
    } finally {
      await seeded.close();
    }
    const r = await cli(['crawl', 'run', 'hostile', '--proxy', `socks5h://127.0.0.1:${dead}`, '--json']);
    expect(r.code, r.err).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ outcome: 'proxy-unavailable', pages: 0 });
    expect(r.err).toMatch(/crawl of hostile failed: proxy-unavailable \(cannot reach the SOCKS5 proxy/);
  }, 180_000);

  it('reports a SOCKS5 failure reply with its meaning (Tor extended codes included)', async () => {
    const refusing = new Socks5Server({ auth: { password: 'pw' }, resolve: () => ({ kind: 'refuse', reply: 0x04, reason: 'no descriptor' }) });
    await refusing.listen();
    try {
      const err = (await socksFetch(BASE, { proxy: parseProxyUrl(`socks5h://dp:pw@127.0.0.1:${refusing.port}`), isolationUsername: 'dp' }).catch((e: unknown) => e)) as FetchError;
      expect(err).toBeInstanceOf(FetchError);
      expect(err.kind).toBe('unreachable');
      expect(err.socksReply).toBe(0x04);
      expect(err.message).toMatch(/SOCKS5 reply 0x04: host unreachable/);
    } finally {
      await refusing.close();
    }
  });
});
