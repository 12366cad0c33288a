import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { bulkInsert, canBatchReferenceChecks, type BulkColumn } from '../../src/store/index.ts';

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

  it('per-row checks stay outside a transaction (nothing to hold the parent locks)', async () => {
    await expect(bulkInsert(store.db, 'orders', cols, [[agencyId, marketId, 'y1', 2_000_000_001]], sql``, { batchedReferences: true })).rejects.toThrow(/foreign key/);
  });
});
