import PgBoss from 'pg-boss';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { DEFAULT_RETRY_LIMIT, JOB_KINDS } from './kinds.ts';

/** pg-boss talks to the database through the store's own connection pool: one path to PostgreSQL or PGlite. */
export function bossDb(db: Kysely<Database>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      if (!/^\s*BEGIN\b/i.test(text)) {
        const r = await db.executeQuery(CompiledQuery.raw(text, values));
        return { rows: r.rows as unknown[] as never[] };
      }
      // pg-boss sends its schema setup as one "BEGIN; …; COMMIT;" script. If a statement fails, the connection is
      // left inside the aborted transaction; roll it back before the pool hands that connection to anyone else.
      return db.connection().execute(async (conn) => {
        try {
          const r = await conn.executeQuery(CompiledQuery.raw(text, values));
          return { rows: r.rows as unknown[] as never[] };
        } catch (err) {
          await conn.executeQuery(CompiledQuery.raw('ROLLBACK')).catch(() => undefined);
          throw err;
        }
      });
    },
  };
}

/**
 * How long pg-boss lets a job stay active before it fails it (pg-boss' own limit is under 24 h). Dead workers are
 * found much sooner by their heartbeat (worker.ts); this is only the backstop.
 */
export const EXPIRE_SECONDS = 23 * 3600;

/**
 * Errors of two processes setting pg-boss up at the same moment on a new database: "deadlock detected" between
 * two queue creations, or the loser's CREATE SCHEMA / CREATE TABLE hitting the winner's ("duplicate key value
 * violates unique constraint pg_namespace_nspname_index", "already exists"). The aborted transaction changed
 * nothing, and once the winner has committed the setup is there, so the loser simply starts again.
 */
const SETUP_RACE = new Set(['40P01', '23505', '42P06', '42P07', '42710']);

/**
 * Starts pg-boss on the store (creating its schema on first use) with one queue per job kind. Any number of
 * workers may start at once on a new database: a setup race is retried (see SETUP_RACE), and a pg-boss that failed
 * to start is stopped, since its timers would otherwise keep the process alive after the error is reported.
 */
export async function startBoss(db: Kysely<Database>): Promise<PgBoss> {
  for (let attempt = 1; ; attempt++) {
    const boss = new PgBoss({ db: bossDb(db), schedule: false, supervise: true, maintenanceIntervalSeconds: 60, expireInSeconds: EXPIRE_SECONDS } as PgBoss.ConstructorOptions);
    boss.on('error', (err) => process.emitWarning(`job queue: ${(err as Error).message}`));
    try {
      await boss.start();
      for (const kind of JOB_KINDS) {
        await boss.createQueue(kind, { name: kind, retryLimit: DEFAULT_RETRY_LIMIT[kind], expireInSeconds: EXPIRE_SECONDS });
      }
      return boss;
    } catch (err) {
      await boss.stop({ graceful: false, close: false, wait: true, timeout: 1000 }).catch(() => undefined);
      if (!SETUP_RACE.has((err as { code?: string }).code ?? '') || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 50 * attempt));
    }
  }
}
