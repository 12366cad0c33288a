/**
 * Bulk insert throughput of listing snapshots (the table that grows fastest: one row per listing per crawl),
 * through the one kysely code path, on the embedded PGlite and, when PG_BENCH_URL or DATABASE_URL is set, on a
 * PostgreSQL server. Prints one JSON document. Bounded: a fixed row count per engine.
 *
 *   npx tsx bench/store.bench.ts [--rows 200000] [--batch 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, openStore, type Store } from '../src/store/index.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const rows = arg('rows', 200_000);
const batch = arg('batch', 1000);
const LISTINGS = 10_000;

async function seed(store: Store): Promise<number[]> {
  const agency = await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Bench', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
  const market = await store.db.insertInto('markets').values({ agency_id: agency.id, slug: 'bench', name: 'Bench' }).returning('id').executeTakeFirstOrThrow();
  const now = new Date();
  const vendor = await store.db
    .insertInto('vendors')
    .values({ agency_id: agency.id, market_id: market.id, handle: 'v', handle_norm: 'v', first_seen: now, last_seen: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids: number[] = [];
  for (let i = 0; i < LISTINGS; i += batch) {
    const chunk = Array.from({ length: Math.min(batch, LISTINGS - i) }, (_, j) => ({
      agency_id: agency.id,
      market_id: market.id,
      vendor_id: vendor.id,
      external_id: `L${i + j}`,
      title: `10g cocaine 90% pure #${i + j}`,
      first_seen: now,
      last_seen: now,
    }));
    const r = await store.db.insertInto('listings').values(chunk).returning('id').execute();
    ids.push(...r.map((x) => x.id));
  }
  return ids;
}

async function measure(store: Store): Promise<{ rows: number; seconds: number; rowsPerSec: number; batch: number }> {
  const listingIds = await seed(store);
  const agencyId = (await store.db.selectFrom('agencies').select('id').where('code', '=', 'BENCH').executeTakeFirstOrThrow()).id;
  const base = Date.UTC(2024, 0, 1);
  const start = performance.now();
  for (let i = 0; i < rows; i += batch) {
    const chunk = Array.from({ length: Math.min(batch, rows - i) }, (_, j) => {
      const n = i + j;
      return {
        agency_id: agencyId,
        listing_id: listingIds[n % listingIds.length]!,
        observed_at: new Date(base + Math.floor(n / listingIds.length) * 86_400_000),
        price: 0.0123 + (n % 97) / 10_000,
        currency: 'BTC',
        price_usd: 512.5 + (n % 97),
        stock: n % 50,
        ships_from: 'NL',
        ships_to: ['EU', 'US'],
      };
    });
    await store.db.insertInto('listing_snapshots').values(chunk).execute();
  }
  const seconds = (performance.now() - start) / 1000;
  const count = (await store.db.selectFrom('listing_snapshots').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  if (count !== rows) throw new Error(`expected ${rows} rows, found ${count}`);
  return { rows, seconds: Number(seconds.toFixed(2)), rowsPerSec: Math.round(rows / seconds), batch };
}

const results: Record<string, unknown> = {};

const dir = mkdtempSync(join(tmpdir(), 'dp-bench-store-'));
try {
  const store = await openStore({ dataDir: join(dir, 'data') });
  try {
    results.pglite = await measure(store);
  } finally {
    await store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const serverUrl = process.env.PG_BENCH_URL ?? process.env.DATABASE_URL;
if (serverUrl) {
  const scratch = await createScratchDatabase(serverUrl, 'dp_bench');
  const store = await openStore({ databaseUrl: scratch.url });
  try {
    results.postgres = await measure(store);
  } finally {
    await store.close();
    await scratch.drop();
  }
} else {
  results.postgres = 'skipped: set PG_BENCH_URL to a PostgreSQL server';
}

console.log(JSON.stringify({ bench: 'store.bulk-insert.listing_snapshots', ...results }));
