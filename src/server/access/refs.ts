import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';
import { visibleSql } from './policy.ts';

/** Owned tables a row may point at by id. */
export type OwnedTable = 'captures' | 'identities' | 'vendors' | 'listings' | 'markets';

/**
 * A visible row may point at one the caller may not see (a GREEN vendor profile taken from an AMBER capture): the
 * id of that row is not the caller's to know, so it is answered as null. One query per referenced table.
 */
export async function hideInvisibleRefs<T extends object>(db: Kysely<Database>, p: Principal, rows: T[], refs: Partial<Record<keyof T & string, OwnedTable>>): Promise<T[]> {
  const entries = Object.entries(refs) as Array<[keyof T & string, OwnedTable]>;
  for (const [column, table] of entries) {
    const ids = [...new Set(rows.map((r) => (r as Record<string, unknown>)[column]).filter((v): v is number => typeof v === 'number'))];
    if (ids.length === 0) continue;
    const visible = await sql<{ id: number }>`select t.id from ${sql.table(table)} t where t.id = any(${ids}::int[]) and ${visibleSql(p, 't')}`.execute(db);
    const ok = new Set(visible.rows.map((r) => r.id));
    for (const r of rows) {
      const rec = r as Record<string, unknown>;
      if (typeof rec[column] === 'number' && !ok.has(rec[column] as number)) rec[column] = null;
    }
  }
  return rows;
}
