import { resolve } from 'node:path';

export interface StoreOptions {
  /** A PostgreSQL server, e.g. postgres://user:pass@127.0.0.1:5432/darkpatrol. Wins over dataDir. */
  databaseUrl?: string;
  /** Where the embedded database (PGlite) keeps its files; created on first run. 'memory://' for none. */
  dataDir?: string;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** Connections in the pool for a PostgreSQL server (default 10). PGlite always uses one. */
  poolSize?: number;
  /** Start the embedded database from this data-directory dump (tests use a migrated template). */
  pgliteLoadDataDir?: Blob;
  /**
   * Where the embedded engine runs: 'worker' (default), a worker thread of its own, so its CPU leaves the caller's
   * event loop; 'main', on the caller's thread. DARKPATROL_PGLITE_THREAD sets the default.
   */
  pgliteThread?: 'main' | 'worker';
}

export const DEFAULT_DATA_DIR = '.darkpatrol/data';

export type ResolvedStoreConfig =
  | { engine: 'postgres'; databaseUrl: string; poolSize: number; migrate: boolean }
  | { engine: 'pglite'; dataDir: string; migrate: boolean; thread: 'main' | 'worker' };

/** Options first, then DATABASE_URL / DARKPATROL_DATA_DIR from the environment, then the default directory. */
export function resolveStoreConfig(opts: StoreOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedStoreConfig {
  const migrate = opts.migrate ?? true;
  const databaseUrl = opts.databaseUrl ?? (opts.dataDir ? undefined : env.DATABASE_URL);
  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new Error(`DATABASE_URL must start with postgres:// or postgresql:// (got "${redactUrl(databaseUrl)}")`);
    }
    return { engine: 'postgres', databaseUrl, poolSize: opts.poolSize ?? 10, migrate };
  }
  const dir = opts.dataDir ?? env.DARKPATROL_DATA_DIR ?? DEFAULT_DATA_DIR;
  const thread = opts.pgliteThread ?? env.DARKPATROL_PGLITE_THREAD ?? 'worker';
  if (thread !== 'main' && thread !== 'worker') throw new Error(`DARKPATROL_PGLITE_THREAD must be main or worker (got "${thread}")`);
  return { engine: 'pglite', dataDir: dir === 'memory://' ? dir : resolve(dir), migrate, thread };
}

/** For messages and logs: never print a password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
