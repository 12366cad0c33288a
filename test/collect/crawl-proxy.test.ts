import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { configureMarketCrawl, runCrawl, socksFetch, parseProxyUrl, FetchError } from '../../src/collect/index.ts';
import { freePort } from '../../src/sim/index.ts';

async function serve(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('the crawler only ever talks through a SOCKS5h proxy', () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-proxy-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    await configureMarketCrawl(store.db, { agencyId, slug: 'onionmart', startUrls: ['http://onionmartxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion/'] });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to run without a proxy, and refuses socks5:// (local DNS) and http proxies', async () => {
    const base = { db: store.db, evidenceDir: dir, market: 'onionmart' };
    await expect(runCrawl({ ...base, proxy: undefined })).rejects.toThrow(/refusing to crawl: no SOCKS5h proxy configured/);
    await expect(runCrawl({ ...base, proxy: '' })).rejects.toThrow(/no SOCKS5h proxy/);
    await expect(runCrawl({ ...base, proxy: 'socks5://127.0.0.1:9050' })).rejects.toThrow(/only socks5h/);
    await expect(runCrawl({ ...base, proxy: 'http://127.0.0.1:8080' })).rejects.toThrow(/only socks5h/);
    const jobs = await store.db.selectFrom('crawl_jobs').select('id').execute();
    expect(jobs).toEqual([]); // refused before anything started
  });

  it('refuses a market configured with a clearnet host', async () => {
    await configureMarketCrawl(store.db, { agencyId, slug: 'clearnet', startUrls: ['http://example.com/'] });
    await expect(runCrawl({ db: store.db, evidenceDir: dir, market: 'clearnet', proxy: 'socks5h://127.0.0.1:9' })).rejects.toThrow(/only \.onion hosts/);
  });

  describe('through microsocks (a third-party SOCKS5 server from Debian)', () => {
    let ms: ChildProcess;
    let msPort: number;
    let site: { server: http.Server; port: number };
    let elsewhere: { server: http.Server; port: number };
    let elsewhereHits = 0;
    const seen: string[] = [];

    beforeAll(async () => {
      elsewhere = await serve((_req, res) => { elsewhereHits++; res.end('should never be fetched'); });
      site = await serve((req, res) => {
        seen.push(`${req.headers.host} ${req.url}`);
        res.setHeader('content-type', 'text/html');
        if (req.url === '/') {
          res.end(`<html><body>
            <a href="/a">a</a> <a href="/b#frag">b</a>
            <a href="http://example.com/x">clearnet</a>
            <a href="http://127.0.0.1:${elsewhere.port}/secret">another loopback service</a>
            <a href="http://abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzab.onion/">another onion</a>
            <a href="/logout">log out</a> <a href="mailto:x@example.com">mail</a></body></html>`);
        } else if (req.url === '/a' || req.url === '/b') res.end('<html><body><a href="/">home</a></body></html>');
        else { res.statusCode = 404; res.end('nope'); }
      });
      msPort = await freePort();
      ms = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(msPort), '-u', 'dpuser', '-P', 'dppass'], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        const ok = await new Promise<boolean>((r) => { const s = net.connect(msPort, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }, 30_000);

    afterAll(async () => {
      ms?.kill('SIGTERM');
      site?.server.close();
      elsewhere?.server.close();
    });

    it('refuses a loopback target unless the test-only switch is set', async () => {
      await configureMarketCrawl(store.db, { agencyId, slug: 'loopback', startUrls: [`http://localhost:${site.port}/`], delayMs: 0 });
      await expect(runCrawl({ db: store.db, evidenceDir: dir, market: 'loopback', proxy: `socks5h://dpuser:dppass@127.0.0.1:${msPort}` })).rejects.toThrow(/only \.onion hosts/);
      expect(seen).toEqual([]);
    });

    it('authenticates with RFC 1929, crawls, and follows only links on the configured host', async () => {
      await store.db.insertInto('crawl_accounts').values({ market_id: (await store.db.selectFrom('markets').select('id').where('slug', '=', 'loopback').executeTakeFirstOrThrow()).id, username: 'nobody', password: 'x', proxy_username: 'dpuser' }).execute();
      const s = await runCrawl({ db: store.db, evidenceDir: dir, market: 'loopback', account: 'nobody', proxy: `socks5h://dpuser:dppass@127.0.0.1:${msPort}`, allowLoopbackTargetsForTesting: true });
      expect(s.outcome).toBe('done');
      expect(s.pages).toBe(3);
      expect(elsewhereHits).toBe(0);
      const urls = (await store.db.selectFrom('crawl_frontier').select('url').where('job_id', '=', s.jobId).execute()).map((r) => r.url).sort();
      expect(urls).toEqual([`http://localhost:${site.port}/`, `http://localhost:${site.port}/a`, `http://localhost:${site.port}/b`]);
      // the Host header carries the name: the proxy, not we, resolved it
      expect(seen.every((h) => h.startsWith(`localhost:${site.port} `))).toBe(true);
    });

    it('a wrong proxy password is a proxy error, never a direct connection', async () => {
      const proxy = parseProxyUrl(`socks5h://dpuser:wrong@127.0.0.1:${msPort}`);
      const hitsBefore = seen.length;
      await expect(socksFetch(`http://localhost:${site.port}/`, { proxy, isolationUsername: 'dpuser' })).rejects.toBeInstanceOf(FetchError);
      expect(seen.length).toBe(hitsBefore);
    });
  });
});
