/**
 * Seized-dump import benchmark (issue 16): the sim's seized market written as a mysqldump file, imported by
 * importMysqlDump into the embedded PGlite (on-disk data directory) and into a scratch database of a PostgreSQL
 * server (PG_BENCH_URL or DATABASE_URL), side by side in the same run with MariaDB's own client loading the same file
 * into a private mariadbd (temp data directory, unix socket only, stopped at the end).
 *
 * Rows/s for all three are the dump's row count (every INSERT row of every table, counted once before timing)
 * divided by wall seconds, so the ratios compare the same work: reading the whole dump into a database. Each
 * import runs in its own process, so its peak RSS is its own. After each import the imported result is summarised
 * (row counts, selectors, sightings and a digest of every selector's kind:value), so before → after runs show
 * that an optimisation did not change what is imported.
 *
 *   [PG_BENCH_URL=postgres://…] npx tsx bench/collect-dump.ts [--scale medium|large] [--seed bench-dump] [--cpu-prof DIR]
 *     [--engines pglite,postgres]
 * Each import reports wall seconds and CPU seconds: clientCpuSeconds of the import process (on PGlite the engine
 * runs in it; all its threads), mainThreadCpuSeconds of its main thread alone, serverCpuSeconds of its backends (a
 * local PostgreSQL server, read from /proc); MariaDB's serverCpuSeconds is mariadbd's during the load.
 * `postgresFloor` is PostgreSQL's own limit for the same result, beside MariaDB's: the rows the import wrote, dumped by
 * `pg_dump --data-only` (COPY statements) and loaded by `psql` into an empty database of the same schema (indexes,
 * foreign keys checked per row, triggers), timed like `mariadb < dump`. `pgliteFloor` is PGlite's own (pglite engine): the
 * rows its import wrote, read by `COPY … TO '/dev/blob'` and loaded by `COPY … FROM '/dev/blob'` into a fresh
 * database of the same schema, without per-row foreign-key checks (see pgliteFloorChild).
 * Prints one JSON document as its last line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { procCpuSeconds, statCpuSeconds } from './proc-cpu.ts';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createScratchDatabase, openStore, pgliteOf } from '../src/store/index.ts';
import { generateWorld, type ScalePreset } from '../src/sim/index.ts';
import { dumpSeized } from '../src/sim/exports/index.ts';
import { importMysqlDump, SIM_SEIZED_MAPPING } from '../src/collect/index.ts';
import { parseInsert, sqlStatements } from '../src/collect/import/sql-tokenizer.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mib = (b: number) => b / (1024 * 1024);

/**
 * CPU seconds spent by the server backends of `url`'s database while the import runs (a local server: read from
 * /proc): the backends are listed every 250 ms from a connection of their own, and each one's last seen CPU counts.
 */
function serverCpu(url: string): { stop: () => Promise<number | undefined> } {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a backend ended by the database's drop: the figure is then what was seen
  const seen = new Map<number, { start: number; last: number }>();
  let timer: NodeJS.Timeout | undefined;
  let ok = true;
  const poll = async () => {
    const r = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    for (const { pid } of r.rows) {
      const cpu = procCpuSeconds(`/proc/${pid}/stat`);
      if (cpu === undefined) { ok = false; continue; }
      const s = seen.get(pid);
      if (s) s.last = cpu;
      else seen.set(pid, { start: cpu, last: cpu });
    }
  };
  const ready = client.connect().then(poll).then(() => { timer = setInterval(() => void poll().catch(() => undefined), 250); });
  return {
    stop: async () => {
      await ready;
      clearInterval(timer);
      await poll();
      await client.end();
      return ok ? [...seen.values()].reduce((sum, s) => sum + s.last - s.start, 0) : undefined;
    },
  };
}

/** Child mode: one import into one engine, then a summary of what it imported. */
async function child(): Promise<void> {
  const file = arg('file', '');
  const url = arg('url', '');
  const dataDir = arg('data-dir', '');
  const store = await openStore(url ? { databaseUrl: url } : { dataDir });
  try {
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Bench', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    // Backends already open (the pool's) are counted from here; a server's CPU only where it runs on this machine.
    const server = url && ['127.0.0.1', 'localhost', '::1'].includes(new URL(url).hostname) ? serverCpu(url) : undefined;
    const cpu0 = process.cpuUsage();
    const main0 = procCpuSeconds('/proc/thread-self/stat');
    const t0 = performance.now();
    const s = await importMysqlDump({ db: store.db, evidenceDir: arg('evidence-dir', ''), agencyId, file, mapping: SIM_SEIZED_MAPPING });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const main1 = procCpuSeconds('/proc/thread-self/stat');
    // The main thread's share (the rest: worker threads, libuv's pool for the evidence copy, V8's GC helpers).
    const mainThreadCpuSeconds = main0 !== undefined && main1 !== undefined ? main1 - main0 : undefined;
    const clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
    const serverCpuSeconds = await server?.stop();
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const n = async (q: ReturnType<typeof sql<{ n: string }>>) => Number((await q.execute(store.db)).rows[0]?.n ?? 0);
    const m = s.marketId;
    const selectors = (await sql<{ kind: string; value: string }>`select kind, value from selectors where agency_id = ${agencyId} order by kind, value`.execute(store.db)).rows;
    const result = {
      vendors: await n(sql`select count(*) as n from vendors where market_id = ${m}`),
      listings: await n(sql`select count(*) as n from listings where market_id = ${m}`),
      snapshots: await n(sql`select count(*) as n from listing_snapshots s join listings l on l.id = s.listing_id where l.market_id = ${m}`),
      orders: await n(sql`select count(*) as n from orders where market_id = ${m}`),
      messages: await n(sql`select count(*) as n from messages where market_id = ${m}`),
      feedback: await n(sql`select count(*) as n from feedback where market_id = ${m}`),
      selectors: selectors.length,
      sightings: await n(sql`select count(*) as n from selector_sightings where capture_id = ${s.captureId}`),
      rejects: await n(sql`select count(*) as n from selector_rejects where capture_id = ${s.captureId}`),
      selectorDigest: createHash('sha256').update(selectors.map((x) => `${x.kind}:${x.value}`).join('\n')).digest('hex').slice(0, 16),
    };
    console.log(JSON.stringify({ seconds, clientCpuSeconds, mainThreadCpuSeconds, serverCpuSeconds, peakRssMb, importedRows: s.rows, counts: s.counts, result }));
  } finally {
    await store.close();
  }
}

/**
 * Child mode: PGlite's own floor for what the PGlite import wrote (`--floor-from`, its data directory). Every table
 * of the imported database is read by `COPY … TO '/dev/blob'` (untimed), then loaded into a fresh database at
 * `--data-dir` made by the product's migrations (its tables emptied first, untimed: the migrations' own rows come back
 * with the rest) by `COPY … FROM '/dev/blob'` on the engine, as the importer sends its batches, in one transaction
 * with `session_replication_role = replica`: indexes, unique and check constraints maintained, no foreign-key checks
 * and no triggers (as the unchecked PostgreSQL floor's `--disable-triggers`). The engine runs on the main thread;
 * wall seconds and process CPU of the load only.
 */
async function pgliteFloorChild(): Promise<void> {
  const from = await PGlite.create(arg('floor-from', ''), { extensions: { pg_trgm } });
  const tables = (await from.query<{ name: string }>("select quote_ident(relname) as name from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname")).rows.map((r) => r.name);
  const data: Array<{ table: string; blob: Blob; rows: number }> = [];
  for (const table of tables) {
    const r = await from.query(`COPY ${table} TO '/dev/blob'`);
    // An empty table's COPY gives no blob, and PGlite 0.5.16 spins on `COPY … FROM '/dev/blob'` without one: skipped.
    if (r.affectedRows) data.push({ table, blob: r.blob!, rows: r.affectedRows });
  }
  await from.close();
  const store = await openStore({ dataDir: arg('data-dir', ''), pgliteThread: 'main' });
  try {
    const engine = pgliteOf(store.db)!;
    const unchecked = async (load: () => Promise<void>) => {
      await engine.query('BEGIN');
      await engine.query('SET LOCAL session_replication_role = replica');
      await load();
      await engine.query('COMMIT');
    };
    // The append-only audit log's trigger refuses a TRUNCATE; in replica mode it does not fire.
    await unchecked(async () => void await engine.query(`TRUNCATE ${tables.join(', ')}`));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let rows = 0;
    await unchecked(async () => {
      for (const d of data) rows += (await engine.query(`COPY ${d.table} FROM '/dev/blob'`, [], { blob: d.blob })).affectedRows ?? 0;
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const expected = data.reduce((sum, d) => sum + d.rows, 0);
    if (rows !== expected) throw new Error(`PGlite floor loaded ${rows} rows of ${expected}`);
    console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, rows, tables: data.length }));
  } finally {
    await store.close();
  }
}

/** Runs this file as a child (`args` name its mode); its last output line, a JSON document. */
function runChild(name: string, args: string[], cpuProf: string): Record<string, unknown> {
  const prof = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`, `--cpu-prof-name=dump-${name}.cpuprofile`] : [];
  const r = spawnSync(process.execPath, [...prof, '--import', 'tsx', process.argv[1] as string, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`${name} failed (exit ${r.status}): ${r.stdout.slice(-500)}`);
  return JSON.parse(last) as Record<string, unknown>;
}

function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

/** `mariadb db < dump.sql` into a private mariadbd; wall seconds of the load only. */
async function mariadbLoad(work: string, file: string): Promise<{ version: string; seconds: number; serverCpuSeconds?: number; tableRows: number } | { skipped: string }> {
  const server = findBinary('mariadbd');
  const install = findBinary('mariadb-install-db');
  const client = findBinary('mariadb');
  if (!server || !install || !client) return { skipped: 'mariadbd, mariadb-install-db or mariadb missing (apt-get install mariadb-server mariadb-client)' };
  const dir = path.join(work, 'mariadb');
  const sock = path.join(dir, 'mysqld.sock');
  const user = userInfo().username;
  mkdirSync(dir, { recursive: true });
  const inst = spawnSync(install, ['--no-defaults', `--datadir=${path.join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${user}`], { encoding: 'utf8' });
  if (inst.status !== 0) return { skipped: `mariadb-install-db failed: ${inst.stderr.slice(0, 300)}` };
  const proc = spawn(server, ['--no-defaults', `--datadir=${path.join(dir, 'data')}`, `--socket=${sock}`, '--skip-networking', `--user=${user}`, `--pid-file=${path.join(dir, 'mysqld.pid')}`, '--innodb-buffer-pool-size=256M', `--log-error=${path.join(dir, 'error.log')}`], { stdio: 'ignore' });
  const cli = ['--no-defaults', '-S', sock, '-uroot'];
  try {
    for (let i = 0; i < 240 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 250));
    if (!existsSync(sock)) return { skipped: `mariadbd did not start; see ${path.join(dir, 'error.log')}` };
    const q = (db: string, query: string) => {
      const r = spawnSync(client, [...cli, '-N', '-B', ...(db ? [db] : []), '-e', query], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mariadb: ${r.stderr}`);
      return r.stdout.trim();
    };
    q('', 'CREATE DATABASE seized CHARACTER SET utf8mb4');
    const fd = openSync(file, 'r');
    const cpu0 = proc.pid ? procCpuSeconds(`/proc/${proc.pid}/stat`) : undefined;
    const t0 = performance.now();
    try {
      const r = spawnSync(client, [...cli, 'seized'], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8', timeout: 1_800_000 });
      if (r.status !== 0) throw new Error(`mariadb < dump failed: ${r.stderr.slice(0, 300)}`);
    } finally {
      closeSync(fd);
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = proc.pid ? procCpuSeconds(`/proc/${proc.pid}/stat`) : undefined;
    const serverCpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
    const tables = q('seized', 'SHOW TABLES').split('\n').filter(Boolean);
    const tableRows = tables.reduce((sum, t) => sum + Number(q('seized', `SELECT COUNT(*) FROM \`${t}\``)), 0);
    const version = spawnSync(server, ['--version'], { encoding: 'utf8' }).stdout.trim();
    return { version, seconds, serverCpuSeconds, tableRows };
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}

/** Runs a PostgreSQL client tool (pg_dump, psql); its output (unless sent to `stdout`); throws with its stderr when it fails. */
function pgTool(tool: string, args: string[], stdout?: number): string {
  const r = spawnSync(tool, args, { stdio: ['ignore', stdout ?? 'pipe', 'pipe'], encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${tool} failed (exit ${r.status}): ${(r.stderr ?? '').slice(0, 500)}`);
  return r.stdout ?? '';
}

/**
 * PostgreSQL's own floor for what the import wrote (see the header): `psql < pg_dump --data-only` of the imported
 * database into an empty one made from its `pg_dump --schema-only`; wall seconds of the load only, and its backend's
 * CPU. `checked`: foreign keys checked per row and triggers fired, as a plain restore does; `unchecked`: with
 * `--disable-triggers` (no per-row foreign-key checks, as MariaDB's dump loads with FOREIGN_KEY_CHECKS=0).
 */
async function postgresFloor(work: string, adminUrl: string, importedUrl: string, mode: 'checked' | 'unchecked'): Promise<{ seconds: number; serverCpuSeconds?: number }> {
  const schema = path.join(work, 'floor-schema.sql');
  const data = path.join(work, 'floor-data.sql');
  const dumpTo = (file: string, args: string[]) => {
    const fd = openSync(file, 'w');
    try {
      pgTool('pg_dump', [...args, '--no-owner', '--no-privileges', '-d', importedUrl], fd);
    } finally {
      closeSync(fd);
    }
  };
  dumpTo(schema, ['--schema-only']);
  dumpTo(data, ['--data-only', ...(mode === 'unchecked' ? ['--disable-triggers'] : [])]);
  // pg_dump empties search_path for the load; our trigger functions name their tables unqualified.
  writeFileSync(data, readFileSync(data, 'utf8').replace(/^SELECT pg_catalog\.set_config\('search_path', '', false\);$/m, ''));
  const target = await createScratchDatabase(adminUrl, 'dp_bench_floor');
  try {
    const psql = (...args: string[]) => pgTool('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-1', ...args, '-d', target.url]);
    psql('-f', schema);
    // The backend reads its own CPU before and after the load (same session; a superuser may read server files).
    const cpu = ['-c', "select pg_read_file('/proc/self/stat')"];
    const t0 = performance.now();
    const out = psql(...cpu, '-f', data, ...cpu).trim().split('\n');
    const seconds = (performance.now() - t0) / 1000;
    const [before, after] = [out[0], out.at(-1)].map((line) => (line?.includes(') ') ? statCpuSeconds(line) : undefined));
    return { seconds, ...(before !== undefined && after !== undefined ? { serverCpuSeconds: after - before } : {}) };
  } finally {
    await target.drop();
    rmSync(schema, { force: true });
    rmSync(data, { force: true });
  }
}

/** The first seized market of the world as a mysqldump file (the world is not kept: the parent stays small). */
function writeDump(work: string, seed: string, scale: ScalePreset): string {
  const world = generateWorld({ seed, scale });
  const seized = world.seized[0]!;
  const file = path.join(work, `${seized.market}.sql`);
  const chunks: string[] = [];
  dumpSeized(world, seized, (c) => chunks.push(c));
  writeFileSync(file, chunks.join(''));
  return file;
}

async function main(): Promise<void> {
  const scale = arg('scale', 'large') as ScalePreset;
  const seed = arg('seed', 'bench-dump');
  const cpuProf = arg('cpu-prof', '');
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), 'dp-bench-dump-'));
  try {
    const file = writeDump(work, seed, scale);
    const bytes = statSync(file).size;
    // The dump's rows, every table, counted once outside the timings (the work all three do).
    let dumpRows = 0;
    for await (const stmt of sqlStatements(file)) if (/^(INSERT|REPLACE)/i.test(stmt.text)) dumpRows += parseInsert(stmt)?.rows.length ?? 0;

    const maria = await mariadbLoad(work, file);
    const mariaRowsPerSec = 'seconds' in maria ? dumpRows / maria.seconds : undefined;
    const vsMariadb = (seconds: number) => (mariaRowsPerSec ? { vsMariadb: round(dumpRows / seconds / mariaRowsPerSec, 3) } : {});
    const figures = (r: Record<string, unknown>) => {
      const seconds = r.seconds as number;
      return {
        seconds: round(seconds, 2),
        rowsPerSec: round(dumpRows / seconds),
        mibPerSec: round(mib(bytes) / seconds, 2),
        ...vsMariadb(seconds),
        // CPU of the import process (PGlite: the engine too) and of its server backends (PostgreSQL, local server).
        clientCpuSeconds: round(r.clientCpuSeconds as number, 2),
        ...(typeof r.mainThreadCpuSeconds === 'number' ? { mainThreadCpuSeconds: round(r.mainThreadCpuSeconds, 2) } : {}),
        ...(typeof r.serverCpuSeconds === 'number' ? { serverCpuSeconds: round(r.serverCpuSeconds, 2) } : {}),
        peakRssMb: round(r.peakRssMb as number),
        imported: r.result,
      };
    };
    const engines = arg('engines', 'pglite,postgres').split(',');
    const importChild = (engine: string, target: string[]) => runChild(`${engine} import`, ['--child', '--file', file, '--evidence-dir', path.join(work, `ev-${engine}`), ...target], cpuProf);
    const pglite = engines.includes('pglite') ? figures(importChild('pglite', ['--data-dir', path.join(work, 'pglite')])) : 'skipped (--engines)';
    let pgliteFloor: unknown = pglite;
    if (engines.includes('pglite')) {
      const f = runChild('pglite floor', ['--pglite-floor', '--floor-from', path.join(work, 'pglite'), '--data-dir', path.join(work, 'pglite-floor')], '');
      pgliteFloor = { seconds: round(f.seconds as number, 2), ...vsMariadb(f.seconds as number), cpuSeconds: round(f.cpuSeconds as number, 2), rows: f.rows, tables: f.tables };
    }
    const serverUrl = process.env.PG_BENCH_URL ?? process.env.DATABASE_URL;
    let postgres: unknown = engines.includes('postgres') ? 'skipped: set PG_BENCH_URL to a PostgreSQL server' : 'skipped (--engines)';
    let floor: unknown = postgres;
    if (serverUrl && engines.includes('postgres')) {
      const scratch = await createScratchDatabase(serverUrl, 'dp_bench_dump');
      try {
        postgres = figures(importChild('postgres', ['--url', scratch.url]));
        const floorOf = async (mode: 'checked' | 'unchecked') => {
          const f = await postgresFloor(work, serverUrl, scratch.url, mode);
          return {
            seconds: round(f.seconds, 2),
            ...vsMariadb(f.seconds),
            ...(f.serverCpuSeconds !== undefined ? { serverCpuSeconds: round(f.serverCpuSeconds, 2) } : {}),
          };
        };
        floor = { checked: await floorOf('checked'), unchecked: await floorOf('unchecked') };
      } finally {
        await scratch.drop();
      }
    }
    console.log(JSON.stringify({
      bench: 'collect.dump',
      scale,
      seed,
      dumpMib: round(mib(bytes), 2),
      dumpRows,
      mariadb: 'seconds' in maria ? { version: maria.version, seconds: round(maria.seconds, 2), serverCpuSeconds: maria.serverCpuSeconds, rowsPerSec: round(mariaRowsPerSec!), tableRows: maria.tableRows } : maria,
      pglite,
      pgliteFloor,
      postgres,
      postgresFloor: floor,
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) await child();
else if (process.argv.includes('--pglite-floor')) await pgliteFloorChild();
else await main();
