import { createHash } from 'node:crypto';
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { MigrationChangedError, MigrationFailedError, SchemaTooNewError } from './errors.ts';

/** Serialises migrations across processes sharing one PostgreSQL server. */
const MIGRATION_LOCK_KEY = 7_304_221_001;

export interface MigrationReport {
  applied: number[];
  current: number;
}

export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.up).digest('hex');
}

/**
 * Applies the migrations this database lacks, each in its own transaction under an advisory lock: a failing
 * migration rolls back completely, and two processes starting at once apply each migration exactly once.
 */
export async function migrate(
  pool: pg.Pool,
  location: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`create table if not exists schema_migrations (
      id integer primary key, name text not null, checksum char(64) not null,
      applied_at timestamptz not null default now())`);
    const rows = (await client.query<{ id: number; checksum: string }>('select id, checksum from schema_migrations'))
      .rows;
    const done = new Map(rows.map((r) => [Number(r.id), r.checksum.trim()]));
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...done.keys()].filter((id) => !known.has(id)).sort((a, b) => a - b);
    if (unknown.length > 0) throw new SchemaTooNewError(unknown, location);

    for (const m of migrations) {
      const checksum = migrationChecksum(m);
      const prior = done.get(m.id);
      if (prior !== undefined) {
        if (prior !== checksum) throw new MigrationChangedError(m.id);
        continue;
      }
      try {
        await client.query('begin');
        await client.query(m.up);
        await client.query('insert into schema_migrations (id, name, checksum) values ($1, $2, $3)', [
          m.id,
          m.name,
          checksum,
        ]);
        await client.query('commit');
        applied.push(m.id);
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw new MigrationFailedError(m.id, m.name, err);
      }
    }
    return { applied, current: Math.max(0, ...migrations.map((m) => m.id)) };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
