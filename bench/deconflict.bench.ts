/**
 * De-confliction matching at scale: one agency holds `--registered` selectors (default 10 million) on its cases;
 * a second agency registers `--probes` selectors in batches through `registerCaseSelectors` (normalisation,
 * insert, selector and identity hit detection, audit), half of them already held. Reports selectors checked
 * per second and matches (hits) per second, on PostgreSQL (PG_BENCH_URL or DATABASE_URL) and on the embedded
 * PGlite with `--pglite-registered` (default 1 million: loading ten million rows into WASM PostgreSQL is a test
 * of patience, not of the matcher). Prints one JSON document on one line. Bounded by the counts given.
 *
 * The database's own limit is measured beside it in the same run, on the same table with the same probe batches:
 * one bare `select id from deconflict_selectors where kind = 'btc_address' and value = any($1)` per batch
 * (`limit.selectorsCheckedPerSec`, `limit.matchesPerSec`), i.e. finding the matches with nothing registered,
 * audited or notified, and one bare multi-row insert of the batch's rows (`limit.insertRowsPerSec`; every probe
 * is a new registration of the probing case, held elsewhere or not). `matchesVsLimit` compares the matcher with
 * the two together (lookup + insert of each batch).
 *
 *   npx tsx bench/deconflict.bench.ts [--registered 10000000] [--pglite-registered 1000000] [--probes 20000] [--batch 1000[,10000…]]
 *
 * `--pglite-registered 0` skips the PGlite run; `--keep-db` keeps the PostgreSQL scratch database (for EXPLAIN);
 * `--prewarm` reads the table and its indexes into the server's buffer pool first (pg_prewarm, PostgreSQL only);
 * `--sessions N` has N agencies register the matcher's batches at once (the bare limit stays one session).
 * `--reuse-db <name>` uses the PostgreSQL database of that name (prefix `dp_bench_deconflict_`), creating and loading
 * it only if its holder agency does not already hold `--registered` rows, and keeps it: loading 10M takes minutes,
 * so repeated runs reuse one load (each run registers its probes on new cases with new values; drop it after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { createScratchDatabase, openStore, type Store } from '../src/store/index.ts';
import { registerCaseSelectors } from '../src/deconflict/index.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer (0 skips a PGlite run)`);
  return v;
}

const registered = arg('registered', 10_000_000);
const pgliteRegistered = arg('pglite-registered', 1_000_000);
const probes = arg('probes', 20_000);
// `--batch 1000,10000` measures each batch size in turn on the same loaded table (one load for several sizes).
const batchSizes = (() => {
  const i = process.argv.indexOf('--batch');
  const list = (i >= 0 ? process.argv[i + 1]! : '1000').split(',').map(Number);
  if (!list.every((b) => Number.isInteger(b) && b > 0)) throw new Error('--batch must be positive integers, comma-separated');
  return list;
})();
const keepDb = process.argv.includes('--keep-db');
// `--prewarm` reads the table and its indexes into the server's buffer pool (pg_prewarm) before measuring: the steady
// state of a server that has been answering for a while, when its `shared_buffers` holds them (docs/benchmarks.md).
const prewarm = process.argv.includes('--prewarm');
// `--sessions N` (default 1): the matcher's batches registered by N agencies at once (the bare limit stays one session).
const sessions = Math.max(1, arg('sessions', 1));
const reuseDb = (() => {
  const i = process.argv.indexOf('--reuse-db');
  if (i < 0) return null;
  const name = process.argv[i + 1] ?? '';
  if (!/^dp_bench_deconflict_[a-z0-9_]+$/.test(name)) throw new Error('--reuse-db needs a name dp_bench_deconflict_<a-z0-9_>');
  return name;
})();
// Each run's probe cases and values are new (a reused database keeps the earlier runs' registrations).
const runTag = Date.now() % 1_000_000_000;
const CASES = 100;

const held = (i: number) => `bc1q${createHash('md5').update(String(i)).digest('hex')}`;

async function agencyIdFor(store: Store, code: string): Promise<number> {
  return (
    (await store.db.selectFrom('agencies').select('id').where('code', '=', code).executeTakeFirst())?.id ??
    (await store.db.insertInto('agencies').values({ code, name: code, country: 'NL', contact_point: `${code}@example.org` }).returning('id').executeTakeFirstOrThrow()).id
  );
}

async function measure(store: Store, n: number) {
  const holder = await agencyIdFor(store, 'HOLDER');
  const prober = await agencyIdFor(store, 'PROBER');
  const limitCase = (await store.db.insertInto('cases').values({ agency_id: prober, reference: `P-${runTag}-0`, title: 'limit', contact_point: 'p@x' }).returning('id').executeTakeFirstOrThrow()).id;
  const probeCase = (await store.db.insertInto('cases').values({ agency_id: prober, reference: `P-${runTag}-1`, title: 'probe', contact_point: 'p@x' }).returning('id').executeTakeFirstOrThrow()).id;
  const already = Number(
    (await sql<{ n: string }>`select count(*) as n from deconflict_selectors where agency_id = ${holder}`.execute(store.db)).rows[0]!.n,
  );
  if (already !== 0 && already !== n) throw new Error(`the reused database holds ${already} registrations, not ${n}`);
  const loadStart = performance.now();
  if (already === 0) await load(store, n, holder);
  const loadSeconds = already === 0 ? (performance.now() - loadStart) / 1000 : 0;
  const warmed = prewarm && store.engine === 'postgres' ? await prewarmTable(store) : undefined;
  return { ...(await run(store, n, prober, limitCase, probeCase, loadSeconds)), ...(warmed ? { prewarm: warmed } : {}) };
}

/** pg_prewarm of deconflict_selectors and its indexes; the pages read and the server's pool size, for the report. */
async function prewarmTable(store: Store) {
  await sql`create extension if not exists pg_prewarm`.execute(store.db);
  const start = performance.now();
  const r = await sql<{ pages: string }>`
    select sum(pg_prewarm(c.oid))::bigint as pages from pg_class c
    where c.oid = 'deconflict_selectors'::regclass
       or c.oid in (select indexrelid from pg_index where indrelid = 'deconflict_selectors'::regclass)`.execute(store.db);
  const pool = await sql<{ shared_buffers: string }>`select current_setting('shared_buffers') as shared_buffers`.execute(store.db);
  return { pages: Number(r.rows[0]!.pages), seconds: Number(((performance.now() - start) / 1000).toFixed(1)), sharedBuffers: pool.rows[0]!.shared_buffers };
}

async function load(store: Store, n: number, holder: number) {
  const cases = await store.db
    .insertInto('cases')
    .values(Array.from({ length: CASES }, (_, i) => ({ agency_id: holder, reference: `H-${i}`, title: `case ${i}`, contact_point: `desk${i}@holder.example` })))
    .returning('id')
    .execute();
  // Bulk load the way an operator would, server-side (`generate_series`, nothing through the client): the
  // table's secondary indexes, unique constraint and foreign keys are taken from the catalogue (so the load
  // follows whatever the migrations made), dropped, the rows inserted in the normalised form the application
  // writes (lowercase bech32), then everything rebuilt by sorting and the foreign keys validated in one join each.
  // One session, so its maintenance memory and asynchronous commit apply to every step.
  const pg = store.engine === 'postgres';
  await store.db.connection().execute(async (c) => {
    if (pg) {
      await sql`set maintenance_work_mem = '1GB'`.execute(c);
      await sql`set synchronous_commit = off`.execute(c);
    }
    const objects = await sql<{ kind: 'constraint' | 'index'; name: string; def: string }>`
      select 'constraint' as kind, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = 'deconflict_selectors'::regclass and contype in ('u', 'f')
      union all
      select 'index', i.relname, pg_get_indexdef(i.oid) from pg_index x join pg_class i on i.oid = x.indexrelid
      where x.indrelid = 'deconflict_selectors'::regclass and not x.indisprimary
        and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid and k.conrelid = x.indrelid)
      order by 1, 2`.execute(c);
    for (const o of objects.rows) {
      if (o.kind === 'constraint') await sql`alter table deconflict_selectors drop constraint ${sql.id(o.name)}`.execute(c);
      else await sql`drop index ${sql.id(o.name)}`.execute(c);
    }
    const step = 2_000_000;
    for (let from = 1; from <= n; from += step) {
      const to = Math.min(n, from + step - 1);
      await sql`
        insert into deconflict_selectors (case_id, agency_id, kind, value)
        select ${cases[0]!.id}::int + (i % ${CASES}), ${holder}::int, 'btc_address', 'bc1q' || md5(i::text)
        from generate_series(${from}::int, ${to}::int) as i`.execute(c);
    }
    for (const o of objects.rows) {
      if (o.kind === 'constraint') await sql.raw(`alter table deconflict_selectors add constraint "${o.name}" ${o.def}`).execute(c);
      else await sql.raw(o.def).execute(c);
    }
    await sql`analyze deconflict_selectors`.execute(c);
    if (pg) {
      await sql`reset maintenance_work_mem`.execute(c);
      await sql`reset synchronous_commit`.execute(c);
    }
  });
}

async function run(store: Store, n: number, prober: number, limitCase: number, probeCase: number, loadSeconds: number) {
  const runs = batchSizes.map((batch, i) => ({ batch, salt: runTag + 1 + 2 * i }));
  const out: Record<string, unknown>[] = [];
  for (const { batch, salt } of runs) {
    // The probe batches: every other probe is held (spread over the whole range), the rest are new. `salt` keeps
    // the limit's batches apart from the matcher's (same shape, other rows), so neither warms the other's pages.
    const batches = (tag: number) => {
      const list: { kind: string; value: string }[][] = [];
      let k = 0;
      for (let done = 0; done < probes; done += batch) {
        const size = Math.min(batch, probes - done);
        list.push(
          Array.from({ length: size }, (_, j) => {
            k++;
            const value = (done + j) % 2 === 0 ? held(1 + ((k * 7_919 + tag) % n)) : `bc1qprobe${tag}x${k.toString(16).padStart(26, '0')}`;
            return { kind: 'btc_address', value: value.toUpperCase() };
          }),
        );
      }
      return list;
    };

    // The limit: the same work the database must do at the least — find the held rows of each batch by value, and
    // write the batch's new rows — with nothing else around it.
    let limitHits = 0;
    let limitSeconds = 0;
    let insertSeconds = 0;
    let inserted = 0;
    for (const b of batches(salt)) {
      const values = b.map((s) => s.value.toLowerCase());
      const t = performance.now();
      const r = await sql<{ id: number }>`select id from deconflict_selectors where kind = 'btc_address' and value = any(${values}::text[])`.execute(store.db);
      limitSeconds += (performance.now() - t) / 1000;
      limitHits += r.rows.length;
      const t2 = performance.now();
      await sql`insert into deconflict_selectors (case_id, agency_id, kind, value) select ${limitCase}::int, ${prober}::int, 'btc_address', v from unnest(${values}::text[]) as v`.execute(store.db);
      insertSeconds += (performance.now() - t2) / 1000;
      inserted += values.length;
    }

    // `--sessions N`: N agencies register at once, each its share of the batches on its own case (one agency's calls
    // are serialised by its budget row, so concurrency comes from different agencies, as on a shared server).
    const workers = [{ agencyId: prober, caseId: probeCase }];
    for (let w = 1; w < sessions; w++) {
      const agencyId = await agencyIdFor(store, `PROBER${w + 1}`);
      const caseId = (await store.db.insertInto('cases').values({ agency_id: agencyId, reference: `P-${runTag}-${salt}-${w}`, title: 'probe', contact_point: 'p@x' }).returning('id').executeTakeFirstOrThrow()).id;
      workers.push({ agencyId, caseId });
    }
    const matcherBatches = batches(salt + 1);
    let hits = 0;
    const start = performance.now();
    await Promise.all(
      workers.map(async (w, wi) => {
        const actor = { agencyId: w.agencyId, userId: null, actor: 'system:bench' };
        for (let bi = wi; bi < matcherBatches.length; bi += workers.length) {
          // The per-agency registration budget (migration 0521) would refuse a benchmark's volume: lift it here only.
          const r = await registerCaseSelectors(store.db, actor, w.caseId, matcherBatches[bi]!, { budget: { capacity: 1e12, refillPerSecond: 1e12 } });
          hits += r.notices.length;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    out.push({
      probes,
      batch,
      ...(sessions > 1 ? { sessions } : {}),
      hits,
      seconds: Number(seconds.toFixed(2)),
      selectorsCheckedPerSec: Math.round(probes / seconds),
      matchesPerSec: Math.round(hits / seconds),
      limit: {
        hits: limitHits,
        seconds: Number(limitSeconds.toFixed(2)),
        insertSeconds: Number(insertSeconds.toFixed(2)),
        selectorsCheckedPerSec: Math.round(probes / limitSeconds),
        matchesPerSec: Math.round(limitHits / limitSeconds),
        insertRowsPerSec: Math.round(inserted / insertSeconds),
      },
      matchesVsLimit: Number((hits / seconds / (limitHits / (limitSeconds + insertSeconds))).toFixed(3)),
    });
  }
  const figures = { registered: n, loadSeconds: Number(loadSeconds.toFixed(1)) };
  return out.length === 1 ? { ...figures, ...out[0] } : { ...figures, byBatch: Object.fromEntries(out.map((o) => [String(o.batch), o])) };
}

/** The named database on the server, created (empty) if it does not exist yet. */
async function reusableDatabase(adminUrl: string, name: string): Promise<{ url: string; drop?: undefined }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString() };
}

const results: Record<string, unknown> = {};

if (pgliteRegistered > 0) {
  const dir = mkdtempSync(join(tmpdir(), 'dp-bench-deconflict-'));
  try {
    const store = await openStore({ dataDir: join(dir, 'data') });
    try {
      results.pglite = await measure(store, pgliteRegistered);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  results.pglite = 'skipped: --pglite-registered 0';
}

const serverUrl = process.env.PG_BENCH_URL ?? process.env.DATABASE_URL;
if (serverUrl) {
  const scratch = reuseDb ? await reusableDatabase(serverUrl, reuseDb) : await createScratchDatabase(serverUrl, 'dp_bench_deconflict');
  const store = await openStore({ databaseUrl: scratch.url });
  try {
    // The server's settings that decide the floor (docs/benchmarks.md "De-confliction at 10M on a tuned server").
    const settings = await sql<{ name: string; setting: string }>`
      select name, current_setting(name) as setting from pg_settings
      where name in ('shared_buffers', 'effective_cache_size', 'max_wal_size', 'checkpoint_timeout', 'wal_buffers',
                     'synchronous_commit', 'fsync', 'port')`.execute(store.db);
    results.postgres = { server: Object.fromEntries(settings.rows.map((r) => [r.name, r.setting])), ...(await measure(store, registered)) };
  } finally {
    await store.close();
    // `--keep-db` leaves the loaded database for EXPLAIN by hand (its URL goes to stderr); drop it after.
    if (keepDb || reuseDb) console.error(`kept ${scratch.url}`);
    else await scratch.drop?.();
  }
} else {
  results.postgres = 'skipped: set PG_BENCH_URL to a PostgreSQL server';
}

console.log(JSON.stringify({ bench: 'deconflict.matching', ...results }));
