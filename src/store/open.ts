import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { redactUrl, resolveStoreConfig, type StoreOptions } from './config.ts';
import { lockDataDir } from './lock.ts';
import { migrate, type MigrationReport } from './migrate.ts';
import { startPgliteWorker, type EmbeddedEngine } from './pglite-worker.ts';
import { installTypeParsers } from './pg-types.ts';
import type { Migration } from './migrations/index.ts';
import type { Database } from './schema.ts';

export interface Store {
  /** The one data-access path: the same kysely queries run on both engines. */
  readonly db: Kysely<Database>;
  readonly engine: 'pglite' | 'postgres';
  /** A printable location: the data directory, or the server URL without its password. */
  readonly location: string;
  /** What opening did to the schema. */
  readonly migrations: MigrationReport | null;
  /** Applies the given migrations (tools and tests; opening the store already applies the built-in ones). */
  runMigrations(migrations: readonly Migration[]): Promise<MigrationReport>;
  /** Runs a multi-statement SQL script (simple query protocol), e.g. for benchmarks and tools. */
  execScript(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The embedded engine behind a store's kysely handle (PGlite only), for the one thing its node-postgres adapter
 * cannot carry: `COPY … FROM '/dev/blob'` (bulkInsert's `copyBlob`). PGlite is one session, so a query made on it
 * runs inside whatever transaction the kysely handle has open.
 */
const engines = new WeakMap<Kysely<Database>, EmbeddedEngine>();
export function pgliteOf(db: Kysely<Database>): EmbeddedEngine | undefined {
  return engines.get(db);
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  installTypeParsers();
  const config = resolveStoreConfig(options);
  let pool: pg.Pool;
  let location: string;
  let release: () => Promise<void>;
  let embedded: EmbeddedEngine | undefined;

  if (config.engine === 'postgres') {
    pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
    location = redactUrl(config.databaseUrl);
    release = async () => undefined;
  } else {
    const inMemory = config.dataDir === 'memory://';
    let unlock = () => undefined as void;
    if (!inMemory) {
      mkdirSync(config.dataDir, { recursive: true });
      unlock = lockDataDir(config.dataDir);
    }
    let pglite: PGlite | Awaited<ReturnType<typeof startPgliteWorker>>;
    try {
      pglite = config.thread === 'worker'
        ? await startPgliteWorker(inMemory ? undefined : config.dataDir, options.pgliteLoadDataDir)
        : await PGlite.create(inMemory ? undefined : config.dataDir, {
          extensions: { pg_trgm },
          loadDataDir: options.pgliteLoadDataDir,
        });
    } catch (err) {
      unlock();
      throw new Error(`Could not open the embedded database at ${config.dataDir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    embedded = pglite;
    pool = new pg.Pool(createPgConfig(pglite as PGlite)); // the worker has the one method the adapter calls
    location = inMemory ? 'memory://' : config.dataDir;
    release = async () => {
      await pglite.close();
      unlock();
    };
  }
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead of crashing

  let migrations: MigrationReport | null = null;
  try {
    if (config.migrate) migrations = await migrate(pool, location);
  } catch (err) {
    await pool.end().catch(() => undefined);
    await release();
    throw err;
  }

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (embedded) engines.set(db, embedded);
  let closed = false;
  return {
    db,
    engine: config.engine,
    location,
    migrations,
    runMigrations: (list) => migrate(pool, location, list),
    async execScript(sql: string) {
      const client = await pool.connect();
      try {
        await client.query(sql);
      } finally {
        client.release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      await release();
    },
  };
}
