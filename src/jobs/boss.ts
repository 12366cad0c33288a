import PgBoss from 'pg-boss';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { DEFAULT_RETRY_LIMIT, JOB_KINDS } from './kinds.ts';

/** pg-boss talks to the database through the store's own connection pool: one path to PostgreSQL or PGlite. */
export function bossDb(db: Kysely<Database>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const r = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: r.rows as unknown[] as never[] };
    },
  };
}

/**
 * How long pg-boss lets a job stay active before it fails it (pg-boss' own limit is under 24 h). Dead workers are
 * found much sooner by their heartbeat (worker.ts); this is only the backstop.
 */
export const EXPIRE_SECONDS = 23 * 3600;

/** Starts pg-boss on the store (creating its schema on first use) with one queue per job kind. */
export async function startBoss(db: Kysely<Database>): Promise<PgBoss> {
  const boss = new PgBoss({ db: bossDb(db), schedule: false, supervise: true, maintenanceIntervalSeconds: 60, expireInSeconds: EXPIRE_SECONDS } as PgBoss.ConstructorOptions);
  boss.on('error', (err) => process.emitWarning(`job queue: ${(err as Error).message}`));
  await boss.start();
  for (const kind of JOB_KINDS) {
    await boss.createQueue(kind, { name: kind, retryLimit: DEFAULT_RETRY_LIMIT[kind], expireInSeconds: EXPIRE_SECONDS });
  }
  return boss;
}
