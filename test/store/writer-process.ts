// A second process for the concurrency tests: opens the store (migrating if needed) and writes.
import { sql } from 'kysely';
import { appendAudit, openStore } from '../../src/store/index.ts';

const [url, dataDir, label, countArg] = process.argv.slice(2);
const count = Number(countArg ?? '0');
const store = await openStore(url && url !== '-' ? { databaseUrl: url } : { dataDir });
try {
  if (dataDir && (!url || url === '-')) {
    process.stdout.write('ready\n');
    await new Promise((r) => setTimeout(r, 60_000)); // hold the data directory until killed
  }
  const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', 'RACE').executeTakeFirstOrThrow();
  const market = await store.db.selectFrom('markets').select('id').where('slug', '=', 'race').executeTakeFirstOrThrow();
  for (let i = 0; i < count; i++) {
    const handle = `vendor${i % 50}`;
    await store.db
      .insertInto('vendors')
      .values({ agency_id: agency.id, market_id: market.id, handle, handle_norm: handle, first_seen: new Date(), last_seen: new Date() })
      .onConflict((oc) => oc.columns(['market_id', 'handle_norm']).doUpdateSet({ last_seen: sql`excluded.last_seen` }))
      .execute();
    await appendAudit(store.db, { agencyId: agency.id, userId: null, actor: `system:${label}`, action: 'race.write', objectId: String(i) });
  }
} finally {
  await store.close();
}
