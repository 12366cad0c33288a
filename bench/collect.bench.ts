/**
 * Collection benchmark: crawl-to-evidence pages/s and MB/s against the sim (faults and rate limits off), and the
 * mysqldump importer's rows/s and MB/s with peak RSS, side by side with loading the same dump into a real MariaDB
 * server (mariadb-install-db in a temp dir, mariadbd on a unix socket, `mariadb < dump.sql`).
 *
 * The crawl's peer, measured in the same run: every URL the crawl stored, fetched again through the same proxy with
 * the same session cookie and the same concurrency, with no WARC and no database (`plainFetch`); `vsPlainFetch` is
 * plain-fetch pages/s over crawl pages/s (issue 16's target: ≤ 2). Then the custody floor over the same URLs
 * (bench/custody-floor.ts: the WARC records with the group fsync and one minimal transaction per group, nothing else):
 * `custodyFloor.vsPlainFetch` is what custody itself costs, `vsCustodyFloor` what the crawler adds to it.
 *
 * The sim (market servers and SOCKS5 proxy) runs in a process of its own (bench/collect-sim.ts), so neither the crawl
 * nor the plain fetch pays for serving in its own process; `--sim in-process` serves it in this process as before
 * 2026-12-06 (then the crawl and the plain fetch each share their event loop with the sim).
 *
 * `commitTimeline` says where the evidence recorder's group commits spent their time (src/evidence/commit-timeline.ts);
 * `output` is the crawl's result in a form that does not depend on timing (bench/crawl-output.ts), to check that a
 * change kept it. `threadCpuSeconds` is each thread's CPU over the crawl, most first (on PGlite the engine's thread
 * is the largest after the main thread), `mainGc` the main thread's GC pauses.
 *
 * `--engine postgres` crawls into a scratch database on the PostgreSQL server at PG_BENCH_URL (or DATABASE_URL),
 * dropped after; the default is the embedded PGlite, which runs on the crawler's own thread.
 *
 *   npx tsx bench/collect.bench.ts [--scale tiny|demo] [--dump-scale demo|medium|large] [--concurrency 8] [--only crawl] [--sim process|in-process] [--engine pglite|postgres]
 * Prints one JSON document as its last line.
 */
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { procCpuSeconds } from './proc-cpu.ts';
import { createScratchDatabase, openStore } from '../src/store/index.ts';
import { generateWorld, startSim, type ScalePreset } from '../src/sim/index.ts';
import { writeSimOutputs } from '../src/sim/exports/index.ts';
import { configureMarketCrawl, importMysqlDump, parseProxyUrl, runCrawl, socksFetch, solveCaptcha, SIM_SEIZED_MAPPING, type SocksResponse } from '../src/collect/index.ts';
import { CommitTimeline } from '../src/evidence/index.ts';
import { crawlOutput } from './crawl-output.ts';
import { CustodyFloor } from './custody-floor.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
const scale = arg('scale', 'demo') as ScalePreset;
const dumpScale = arg('dump-scale', 'medium') as ScalePreset;
const concurrency = Number(arg('concurrency', '8'));
const only = arg('only', '');
const simMode = arg('sim', 'process');
const engine = arg('engine', 'pglite');
if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine must be pglite or postgres');
const pgUrl = process.env.PG_BENCH_URL ?? process.env.DATABASE_URL;
if (engine === 'postgres' && !pgUrl) throw new Error('--engine postgres needs PG_BENCH_URL or DATABASE_URL');
const work = mkdtempSync(path.join(tmpdir(), 'dp-bench-collect-'));
const mb = (b: number) => b / (1024 * 1024);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function benchDump() {
  const out = path.join(work, 'sim-out');
  await writeSimOutputs(generateWorld({ seed: 'bench-collect', scale: dumpScale }), out);
  const file = path.join(out, 'seized', readdirSync(path.join(out, 'seized')).find((f) => f.endsWith('.sql')) as string);
  const bytes = statSync(file).size;
  const store = await openStore({ dataDir: path.join(work, 'db-dump') });
  const agencyId = (await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Bench', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  const rssBefore = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  const s = await importMysqlDump({ db: store.db, evidenceDir: path.join(work, 'ev-dump'), agencyId, file, mapping: SIM_SEIZED_MAPPING });
  const secs = (performance.now() - t0) / 1000;
  const rssPeakMb = process.resourceUsage().maxRSS / 1024;
  await store.close();
  return { file, bytes, darkpatrol: { rows: s.rows, seconds: round(secs, 2), rowsPerSec: round(s.rows / secs), mbPerSec: round(mb(bytes) / secs, 2), peakRssMb: round(rssPeakMb), rssBeforeMb: round(rssBefore / 1024), counts: s.counts } };
}

async function benchMariadb(file: string, bytes: number) {
  const dataDir = path.join(work, 'mariadb-data');
  const sock = path.join(work, 'mariadb.sock');
  const inst = spawnSync('mariadb-install-db', [`--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], { encoding: 'utf8' });
  if (inst.status !== 0) return { skipped: `mariadb-install-db failed: ${inst.stderr.slice(0, 300)}` };
  const server = spawn('mariadbd', [`--datadir=${dataDir}`, `--socket=${sock}`, '--skip-networking', '--skip-grant-tables', '--user=root', `--pid-file=${path.join(work, 'mariadb.pid')}`, '--innodb-buffer-pool-size=256M', `--log-error=${path.join(work, 'mariadb.err')}`], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 300 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(sock)) return { skipped: 'mariadbd did not start' };
    execFileSync('mariadb', [`--socket=${sock}`, '-e', 'create database seized']);
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const client = spawn('mariadb', [`--socket=${sock}`, 'seized'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      client.stderr.on('data', (c: Buffer) => { err += c.toString(); });
      createReadStream(file).pipe(client.stdin);
      client.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb exited ${code}: ${err.slice(0, 300)}`))));
    });
    const secs = (performance.now() - t0) / 1000;
    const rows = Number(execFileSync('mariadb', [`--socket=${sock}`, '-N', '-e', "select sum(table_rows) from information_schema.tables where table_schema='seized'"], { encoding: 'utf8' }).trim());
    const version = execFileSync('mariadbd', ['--version'], { encoding: 'utf8' }).trim();
    return { version, seconds: round(secs, 2), mbPerSec: round(mb(bytes) / secs, 2), approxRows: rows, approxRowsPerSec: round(rows / secs) };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
}

/** What the crawl needs of the sim: its proxy, its markets and the CAPTCHA answer hook. */
interface BenchSim {
  proxy: { url: string };
  markets: Array<{ slug: string; url: string; loginPath: string; loginFields: Record<string, string>; credentials: Array<{ username: string; password: string }> }>;
  peekCaptchaAnswer(slug: string, captchaId: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

async function openSim(): Promise<BenchSim> {
  if (simMode === 'in-process') {
    const sim = await startSim({ seed: 'bench-collect', scale, faults: false, rateLimit: false, portBase: 0, startDay: 60 });
    return { proxy: sim.proxy, markets: sim.markets, peekCaptchaAnswer: async (slug, id) => sim.peekCaptchaAnswer(slug, id), stop: () => sim.stop() };
  }
  const child = fork(new URL('./collect-sim.ts', import.meta.url).pathname, ['--seed', 'bench-collect', '--scale', scale], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (answer: string | undefined) => void>();
  let seq = 0;
  const ready = await new Promise<{ proxyUrl: string; markets: BenchSim['markets'] }>((resolve, reject) => {
    child.on('message', (m: { ready?: { proxyUrl: string; markets: BenchSim['markets'] }; peeked?: { id: number; answer: string | null } }) => {
      if (m.ready) resolve(m.ready);
      if (m.peeked) waiting.get(m.peeked.id)?.(m.peeked.answer ?? undefined);
    });
    child.once('exit', (code) => reject(new Error(`sim process exited ${code}`)));
  });
  return {
    proxy: { url: ready.proxyUrl },
    markets: ready.markets,
    peekCaptchaAnswer: (slug, captchaId) =>
      new Promise((resolve) => {
        const id = ++seq;
        waiting.set(id, (a) => {
          waiting.delete(id);
          resolve(a);
        });
        child.send({ peek: { id, slug, captchaId } });
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ stop: true });
      await exited;
    },
  };
}

async function benchCrawl() {
  const sim = await openSim();
  const scratch = engine === 'postgres' ? await createScratchDatabase(pgUrl!, 'dp_bench_crawl') : undefined;
  const store = await openStore(scratch ? { databaseUrl: scratch.url } : { dataDir: path.join(work, 'db-crawl') });
  try {
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Bench', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    for (const m of sim.markets) {
      await configureMarketCrawl(store.db, { agencyId, slug: m.slug, startUrls: [m.url], loginPath: m.loginPath, loginFields: m.loginFields, delayMs: 0, concurrency, maxPages: 100_000, accounts: m.credentials.slice(0, 1).map((c) => ({ username: c.username, password: c.password })) });
    }
    let pages = 0;
    let bytes = 0;
    const jobs: Array<{ market: string; jobId: string }> = [];
    const timeline = new CommitTimeline();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuSeconds();
    const threads0 = threadsCpuSeconds();
    const gc = { count: 0, ms: 0 };
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gc.count++;
        gc.ms += e.duration;
      }
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    const t0 = performance.now();
    for (const m of sim.markets) {
      const s = await runCrawl({
        db: store.db,
        evidenceDir: path.join(work, 'ev-crawl'),
        proxy: sim.proxy.url,
        market: m.slug,
        commitTimeline: timeline,
        captcha: {
          pollMs: 5,
          onParked: async ({ id, imageUrl }) => {
            const cid = /\/captcha\/([0-9a-f]+)\.png/.exec(imageUrl)?.[1] ?? '';
            await solveCaptcha(store.db, id, (await sim.peekCaptchaAnswer(m.slug, cid)) ?? '?', 'bench');
          },
        },
      });
      pages += s.pages;
      bytes += s.bytes;
      jobs.push({ market: m.slug, jobId: s.jobId });
    }
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const mainCpu = mainThreadCpuSeconds() - main0;
    gcObserver.disconnect();
    // Every thread's CPU over the crawl, most first (≥ 0.05 s): on PGlite the engine's thread is the largest after the
    // main thread; the rest are V8's (GC, compilation) and the libuv pool's (gzip of large records, fsync).
    const threads1 = threadsCpuSeconds();
    const threadCpuSeconds = [...threads1].map(([tid, s]) => s - (threads0.get(tid) ?? 0)).filter((s) => s >= 0.05).sort((a, b) => b - a).map((s) => round(s, 2));
    const warcBytes = readdirSync(path.join(work, 'ev-crawl')).reduce((n, f) => n + statSync(path.join(work, 'ev-crawl', f)).size, 0);
    const pagesPerSec = pages / secs;
    const plain = await refetch(store, sim.proxy.url, jobs);
    const floor = await custodyFloor(store, sim.proxy.url, jobs);
    return {
      scale, sim: simMode, engine, concurrencyPerMarket: concurrency, pages, seconds: round(secs, 2), pagesPerSec: round(pagesPerSec), cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2), mainThreadCpuSeconds: round(mainCpu, 2), threadCpuSeconds, mainGc: { count: gc.count, ms: round(gc.ms) }, mbPerSec: round(mb(bytes) / secs, 2), responseMb: round(mb(bytes), 1), warcGzMb: round(mb(warcBytes), 1),
      plainFetch: plain, vsPlainFetch: round(plain.pagesPerSec / pagesPerSec, 2),
      // The custody floor's own ratio to the plain fetch (custody itself), and the crawl's to the floor (ours).
      custodyFloor: { ...floor, vsPlainFetch: round(plain.pagesPerSec / floor.pagesPerSec, 2) }, vsCustodyFloor: round(floor.pagesPerSec / pagesPerSec, 2),
      // workersInRecord: the pages' time in recordExchange over the workers' time (concurrency × crawl seconds). A worker
      // holds up to two pages in commit at once (it fetches while its last page commits), so it can exceed 1.
      commitTimeline: { ...timeline.summary(), workersInRecord: round(timeline.recordMs / (concurrency * secs * 1000), 2) }, output: await crawlOutput(store.db),
    };
  } finally {
    await store.close();
    await scratch?.drop();
    await sim.stop();
  }
}

/**
 * The crawl's stored URLs (its done frontier entries) fetched again through the same proxy, with the market account's
 * session cookie, `concurrency` at a time per market, markets one after the other like the crawl. The plain fetch
 * (no `keep`) parses, writes and stores nothing. With `keep` (the custody floor) each page is handed to it and, like
 * the crawler's workers, a worker fetches its next page while its last one is kept, then waits for that one.
 */
async function refetch(store: Awaited<ReturnType<typeof openStore>>, proxyUrl: string, jobs: Array<{ market: string; jobId: string }>, keep?: (url: string, res: SocksResponse) => Promise<void>) {
  const proxy = parseProxyUrl(proxyUrl);
  let pages = 0;
  let failed = 0;
  let bytes = 0;
  let secs = 0;
  let cpuSecs = 0;
  for (const { market, jobId } of jobs) {
    const urls = (await store.db.selectFrom('crawl_frontier').select('url').where('job_id', '=', jobId).where('state', '=', 'done').orderBy('id').execute()).map((r) => r.url);
    const account = await store.db.selectFrom('crawl_accounts as a').innerJoin('crawl_markets as c', 'c.market_id', 'a.market_id').innerJoin('markets as m', 'm.id', 'c.market_id').select('a.cookies').where('m.slug', '=', market).executeTakeFirst();
    const cookies = Object.entries((account?.cookies ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join('; ');
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      let keeping: Promise<void> | undefined;
      while (next < urls.length) {
        const url = urls[next++] as string;
        let res: SocksResponse;
        try {
          res = await socksFetch(new URL(url), { proxy, isolationUsername: `dp-${market}`, headers: cookies ? { Cookie: cookies } : {}, timeoutMs: 60_000 });
        } catch {
          failed++;
          continue;
        }
        pages++;
        bytes += res.rawResponse.length;
        if (!keep) continue;
        const earlier = keeping;
        keeping = keep(url, res);
        keeping.catch(() => undefined); // thrown where it is awaited
        await earlier;
      }
      await keeping;
    }));
    secs += (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    cpuSecs += (cpu.user + cpu.system) / 1e6;
  }
  return { pages, failed, seconds: round(secs, 2), cpuSeconds: round(cpuSecs, 2), pagesPerSec: round(pages / secs), mbPerSec: round(mb(bytes) / secs, 2) };
}

/** The custody floor (bench/custody-floor.ts) over the same URLs, into the crawl's store, WARC files of its own. */
async function custodyFloor(store: Awaited<ReturnType<typeof openStore>>, proxyUrl: string, jobs: Array<{ market: string; jobId: string }>) {
  const floor = await CustodyFloor.open(store.db, path.join(work, 'ev-floor'));
  try {
    const fetched = await refetch(store, proxyUrl, jobs, (url, res) => floor.keep(url, res));
    return { ...fetched, groups: floor.groups, pagesPerGroup: round(floor.pages / Math.max(1, floor.groups)) };
  } finally {
    await floor.close();
  }
}

try {
  if (only === 'crawl') {
    console.log(JSON.stringify({ crawlToEvidence: await benchCrawl() }));
  } else {
    const dump = await benchDump();
    const mariadb = await benchMariadb(dump.file, dump.bytes).catch((e: Error) => ({ skipped: e.message }));
    const crawl = await benchCrawl();
    console.log(JSON.stringify({ crawlToEvidence: crawl, dumpImport: { dumpScale, dumpMb: round(mb(dump.bytes), 2), darkpatrol: dump.darkpatrol, mariadb } }));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * CPU seconds of the main thread alone (the crawler's event loop), from /proc (Linux; NaN elsewhere): process.cpuUsage
 * also counts worker threads (the embedded engine's, store/pglite-worker.ts) and the libuv pool (gzip).
 */
function mainThreadCpuSeconds(): number {
  return procCpuSeconds(`/proc/self/task/${process.pid}/stat`) ?? Number.NaN;
}

/** CPU seconds of each thread of this process by thread id, from /proc (Linux; empty elsewhere). */
function threadsCpuSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = procCpuSeconds(`/proc/self/task/${tid}/stat`);
    if (s !== undefined) out.set(tid, s);
  }
  return out;
}
