import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';

/**
 * Runs `fn` on one connection inside a transaction in which every marked table (one with `agency_id` and `tlp`) is
 * shadowed by a temporary view holding only the rows the principal may read (the rule of access/policy.ts:
 * own agency, or CLEAR/GREEN), and the unmarked join tables by views over the visible rows they hang off. The
 * transaction is rolled back afterwards, so the views never outlive the call.
 *
 * Why: src/analyse (revenue, ranking) reads the tables by their plain names and knows nothing of agencies or TLP.
 * PostgreSQL resolves an unqualified table name in the session's temporary schema first, so analyse code run on
 * the scoped connection sees exactly what the caller may see — including every intermediate aggregate (class
 * medians, normalisation maxima), not just the final rows. Works the same on PGlite (one connection) and a server.
 *
 * `narrow` adds a further row filter to a table's view (a vendor page needs only that vendor's feedback).
 */
export async function withVisibleRows<T>(
  db: Kysely<Database>,
  p: Principal,
  fn: (scoped: Kysely<Database>) => Promise<T>,
  narrow: Partial<Record<string, RawBuilder<boolean>>> = {},
): Promise<T> {
  if (!Number.isSafeInteger(p.agencyId)) throw new Error('principal has no valid agency');
  const marked = await markedTables(db);
  return db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    try {
      const schema = marked.schema;
      const visible = p.role === 'partner' ? sql`false` : sql`(agency_id = ${sql.lit(p.agencyId)} or tlp in ('CLEAR', 'GREEN'))`;
      for (const t of marked.tables) {
        const extra = narrow[t] ? sql` and (${narrow[t]})` : sql``;
        await sql`create or replace temporary view ${sql.id(t)} as select * from ${sql.id(schema, t)} where ${visible}${extra}`.execute(conn);
      }
      // Unmarked tables that only make sense through a marked parent.
      await sql`create or replace temporary view identity_members as select m.* from ${sql.id(schema, 'identity_members')} m
        where m.identity_id in (select id from pg_temp.identities) and m.vendor_id in (select id from pg_temp.vendors)`.execute(conn);
      await sql`create or replace temporary view market_onions as select o.* from ${sql.id(schema, 'market_onions')} o
        where o.market_id in (select id from pg_temp.markets)`.execute(conn);
      return await fn(conn);
    } finally {
      await sql`rollback`.execute(conn);
    }
  });
}

/** Names what a principal may see (the same rows for every user of one agency): for keying shared reports. */
export function scopeKey(p: Principal): string {
  return p.role === 'partner' ? 'none' : `agency:${p.agencyId}`;
}

interface Marked {
  schema: string;
  tables: string[];
}

const cache = new WeakMap<Kysely<Database>, Promise<Marked>>();

/** Tables carrying both owner and marking, read from the catalogue once per store (migrations add more). */
function markedTables(db: Kysely<Database>): Promise<Marked> {
  let m = cache.get(db);
  if (!m) {
    m = sql<{ schema: string; table_name: string }>`
      select current_schema() as schema, c.table_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = current_schema() and c.column_name in ('agency_id', 'tlp')
      group by c.table_name having count(*) = 2 order by c.table_name`
      .execute(db)
      .then((r) => ({ schema: r.rows[0]?.schema ?? 'public', tables: r.rows.map((x) => x.table_name) }));
    m.catch(() => cache.delete(db));
    cache.set(db, m);
  }
  return m;
}
