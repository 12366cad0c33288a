import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { importMysqlDump, SIM_SEIZED_MAPPING, type DumpImportSummary } from '../../src/collect/index.ts';
import { generateWorld } from '../../src/sim/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';

// A seized-dump import stopped by the database partway and run again on the same file: it resumes from the last
// committed statement and ends with exactly what an uninterrupted import of the same dump into a fresh store holds.
// The interruptions are real store failures (the server refusing a write, as on a full disk), raised by a trigger
// the test puts on the table and takes off again; the importer is not told anything.
//
// The sim dump is alphabetical: feedback, listings, messages, orders, users, vendors, wallets. Pass 2 imports
// listings … wallets (one checkpoint per statement), pass 3 the feedback, which names only its order. The first run
// fails on the wallets statement (orders committed, feedback not yet read); the second resumes past the orders, so
// feedback must find each order's listing, vendor and buyer from pass 1, and fails on the feedback insert; the
// third resumes past everything pass 2 imports and finishes.

describe(`resuming an interrupted seized-dump import (${testEngine})`, () => {
  let fresh: TestStore;
  let store: TestStore;
  let dir: string;
  let file: string;
  let full: DumpImportSummary;
  const runs: Array<DumpImportSummary | Error> = [];
  const positions: Array<{ position: number; state: string }> = [];
  const kept: Array<{ orders: number; feedback: number; wallets: number }> = [];

  const agencyOf = async (s: TestStore) => (await s.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  const refuse = async (s: TestStore, name: string, table: string, when: string) => {
    await sql.raw(`create trigger ${name} before insert on ${table} for each row when (${when}) execute function dp_test_refuse_write()`).execute(s.db);
  };
  const checkpoint = async (s: TestStore) => {
    const cps = await s.db.selectFrom('import_checkpoints').select(['position', 'state', 'rows']).where('kind', '=', 'dump').execute();
    expect(cps).toHaveLength(1);
    return cps[0]!;
  };
  const rowsKept = async (s: TestStore) => {
    const n = (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => q.executeTakeFirstOrThrow().then((r) => Number(r.n));
    return {
      orders: await n(s.db.selectFrom('orders').select((eb) => eb.fn.countAll().as('n'))),
      feedback: await n(s.db.selectFrom('feedback').select((eb) => eb.fn.countAll().as('n'))),
      wallets: await n(s.db.selectFrom('selector_sightings').select((eb) => eb.fn.countAll().as('n')).where('row_ref', 'like', 'wallets:%')),
    };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dp-dump-resume-'));
    const world = generateWorld({ seed: 'import-test', scale: 'tiny' });
    const seized = world.seized[0]!;
    file = path.join(dir, `${seized.market}.sql`);
    const chunks: string[] = [];
    dumpSeized(world, seized, (c) => chunks.push(c));
    writeFileSync(file, chunks.join(''));

    // The reference: one uninterrupted import into a fresh store.
    fresh = await openTestStore();
    full = await importMysqlDump({ db: fresh.db, evidenceDir: path.join(dir, 'warc-fresh'), agencyId: await agencyOf(fresh), file, mapping: SIM_SEIZED_MAPPING });

    store = await openTestStore();
    const agencyId = await agencyOf(store);
    await sql`create function dp_test_refuse_write() returns trigger language plpgsql as $$
      begin raise exception using errcode = 'disk_full', message = 'could not extend file: No space left on device'; end $$`.execute(store.db);
    const run = () => importMysqlDump({ db: store.db, evidenceDir: path.join(dir, 'warc'), agencyId, file, mapping: SIM_SEIZED_MAPPING }).catch((e: unknown) => e as Error);

    // Run 1: the wallets statement (after the orders) is refused.
    await refuse(store, 'refuse_wallets', 'selector_sightings', `new.row_ref like 'wallets:%'`);
    runs.push(await run());
    positions.push(await checkpoint(store));
    kept.push(await rowsKept(store));
    await sql`drop trigger refuse_wallets on selector_sightings`.execute(store.db);
    // Run 2: resumes, imports the wallets, and the feedback insert is refused.
    await refuse(store, 'refuse_feedback', 'feedback', 'true');
    runs.push(await run());
    positions.push(await checkpoint(store));
    kept.push(await rowsKept(store));
    await sql`drop trigger refuse_feedback on feedback`.execute(store.db);
    // Run 3: resumes and finishes; run 4 finds it done.
    runs.push(await run());
    positions.push(await checkpoint(store));
    runs.push(await run());
  }, 240_000);

  afterAll(async () => {
    await fresh?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Everything the dump put into a store, by the dump's own keys (no ids, no import times). */
  const contents = async (s: TestStore) => {
    const db = s.db;
    const market = await db.selectFrom('markets').select(['id', 'slug', 'kind']).where('kind', '=', 'seized_db').execute();
    expect(market).toHaveLength(1);
    const marketId = market[0]!.id;
    const accounts = await db.selectFrom('vendors').select(['handle', 'handle_norm', 'external_id', 'profile_text']).where('market_id', '=', marketId).orderBy('handle_norm').execute();
    const listings = await db
      .selectFrom('listings as l').leftJoin('vendors as v', 'v.id', 'l.vendor_id')
      .select(['l.external_id', 'v.external_id as vendor', 'l.title', 'l.description', 'l.category', 'l.quantity', 'l.unit', 'l.first_seen', 'l.last_seen'])
      .where('l.market_id', '=', marketId).orderBy('l.external_id').execute();
    const snapshots = await db
      .selectFrom('listing_snapshots as s').innerJoin('listings as l', 'l.id', 's.listing_id')
      .select(['l.external_id', 's.observed_at', 's.price', 's.currency', 's.price_usd', 's.ships_from', 's.ships_to'])
      .where('l.market_id', '=', marketId).orderBy('l.external_id').orderBy('s.observed_at').execute();
    const orders = await db
      .selectFrom('orders as o').leftJoin('vendors as v', 'v.id', 'o.vendor_id').leftJoin('listings as l', 'l.id', 'o.listing_id')
      .select(['o.external_id', 'l.external_id as listing', 'v.external_id as vendor', 'o.buyer', 'o.buyer_country', 'o.quantity', 'o.price', 'o.currency', 'o.ordered_at', 'o.status'])
      .where('o.market_id', '=', marketId).orderBy('o.external_id').execute();
    const messages = await db
      .selectFrom('messages as m').leftJoin('vendors as v', 'v.id', 'm.vendor_id')
      .select(['m.external_id', 'v.external_id as account', 'm.sender', 'm.recipient', 'm.thread', 'm.sent_at', 'm.body'])
      .where('m.market_id', '=', marketId).orderBy('m.external_id').execute();
    const feedback = await db
      .selectFrom('feedback as f').leftJoin('vendors as v', 'v.id', 'f.vendor_id').leftJoin('listings as l', 'l.id', 'f.listing_id')
      .select(['f.dedupe_key', 'v.external_id as vendor', 'v.handle as vendorHandle', 'l.external_id as listing', 'f.buyer', 'f.rating', 'f.body', 'f.hidden', 'f.left_at'])
      .where('f.market_id', '=', marketId).orderBy('f.dedupe_key').execute();
    const sightings = await db
      .selectFrom('selector_sightings as ss').innerJoin('selectors as sel', 'sel.id', 'ss.selector_id')
      .leftJoin('vendors as v', 'v.id', 'ss.vendor_id').leftJoin('listings as l', 'l.id', 'ss.listing_id').leftJoin('messages as m', 'm.id', 'ss.message_id')
      .select(['ss.source', 'ss.row_ref', 'sel.kind', 'sel.value', 'v.external_id as account', 'l.external_id as listing', 'm.external_id as message'])
      .where('ss.capture_id', 'in', db.selectFrom('captures').select('id').where('market_id', '=', marketId))
      .orderBy('ss.source').orderBy('ss.row_ref').orderBy('sel.kind').orderBy('sel.value').orderBy('v.external_id').execute();
    const captures = await db.selectFrom('captures').select(['kind', 'url', 'payload_sha256', 'payload_size']).where('market_id', '=', marketId).execute();
    return { market: market.map((x) => ({ slug: x.slug, kind: x.kind })), accounts, listings, snapshots, orders, messages, feedback, sightings, captures };
  };

  it('stops where the store refused, with the orders committed and no feedback yet, then resumes from there', async () => {
    const [r1, r2, r3, r4] = runs;
    expect(r1).toBeInstanceOf(Error);
    expect((r1 as Error).message).toMatch(/No space left on device/);
    expect(r2).toBeInstanceOf(Error);
    expect((r2 as Error).message).toMatch(/No space left on device/);
    // Each interrupted run left its position at the end of its last committed statement, still running.
    const text = readFileSync(file, 'utf8');
    const endOf = (table: string) => Buffer.byteLength(text.slice(0, text.indexOf(';\n', text.indexOf(`INSERT INTO \`${table}\``)) + 1));
    expect(positions[0]).toMatchObject({ position: endOf('orders'), state: 'running' });
    expect(positions[1]).toMatchObject({ position: endOf('wallets'), state: 'running' });
    expect(positions[2]).toMatchObject({ state: 'done' });
    // Run 1 kept every order and no wallet or feedback; run 2 added the wallets and still no feedback.
    expect(kept[0]).toEqual({ orders: full.counts.orders, feedback: 0, wallets: 0 });
    expect(kept[1]).toEqual({ orders: full.counts.orders, feedback: 0, wallets: full.counts.wallets });

    const s3 = r3 as DumpImportSummary;
    expect(s3).not.toBeInstanceOf(Error);
    expect(s3.alreadyImported).toBe(false);
    expect(s3.resumedFrom).toBeGreaterThan(0);
    expect(s3.resumedFrom).toBe(endOf('wallets'));
    // Nothing of pass 2 is left to do; pass 3 imports all the feedback.
    expect(s3.counts.listings).toBe(0);
    expect(s3.counts.orders).toBe(0);
    expect(s3.counts.feedback).toBe(full.counts.feedback);
    expect(s3.rows).toBe(full.rows);
    expect(s3.captureId).toBeGreaterThan(0);
    const s4 = r4 as DumpImportSummary;
    expect(s4.alreadyImported).toBe(true);
    expect(s4.captureId).toBe(s3.captureId);
  });

  it('ends with what an uninterrupted import of the same dump holds: accounts, listings, orders, messages, feedback with vendor, listing and buyer, sightings; nothing twice', async () => {
    const want = await contents(fresh);
    const got = await contents(store);
    // The reference is complete: every feedback row found its order's listing, vendor and buyer.
    expect(want.feedback.length).toBe(full.counts.feedback);
    expect(want.feedback.length).toBeGreaterThan(0);
    expect(want.feedback.every((f) => f.vendor !== null && f.listing !== null && !!f.buyer)).toBe(true);
    expect(want.accounts.length).toBe(full.counts.accounts);
    expect(want.listings.length).toBe(full.counts.listings);
    expect(want.orders.length).toBe(full.counts.orders);
    expect(want.sightings.some((x) => x.source === 'dump' && x.row_ref?.startsWith('wallets:'))).toBe(true);

    expect(got.accounts).toEqual(want.accounts);
    expect(got.listings).toEqual(want.listings);
    expect(got.snapshots).toEqual(want.snapshots);
    expect(got.orders).toEqual(want.orders);
    expect(got.messages).toEqual(want.messages);
    expect(got.feedback).toEqual(want.feedback);
    expect(got.sightings).toEqual(want.sightings);
    // The file was preserved once, not once per run.
    expect(got.captures).toEqual(want.captures);
    expect(got.market).toEqual(want.market);
  });
});
