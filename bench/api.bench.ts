/**
 * API latency under concurrent load at AlphaBay scale: generates markets, vendors, listings, snapshots and feedback
 * with set-based multi-row inserts, serves the API on 127.0.0.1, and drives it with autocannon (bounded duration and
 * connections). Every request is authorised (API token) and audited, as in production; the audit chain is verified
 * afterwards. Runs on the embedded PGlite and, with PG_BENCH_URL (a server where the role may create databases), on a
 * scratch database of that PostgreSQL server. Prints one JSON line.
 *
 * `--only <text>` keeps the scenarios whose name contains it; `--auth-cache both` measures each scenario with the
 * session/token cache off (every request looks its token up, as before it existed) and on, side by side.
 * `auditAppends` measures the hash-chained audit append alone: one caller at a time, then `connections` callers
 * at once (group commit: concurrent entries share a transaction).
 *
 * `loginFlood` (issue 16: "login not saturating the CPU"): GET /api/markets at `connections` connections alone, then
 * while `--login-clients` clients (one login in flight each) post logins as fast as they are answered — a valid
 * password, a wrong one, an unknown user in turn, the users' hashes at the production scrypt cost — first with the
 * password-hash cap off (`concurrent: Infinity`: libuv's 4 pool threads hash at once, as before the cap), then on
 * (DEFAULT_HASH_LIMIT); `--login-cap on|off|both` picks. The login rate limit stays as in production (30/minute per
 * client address, keyed by IP): each flooding client connects from its own loopback address (127.P.x.y, a fresh
 * range per phase so no phase inherits another's window). Prints the read route's p99 with and without the flood,
 * login answers by status, logins/s, login p50/p99, and the process CPU (cores busy) in each phase.
 *
 * Each scenario also reports this process's CPU per request (`cpu_ms_per_req`: the server and autocannon, and on
 * PGlite its engine thread; not the PostgreSQL server's) and `cores_busy`: steadier than latency on a loaded machine.
 *
 * `--warmup <s>` (default 2; 0 for none): each scenario is first driven unmeasured for that long, with the same
 * connections and URL generator, so no scenario pays for caches, plans or index state its predecessors did not leave.
 *
 * `--db <url>` measures on that PostgreSQL database instead of a scratch one (seeded only if it has no vendors yet;
 * never dropped): a database kept by `--keep-db` serves several runs (before/after a change) without re-seeding.
 *
 *   [PG_BENCH_URL=postgres://…] npx tsx bench/api.bench.ts [--vendors 40000] [--listings 350000] [--feedback 500000] [--duration 10] [--connections 16] [--only markets] [--login-clients 32] [--login-cap both] [--auth-cache on|off|both] [--warmup 2] [--vacuum true|false] [--pglite false] [--keep-db] [--db postgres://…]
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { buildServer, createApiToken, setAuthCacheTtl, AUTH_CACHE_TTL_MS, DEFAULT_HASH_LIMIT, hashPassword, passwordHashStats, setPasswordHashLimit } from '../src/server/index.ts';
import { appendAudit, createScratchDatabase, maintainAfterBulkWrite, openStore, refreshMarketCounts, verifyAuditChain, type Store } from '../src/store/index.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p97_5: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
}
interface Instance {
  on(ev: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, r: AutocannonResult) => void) => Instance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values: args } = parseArgs({
  options: {
    vendors: { type: 'string', default: '40000' },
    listings: { type: 'string', default: '350000' },
    feedback: { type: 'string', default: '500000' },
    markets: { type: 'string', default: '12' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    only: { type: 'string', default: '' },
    'auth-cache': { type: 'string', default: 'on' },
    pglite: { type: 'string', default: 'true' },
    'keep-db': { type: 'boolean', default: false },
    db: { type: 'string', default: '' },
    'login-clients': { type: 'string', default: '32' },
    'login-cap': { type: 'string', default: 'both' },
    warmup: { type: 'string', default: '2' },
    vacuum: { type: 'string', default: 'true' },
  },
});
const N = { vendors: Number(args.vendors), listings: Number(args.listings), feedback: Number(args.feedback), markets: Number(args.markets) };
const duration = Math.min(60, Number(args.duration));
const connections = Math.min(64, Number(args.connections));
/** Seconds of unmeasured requests before each scenario (same connections, same URLs): what a running server has seen. */
const warmup = Math.min(30, Math.max(0, Number(args.warmup)));

/** Seeds one store with AlphaBay-scale rows, serves the API and measures every scenario. */
async function measure(store: Store): Promise<Record<string, unknown>> {
  const loadAverageAtStart = Math.round(loadavg()[0]! * 10) / 10;
  const t0 = Date.now();
  const seeded = await store.db.selectFrom('vendors').select('id').limit(1).execute();
  if (seeded.length === 0) await store.execScript(`
insert into agencies (code, name, country) values ('BENCH', 'Bench agency', 'NL'), ('OTHER', 'Other agency', 'DE');
insert into markets (agency_id, tlp, slug, name, status) select 1, 'AMBER', 'm' || g, 'Market ' || g, 'up' from generate_series(1, ${N.markets}) g;
insert into vendors (agency_id, tlp, market_id, handle, handle_norm, profile_text, first_seen, last_seen)
  select case when g % 10 = 0 then 2 else 1 end, case when g % 10 = 0 then 'RED' else 'AMBER' end, 1 + g % ${N.markets},
    'vendor' || g, 'vendor' || g, 'Stealth shipping, escrow only, PGP ' || md5(g::text), now() - (g % 700) * interval '1 day', now() - (g % 30) * interval '1 day'
  from generate_series(1, ${N.vendors}) g;
insert into listings (agency_id, tlp, market_id, vendor_id, external_id, title, description, substance, first_seen, last_seen)
  select 1, 'AMBER', v.market_id, v.id, 'L' || g, (array['cocaine','MDMA','heroin','cannabis','ketamine','LSD','amphetamine'])[1 + g % 7] || ' ' || (1 + g % 100) || 'g ' || md5(g::text),
    'Lab tested, ships from ' || (array['NL','DE','BE','FR','GB'])[1 + g % 5], (array['cocaine','MDMA','heroin','cannabis','ketamine','LSD','amphetamine'])[1 + g % 7],
    now() - (g % 700) * interval '1 day', now() - (g % 30) * interval '1 day'
  from generate_series(1, ${N.listings}) g join vendors v on v.id = 1 + g % ${N.vendors};
insert into listing_snapshots (agency_id, tlp, listing_id, observed_at, price, currency, price_usd, ships_from, ships_to)
  select 1, 'AMBER', l.id, l.first_seen, 10 + l.id % 500, 'USD', 10 + l.id % 500, (array['NL','DE','BE','FR','GB'])[1 + l.id % 5], array[(array['US','AU','DE','FR','SE'])[1 + l.id % 5]]
  from listings l;
insert into feedback (agency_id, tlp, market_id, vendor_id, listing_id, rating, body, left_at, dedupe_key)
  select 1, 'AMBER', l.market_id, l.vendor_id, l.id, 5, 'fast', now() - (g % 700) * interval '1 day', 'f' || g
  from generate_series(1, ${N.feedback}) g join listings l on l.id = 1 + g % ${N.listings};
insert into identities (agency_id, tlp, label) select 1, 'AMBER', 'identity ' || g from generate_series(1, ${Math.floor(N.vendors / 4)}) g;
insert into identity_members (identity_id, vendor_id) select 1 + (g - 1) / 2, g from generate_series(1, ${Math.floor(N.vendors / 2)}) g;
insert into links (agency_id, tlp, vendor_a, vendor_b, score, evidence) select 1, 'AMBER', g, g + 1, round((0.5 + (g % 50) / 100.0)::numeric, 2), '[{"kind":"same_pgp_key"}]' from generate_series(1, ${Math.floor(N.vendors / 2)}, 2) g;
analyze;
`);
  // The bulk seed leaves its GIN index entries in each index's pending list (fastupdate), which every search through
  // that index then scans, and the planner, costing those pages, turns the vendor probe into a sequential scan
  // (27 ms instead of 0.9 ms for 40,000 handles). On PostgreSQL autovacuum merges them within about a minute (the idle
  // run of 2026-12-07: vendor search p50 150 ms until the vendors table's autovacuum, 25–35 ms after): vacuum here so no
  // scenario measures that first minute. On PGlite, which has no autovacuum, the pipeline's bulk writers vacuum the
  // searched tables themselves when they finish (maintainAfterBulkWrite): the seed does what they do. `--vacuum false`
  // keeps the lists (the state before either): docs/benchmarks.md, api7 and "vacuumed after bulk writes".
  const vacuum = args.vacuum !== 'false';
  if (seeded.length === 0 && vacuum) {
    if (store.engine === 'postgres') await store.execScript('vacuum');
    else await maintainAfterBulkWrite(store.db);
  }
  if (seeded.length === 0) await refreshMarketCounts(store.db); // what the pipeline does after writing rows
  const seedSeconds = (Date.now() - t0) / 1000;

  const { token } = await createApiToken(store.db, { agencyId: 1, name: 'bench', role: 'analyst', scopes: ['intel:read'] });
  const app = await buildServer({ store, webRoot: false, rateLimit: { max: 10_000_000 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const headers = { authorization: `Bearer ${token}` };
  let seq = 1;
  const rand = (n: number) => 1 + ((seq++ * 7919) % n);
  const terms = ['cocaine', 'mdma', 'heroin', 'ketamine'];

  // Deep pages of a frequent-term search, reached by following nextCursor (what the console's "more" does).
  const cursors: string[] = [];
  let next: string | null = null;
  for (let i = 0; i < 50; i++) {
    const r: Response = await fetch(`http://127.0.0.1:${port}/api/listings?q=cocaine&limit=20${next ? `&cursor=${next}` : ''}`, { headers });
    next = ((await r.json()) as { nextCursor: string | null }).nextCursor;
    if (!next) break;
    cursors.push(next);
  }

  const scenarios: Record<string, () => string> = {
    'GET /api/vendors?q= (handle)': () => `/api/vendors?q=vendor${rand(N.vendors)}&limit=20`,
    'GET /api/listings (newest)': () => `/api/listings?limit=50&marketId=${rand(N.markets)}`,
    'GET /api/listings?q= (frequent term)': () => `/api/listings?q=${terms[seq++ % terms.length]}&limit=20`,
    'GET /api/listings?q= (rare term)': () => `/api/listings?q=${createHash('md5').update(String(rand(N.listings))).digest('hex').slice(0, 6)}&limit=20`,
    'GET /api/listings?q=&cursor= (pages 2-51)': () => `/api/listings?q=cocaine&limit=20&cursor=${cursors[seq++ % Math.max(1, cursors.length)] ?? ''}`,
    'GET /api/search?q= (one box)': () => `/api/search?q=${terms[seq++ % terms.length]}&limit=10`,
    'GET /api/markets': () => '/api/markets',
    'GET /api/links?status=proposed': () => `/api/links?status=proposed&limit=50&offset=${rand(1000)}`,
    'GET /api/identities': () => `/api/identities?limit=50`,
    // Last: the profile runs src/analyse's revenue model, the heaviest read; anything it leaves queued then delays nobody.
    'GET /api/vendors/:id (profile)': () => `/api/vendors/${rand(N.vendors)}`,
  };

  // The limit, in the same process and run: a bare Fastify route returning 12 rows (the shape of GET /api/markets'
  // page, from memory: no auth, no audit, no database) on its own port.
  const twelve = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, slug: `m${i + 1}`, name: `Market ${i + 1}`, kind: 'market', status: 'up', tlp: 'AMBER', agency_id: 1, vendors: 3333, listings: 29166 }));
  const bare = Fastify();
  bare.get('/bare', async () => ({ items: twelve }));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const barePort = (bare.server.address() as { port: number }).port;

  const cacheModes = args['auth-cache'] === 'both' ? ['off', 'on'] : [args['auth-cache'] === 'off' ? 'off' : 'on'];
  const results: Record<string, unknown> = {};
  const runs: [string, string, () => string, number][] = [['bare Fastify route (limit)', 'on', () => '/bare', barePort]];
  for (const [scenario, path] of Object.entries(scenarios).filter(([n]) => n.includes(args.only))) for (const mode of cacheModes) runs.push([scenario, mode, path, port]);
  let limitP99 = 0;
  let profileColdMs: number | null = null;
  for (const [scenario, mode, path, runPort] of runs) {
    if (scenario.includes('(profile)') && profileColdMs === null) {
      // The first profile of a scope computes the whole revenue model (src/analyse, every visible sale; reused after,
      // and refreshed in the background: services/memo.ts): timed alone, so the load run measures the steady state.
      const t = performance.now();
      await fetch(`http://127.0.0.1:${port}/api/vendors/1`, { headers });
      profileColdMs = Math.round(performance.now() - t);
      console.error(`profile, cold revenue model: ${profileColdMs} ms`);
    }
    setAuthCacheTtl(mode === 'on' ? AUTH_CACHE_TTL_MS : 0);
    const name = cacheModes.length > 1 && runPort === port ? `${scenario} [auth cache ${mode}]` : scenario;
    if (warmup > 0)
      await new Promise<void>((resolve, reject) =>
        autocannon({ url: `http://127.0.0.1:${runPort}`, connections, duration: warmup, headers, requests: [{ method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }] }, (err) => (err ? reject(err) : resolve())),
      );
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    const r = await new Promise<AutocannonResult>((resolve, reject) => {
      const inst = autocannon(
        { url: `http://127.0.0.1:${runPort}`, connections, duration, headers, requests: [{ method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }] },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
      inst.on('response', (_c, _s, _b, ms) => times.push(ms));
    });
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    const pct = (q: number) => Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0) * 100) / 100;
    if (runPort === barePort) limitP99 = pct(0.99);
    // p99 over the bare route's p99 in the same run: how far the route is from what Fastify alone costs here.
    const vsLimit = runPort === barePort || !limitP99 ? 1 : Math.round((pct(0.99) / limitP99) * 10) / 10;
    results[name] = { rps: Math.round(r.requests.average), requests: r.requests.total, p50_ms: pct(0.5), p95_ms: pct(0.95), p99_ms: pct(0.99), p99_vs_limit: vsLimit, max_ms: r.latency.max, non2xx: r.non2xx, errors: r.errors, ...processCpu(cpu, r.requests.total) };
    console.error(`${name}: p99 ${pct(0.99)} ms, ${Math.round(r.requests.average)} req/s, process CPU ${(results[name] as { cpu_ms_per_req: number }).cpu_ms_per_req} ms per request`);
  }
  setAuthCacheTtl(AUTH_CACHE_TTL_MS);
  await bare.close();
  if ('loginFlood'.includes(args.only)) results.loginFlood = await loginFlood(store, port, headers);

  // The audit append alone: sequential callers, then `connections` callers at once (group commit).
  const auditAppends: Record<string, number> = {};
  for (const parallel of [1, connections]) {
    const total = parallel === 1 ? 200 : 200 * Math.max(1, Math.round(connections / 4));
    const t = performance.now();
    let i = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (i < total) {
          i++;
          await appendAudit(store.db, { agencyId: 1, userId: null, actor: 'system:bench', action: 'bench.append', detail: { i } });
        }
      }),
    );
    auditAppends[`callers_${parallel}_per_sec`] = Math.round(total / ((performance.now() - t) / 1000));
  }

  const audited = await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const chain = await verifyAuditChain(store.db);
  await app.close();
  return { seedSeconds, vacuumedAfterSeed: seeded.length === 0 ? vacuum : null, warmupSecondsPerScenario: warmup, profileColdMs, loadAverageAtStart, loadAverageAtEnd: Math.round(loadavg()[0]! * 10) / 10, auditEntries: audited.n, auditChainOk: chain.ok, auditAppends, results };
}

/**
 * This process's CPU over a scenario's measured seconds (server and autocannon: one Node thread each side of the
 * socket, the PostgreSQL server's not counted), per request: steadier than latency when the machine's load moves.
 */
function processCpu(cpu: NodeJS.CpuUsage, requests: number): { cpu_ms_per_req: number; cores_busy: number } {
  const ms = (cpu.user + cpu.system) / 1000;
  return { cpu_ms_per_req: Math.round((ms / Math.max(1, requests)) * 1000) / 1000, cores_busy: Math.round((ms / (duration * 1000)) * 100) / 100 };
}

/** Sorted-sample percentile, 2 decimals. */
function percentile(sorted: number[], q: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100;
}

/** One POST /api/auth/login from `localAddress` (a fresh connection, as a browser's login would often be). */
function postLogin(port: number, localAddress: string, username: string, password: string): Promise<number> {
  const body = JSON.stringify({ username, password });
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, localAddress, method: 'POST', path: '/api/auth/login', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** GET /api/markets alone, then under a login flood with the hash cap off and on (see the header). */
async function loginFlood(store: Store, port: number, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const clients = Math.min(500, Number(args['login-clients']));
  const password = 'flood password 0123456789';
  const hash = await hashPassword(password); // production scrypt parameters
  const run = Date.now().toString(36);
  const users = Array.from({ length: clients }, (_, i) => `flood-${run}-${i}`);
  await store.db.insertInto('users').values(users.map((username) => ({ agency_id: 1, username, display_name: username, role: 'analyst' as const, password_hash: hash }))).execute();
  const phases: Array<['alone' | 'cap off' | 'cap on', number]> = [['alone', 0]];
  if (args['login-cap'] !== 'on') phases.push(['cap off', 1]);
  if (args['login-cap'] !== 'off') phases.push(['cap on', 2]);
  const out: Record<string, unknown> = {
    clients,
    rateLimit: 'as in production: 30 logins/minute per client address; each client its own loopback address',
    cap: DEFAULT_HASH_LIMIT,
  };
  let aloneP99 = 0;
  for (const [phase, range] of phases) {
    setPasswordHashLimit(phase === 'cap off' ? { concurrent: Infinity, queued: Infinity } : DEFAULT_HASH_LIMIT);
    let stop = phase === 'alone';
    const statuses: Record<string, number> = {};
    const answered: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const flood = Array.from({ length: phase === 'alone' ? 0 : clients }, async (_, i) => {
      const ip = `127.${range}.${Math.floor(i / 250)}.${2 + (i % 250)}`;
      for (let k = 0; !stop; k++) {
        const kind = k % 3;
        const username = kind === 2 ? `nobody-${run}-${i}-${k}` : users[i]!;
        const t = performance.now();
        const status = await postLogin(port, ip, username, kind === 1 ? 'wrong password 0123456789' : password);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200 || status === 401) answered.push(performance.now() - t);
      }
    });
    const times: number[] = [];
    const r = await new Promise<AutocannonResult>((resolve, reject) => {
      const inst = autocannon({ url: `http://127.0.0.1:${port}`, connections, duration, headers, requests: [{ method: 'GET', path: '/api/markets' }] }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
      inst.on('response', (_c, _s, _b, ms) => times.push(ms));
    });
    stop = true;
    await Promise.all(flood);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    answered.sort((a, b) => a - b);
    const p99 = percentile(times, 0.99);
    if (phase === 'alone') aloneP99 = p99;
    const hashes = passwordHashStats();
    out[phase === 'alone' ? 'markets alone' : `markets under login flood, ${phase}`] = {
      markets_rps: Math.round(r.requests.average),
      markets_p50_ms: percentile(times, 0.5),
      markets_p99_ms: p99,
      markets_p99_vs_alone: aloneP99 ? Math.round((p99 / aloneP99) * 10) / 10 : 1,
      markets_non2xx: r.non2xx,
      cores_busy: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 100) / 100,
      ...(phase === 'alone'
        ? {}
        : {
            logins_checked_per_s: Math.round((answered.length / wallS) * 10) / 10,
            login_p50_ms: percentile(answered, 0.5),
            login_p99_ms: percentile(answered, 0.99),
            login_statuses: statuses,
            hashes_peak_in_flight: hashes.peakRunning,
            hashes_peak_waiting: hashes.peakWaiting,
          }),
    };
    console.error(`loginFlood ${phase}: markets p99 ${p99} ms, ${Math.round(r.requests.average)} req/s; logins ${JSON.stringify(statuses)}`);
  }
  setPasswordHashLimit();
  return out;
}

const out: Record<string, unknown> = { bench: 'api', rows: N, duration_s: duration, connections };
if (args.pglite !== 'false') {
  const pglite = await openStore({ dataDir: 'memory://' });
  try {
    out.pglite = await measure(pglite);
  } finally {
    await pglite.close();
  }
} else out.pglite = 'skipped: --pglite false';
const serverUrl = process.env.PG_BENCH_URL;
if (args.db) {
  const pg = await openStore({ databaseUrl: args.db });
  try {
    out.postgres = await measure(pg);
  } finally {
    await pg.close();
  }
} else if (serverUrl) {
  const scratch = await createScratchDatabase(serverUrl, 'dp_bench_api');
  const pg = await openStore({ databaseUrl: scratch.url });
  try {
    out.postgres = await measure(pg);
  } finally {
    await pg.close();
    if (args['keep-db']) console.error(`kept scratch database: ${scratch.url}`);
    else await scratch.drop();
  }
} else out.postgres = 'skipped: set PG_BENCH_URL to a PostgreSQL server';
console.log(JSON.stringify(out));
