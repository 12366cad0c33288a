import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { bulkInsert, bulkInsertEncoded, canBatchReferenceChecks, canCopyFromStdin, encodeBatch, pgliteOf, type BulkColumn, type BulkOptions } from '../../src/store/index.ts';

// bulkInsert's batched foreign-key checks (batchedReferences): the same rows go in as with per-row checks, a row
// whose parent is missing fails the whole statement as a foreign-key violation would, and the session's per-row
// triggers are back on afterwards.

let store: TestStore;
let agencyId: number;
let marketId: number;
const cols: BulkColumn[] = [
  { name: 'agency_id', type: 'int' },
  { name: 'market_id', type: 'int' },
  { name: 'external_id', type: 'text' },
  { name: 'vendor_id', type: 'int' },
];

beforeAll(async () => {
  store = await openTestStore();
  agencyId = (await store.db.insertInto('agencies').values({ code: 'BULK', name: 'Bulk', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  marketId = (await store.db.insertInto('markets').values({ agency_id: agencyId, slug: 'bulk-market', name: 'Bulk market' }).returning('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await store?.close();
});

describe('bulkInsert with batched reference checks', () => {
  it('the test store may batch them (PGlite and the test server connect as superuser)', async () => {
    expect(await canBatchReferenceChecks(store.db)).toBe(true);
  });

  it('inserts rows whose parents exist, and restores per-row triggers', async () => {
    const vendorId = (await store.db.insertInto('vendors').values({ agency_id: agencyId, market_id: marketId, handle: 'v1', handle_norm: 'v1', first_seen: new Date(), last_seen: new Date() }).returning('id').executeTakeFirstOrThrow()).id;
    const role = await store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'o1', vendorId], [agencyId, marketId, 'o2', null], [agencyId, marketId, 'o3', vendorId]], sql``, { batchedReferences: true });
      return (await sql<{ r: string }>`select current_setting('session_replication_role') as r`.execute(trx)).rows[0]?.r;
    });
    expect(role).toBe('origin');
    const rows = await store.db.selectFrom('orders').select(['external_id', 'vendor_id']).where('market_id', '=', marketId).orderBy('external_id').execute();
    expect(rows.map((r) => [r.external_id, r.vendor_id])).toEqual([['o1', vendorId], ['o2', null], ['o3', vendorId]]);
  });

  it('a missing parent fails the insert and nothing of it is kept', async () => {
    const missing = 2_000_000_000;
    await expect(store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'x1', null], [agencyId, marketId, 'x2', missing]], sql``, { batchedReferences: true });
    })).rejects.toThrow(/vendor_id not present in vendors/);
    const n = await store.db.selectFrom('orders').select((eb) => eb.fn.countAll<string>().as('n')).where('external_id', 'in', ['x1', 'x2']).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('a trigger put on the table after earlier batches still fires (the table keeps its per-row triggers)', async () => {
    // The earlier cases inserted into orders without a trigger; now it has one, and the next batch must meet it.
    await sql`create function bulk_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by trigger'; end $$`.execute(store.db);
    await sql`create trigger bulk_test_refuse before insert on orders for each row execute function bulk_test_refuse()`.execute(store.db);
    try {
      await expect(store.db.transaction().execute(async (trx) => {
        await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 't1', null]], sql``, { batchedReferences: true });
      })).rejects.toThrow(/refused by trigger/);
    } finally {
      await sql`drop trigger bulk_test_refuse on orders`.execute(store.db);
    }
    await store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 't2', null]], sql``, { batchedReferences: true });
    });
    const ids = await store.db.selectFrom('orders').select('external_id').where('external_id', 'in', ['t1', 't2']).execute();
    expect(ids.map((r) => r.external_id)).toEqual(['t2']);
  });

  it('a foreign key added after earlier batches is checked (the table description is not cached)', async () => {
    // The first batch meets a table without foreign keys; then one is added. With session_replication_role = replica
    // a stale description would skip it and let an orphan row in.
    await sql`create table bulk_fk_parent (id int primary key)`.execute(store.db);
    await sql`create table bulk_fk_child (id int primary key, parent int)`.execute(store.db);
    const child: BulkColumn[] = [{ name: 'id', type: 'int' }, { name: 'parent', type: 'int' }];
    await store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'bulk_fk_child', child, [[1, 7]], sql``, { batchedReferences: true });
    });
    await sql`delete from bulk_fk_child`.execute(store.db);
    await sql`alter table bulk_fk_child add constraint bulk_fk_child_parent foreign key (parent) references bulk_fk_parent (id)`.execute(store.db);
    await expect(store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'bulk_fk_child', child, [[2, 7]], sql``, { batchedReferences: true });
    })).rejects.toThrow(/parent not present in bulk_fk_parent/);
    await sql`insert into bulk_fk_parent values (7)`.execute(store.db);
    await store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'bulk_fk_child', child, [[3, 7]], sql``, { batchedReferences: true });
    });
    const ids = (await sql<{ id: number }>`select id from bulk_fk_child order by id`.execute(store.db)).rows.map((r) => Number(r.id));
    expect(ids).toEqual([3]);
    await sql`drop table bulk_fk_child; drop table bulk_fk_parent`.execute(store.db);
  });

  it('per-row checks stay outside a transaction (nothing to hold the parent locks)', async () => {
    await expect(bulkInsert(store.db, 'orders', cols, [[agencyId, marketId, 'y1', 2_000_000_001]], sql``, { batchedReferences: true })).rejects.toThrow(/foreign key/);
  });
});

describe('a role that is not superuser (the fallback: per-row foreign-key checks)', () => {
  it('may not batch, inserts with the per-row checks, and a missing parent still fails', async () => {
    const role = `dp_bulk_plain_${process.pid}_${Date.now()}`;
    await sql`create role ${sql.id(role)} nologin nosuperuser`.execute(store.db);
    try {
      await sql`grant select, insert, update on all tables in schema public to ${sql.id(role)}`.execute(store.db);
      await sql`grant usage on all sequences in schema public to ${sql.id(role)}`.execute(store.db);
      const copy = await canCopyFromStdin(store.db);
      const may = await store.db.transaction().execute(async (trx) => {
        await sql`set local role ${sql.id(role)}`.execute(trx);
        const batch = await canBatchReferenceChecks(trx);
        // As the dump import passes it: batchedReferences only when allowed; COPY (server) does not need superuser.
        await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'n1', null], [agencyId, marketId, 'n2', null]], sql``, { batchedReferences: batch, copy });
        return batch;
      });
      expect(may).toBe(false);
      await expect(store.db.transaction().execute(async (trx) => {
        await sql`set local role ${sql.id(role)}`.execute(trx);
        await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'n3', 2_000_000_002]], sql``, { batchedReferences: false, copy });
      })).rejects.toThrow(/foreign key/);
      const rows = await store.db.selectFrom('orders').select('external_id').where('external_id', 'in', ['n1', 'n2', 'n3']).orderBy('external_id').execute();
      expect(rows.map((r) => r.external_id)).toEqual(['n1', 'n2']);
    } finally {
      await sql`drop owned by ${sql.id(role)}`.execute(store.db);
      await sql`drop role ${sql.id(role)}`.execute(store.db);
    }
  });
});

describe('bulkInsert by COPY into a staging table (copy; copyBlob on PGlite)', () => {
  it(`COPY FROM STDIN is available on a server only, PGlite has its engine for /dev/blob (${testEngine})`, async () => {
    expect(await canCopyFromStdin(store.db)).toBe(testEngine === 'postgres');
    expect(pgliteOf(store.db) !== undefined).toBe(testEngine === 'pglite');
  });
  // The server's COPY FROM STDIN, or PGlite's COPY FROM '/dev/blob' on the engine itself (what the dump import uses).
  const copy = (): BulkOptions => {
    const pglite = pgliteOf(store.db);
    return pglite ? { copyBlob: (text, data) => pglite.query(text, [], { blob: new Blob([data as unknown as BlobPart]) }) } : { copy: true };
  };

  it('stores the same values as unnest: escapes, NULL, arrays, dates, booleans; ON CONFLICT and RETURNING apply', async () => {
    const text = 'tab\there\nnew line\r\\ back\\slash \\N "quoted" {braces} é ✓';
    const lcols: BulkColumn[] = [
      { name: 'agency_id', type: 'int' }, { name: 'market_id', type: 'int' }, { name: 'external_id', type: 'text' }, { name: 'title', type: 'text' },
      { name: 'description', type: 'text' }, { name: 'quantity', type: 'numeric' }, { name: 'first_seen', type: 'timestamptz' }, { name: 'last_seen', type: 'timestamptz' },
    ];
    const at = new Date('2024-11-06T00:52:04.123Z');
    const rows = [[agencyId, marketId, 'c1', text, null, 2.5, at, at], [agencyId, marketId, 'c2', '', '\\N', null, at, at]];
    const tail = sql`on conflict (market_id, external_id) do update set title = excluded.title returning id, external_id`;
    const viaCopy = await store.db.transaction().execute((trx) => bulkInsert<{ id: number; external_id: string }>(trx, 'listings', lcols, rows, tail, { batchedReferences: true, ...copy() }));
    expect(viaCopy.map((r) => r.external_id).sort()).toEqual(['c1', 'c2']);
    const again = await store.db.transaction().execute((trx) => bulkInsert<{ id: number; external_id: string }>(trx, 'listings', lcols, [[agencyId, marketId, 'c1', 'renamed', null, 2.5, at, at]], tail, copy()));
    expect(again.map((r) => r.id)).toEqual(viaCopy.filter((r) => r.external_id === 'c1').map((r) => r.id));
    const got = await store.db.selectFrom('listings').select(['external_id', 'title', 'description', 'quantity', 'first_seen']).where('external_id', 'in', ['c1', 'c2']).orderBy('external_id').execute();
    expect(got.map((r) => [r.external_id, r.title, r.description, r.quantity === null ? null : Number(r.quantity), new Date(r.first_seen as unknown as string).toISOString()])).toEqual([
      ['c1', 'renamed', null, 2.5, at.toISOString()],
      ['c2', '', '\\N', null, at.toISOString()],
    ]);
    const listingId = viaCopy.find((r) => r.external_id === 'c1')!.id;
    const scols: BulkColumn[] = [{ name: 'agency_id', type: 'int' }, { name: 'listing_id', type: 'int' }, { name: 'observed_at', type: 'timestamptz' }, { name: 'price', type: 'numeric' }, { name: 'currency', type: 'text' }, { name: 'ships_to', type: 'text[]' }];
    await store.db.transaction().execute((trx) => bulkInsert(trx, 'listing_snapshots', scols, [[agencyId, listingId, at, 10, 'USD', ['NL', 'a,b', 'q"uote', 'back\\slash', 'tab\tx']]], sql`on conflict do nothing`, { batchedReferences: true, ...copy() }));
    const snap = await store.db.selectFrom('listing_snapshots').select(['ships_to']).where('listing_id', '=', listingId).executeTakeFirstOrThrow();
    expect(snap.ships_to).toEqual(['NL', 'a,b', 'q"uote', 'back\\slash', 'tab\tx']);
  });

  it('a missing parent still fails a COPY batch, and the session goes on', async () => {
    await expect(store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'k1', 2_000_000_003]], sql``, { batchedReferences: true, ...copy() });
    })).rejects.toThrow(/vendor_id not present in vendors/);
    await expect(store.db.transaction().execute(async (trx) => {
      await bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'k2', 2_000_000_004]], sql``, copy());
    })).rejects.toThrow(/foreign key/);
    await store.db.transaction().execute((trx) => bulkInsert(trx, 'orders', cols, [[agencyId, marketId, 'k3', null]], sql``, copy()));
    const n = await store.db.selectFrom('orders').select('external_id').where('external_id', 'in', ['k1', 'k2', 'k3']).execute();
    expect(n.map((r) => r.external_id)).toEqual(['k3']);
  });

  // The dump import's worker thread encodes a statement's rows (encodeBatch) and the main thread writes the bytes.
  it('an encoded batch stores what bulkInsert stores, checks its references, and fails on a missing parent', async () => {
    const vendorId = (await store.db.insertInto('vendors').values({ agency_id: agencyId, market_id: marketId, handle: 'enc', handle_norm: 'enc', first_seen: new Date(), last_seen: new Date() }).returning('id').executeTakeFirstOrThrow()).id;
    const rows = [[agencyId, marketId, 'e1', vendorId], [agencyId, marketId, 'e2', null], [agencyId, marketId, 'e1', vendorId]];
    const enc = encodeBatch(cols, rows);
    expect(enc.rows).toBe(3);
    expect(enc.distinct).toEqual({ agency_id: [String(agencyId)], market_id: [String(marketId)], vendor_id: [String(vendorId)] });
    const role = await store.db.transaction().execute(async (trx) => {
      await bulkInsertEncoded(trx, 'orders', cols, enc, sql`on conflict (market_id, external_id) do nothing`, { batchedReferences: true, ...copy() });
      return (await sql<{ r: string }>`select current_setting('session_replication_role') as r`.execute(trx)).rows[0]?.r;
    });
    expect(role).toBe('origin');
    const got = await store.db.selectFrom('orders').select(['external_id', 'vendor_id']).where('external_id', 'in', ['e1', 'e2']).orderBy('external_id').execute();
    expect(got.map((r) => [r.external_id, r.vendor_id])).toEqual([['e1', vendorId], ['e2', null]]);
    // A missing parent: by the batch's distinct values, and by the per-row check when the values are not given.
    await expect(store.db.transaction().execute((trx) => bulkInsertEncoded(trx, 'orders', cols, encodeBatch(cols, [[agencyId, marketId, 'e3', 2_000_000_005]]), sql``, { batchedReferences: true, ...copy() })))
      .rejects.toThrow(/vendor_id not present in vendors/);
    const noDistinct = { ...encodeBatch(cols, [[agencyId, marketId, 'e4', 2_000_000_006]]), distinct: {} };
    await expect(store.db.transaction().execute((trx) => bulkInsertEncoded(trx, 'orders', cols, noDistinct, sql``, { batchedReferences: true, ...copy() })))
      .rejects.toThrow(/foreign key/);
    const n = await store.db.selectFrom('orders').select('external_id').where('external_id', 'in', ['e3', 'e4']).execute();
    expect(n).toEqual([]);
    // Without COPY it refuses rather than writing some other way.
    await expect(store.db.transaction().execute((trx) => bulkInsertEncoded(trx, 'orders', cols, enc, sql``, {}))).rejects.toThrow(/needs COPY/);
  });
});
