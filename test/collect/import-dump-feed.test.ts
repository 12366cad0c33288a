import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { ImportFormatError, importMysqlDump, SIM_SEIZED_MAPPING, type DumpImportSummary } from '../../src/collect/index.ts';
import { generateWorld } from '../../src/sim/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';

// Passes 2 and 3 of the seized-dump import are read, parsed and mapped on a worker thread (dump-feed.ts) while the
// main thread writes. The same import on the caller's thread (DARKPATROL_DUMP_THREAD=main) must store the same
// things, and a statement the worker cannot parse must fail as it did on the main thread: an ImportFormatError with
// the statement's line and byte offset, thrown after everything before it was committed.

describe(`the dump import's feed thread (${testEngine})`, () => {
  let dir: string;
  let text: string;
  const stores: TestStore[] = [];

  const agencyOf = async (s: TestStore) => (await s.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  const inMode = async <T>(mode: 'main' | 'worker', run: () => Promise<T>): Promise<T> => {
    const before = process.env.DARKPATROL_DUMP_THREAD;
    if (mode === 'main') process.env.DARKPATROL_DUMP_THREAD = 'main';
    else delete process.env.DARKPATROL_DUMP_THREAD;
    try {
      return await run();
    } finally {
      if (before === undefined) delete process.env.DARKPATROL_DUMP_THREAD;
      else process.env.DARKPATROL_DUMP_THREAD = before;
    }
  };
  const importInto = async (file: string, mode: 'main' | 'worker') => {
    const store = await openTestStore();
    stores.push(store);
    const agencyId = await agencyOf(store);
    const r = await inMode(mode, () => importMysqlDump({ db: store.db, evidenceDir: path.join(dir, `ev-${stores.length}`), agencyId, file, mapping: SIM_SEIZED_MAPPING }).catch((e: unknown) => e as Error));
    return { store, r };
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dp-dump-feed-'));
    const world = generateWorld({ seed: 'import-test', scale: 'tiny' });
    const chunks: string[] = [];
    dumpSeized(world, world.seized[0]!, (c) => chunks.push(c));
    text = chunks.join('');
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores the same on the worker thread as on the caller\'s thread', async () => {
    const file = path.join(dir, 'good.sql');
    writeFileSync(file, text);
    const a = await importInto(file, 'main');
    const b = await importInto(file, 'worker');
    const sa = a.r as DumpImportSummary;
    const sb = b.r as DumpImportSummary;
    expect(sa).not.toBeInstanceOf(Error);
    expect(sb).not.toBeInstanceOf(Error);
    expect(sb.counts).toEqual(sa.counts);
    expect(sb.rows).toBe(sa.rows);
    expect(sa.counts.orders).toBeGreaterThan(0);
    expect(sa.counts.feedback).toBeGreaterThan(0);
    const dump = async (s: TestStore) => ({
      orders: await s.db.selectFrom('orders as o').leftJoin('listings as l', 'l.id', 'o.listing_id').leftJoin('vendors as v', 'v.id', 'o.vendor_id')
        .select(['o.external_id', 'l.external_id as listing', 'v.external_id as vendor', 'o.buyer', 'o.buyer_country', 'o.quantity', 'o.price', 'o.ordered_at', 'o.status']).orderBy('o.external_id').execute(),
      messages: await s.db.selectFrom('messages as m').leftJoin('vendors as v', 'v.id', 'm.vendor_id').select(['m.external_id', 'v.external_id as account', 'm.sender', 'm.recipient', 'm.thread', 'm.sent_at', 'm.body']).orderBy('m.external_id').execute(),
      feedback: await s.db.selectFrom('feedback as f').leftJoin('vendors as v', 'v.id', 'f.vendor_id').leftJoin('listings as l', 'l.id', 'f.listing_id')
        .select(['f.dedupe_key', 'v.external_id as vendor', 'l.external_id as listing', 'f.buyer', 'f.rating', 'f.body', 'f.hidden', 'f.left_at']).orderBy('f.dedupe_key').execute(),
      sightings: await s.db.selectFrom('selector_sightings as ss').innerJoin('selectors as sel', 'sel.id', 'ss.selector_id').leftJoin('messages as m', 'm.id', 'ss.message_id').leftJoin('listings as l', 'l.id', 'ss.listing_id')
        .select(['ss.source', 'ss.row_ref', 'sel.kind', 'sel.value', 'sel.meta', 'm.external_id as message', 'l.external_id as listing']).orderBy('ss.source').orderBy('ss.row_ref').orderBy('sel.kind').orderBy('sel.value').execute(),
    });
    const [da, db] = [await dump(a.store), await dump(b.store)];
    expect(db.orders).toEqual(da.orders);
    expect(db.messages).toEqual(da.messages);
    expect(db.feedback).toEqual(da.feedback);
    expect(db.sightings).toEqual(da.sightings);
    expect(da.sightings.some((x) => x.source === 'message' && x.message !== null)).toBe(true);
  });

  it('a malformed messages statement fails with its line and offset, after the listings were committed', async () => {
    // Break a value in the first messages row (parsed by the feed thread in pass 2; pass 1 does not read messages).
    const at = text.indexOf('INSERT INTO `messages` VALUES (');
    expect(at).toBeGreaterThan(0);
    const open = at + 'INSERT INTO `messages` VALUES ('.length;
    const bad = `${text.slice(0, open)}1 garbage,${text.slice(open)}`;
    const file = path.join(dir, 'bad-messages.sql');
    writeFileSync(file, bad);
    const main = await importInto(file, 'main');
    const worker = await importInto(file, 'worker');
    for (const { store, r } of [main, worker]) {
      expect(r).toBeInstanceOf(ImportFormatError);
      const e = r as ImportFormatError;
      expect(e.line).toBe(bad.slice(0, at).split('\n').length);
      expect(e.message).toMatch(/expected "," or "\)" but found .*in INSERT INTO messages \(line \d+, byte offset \d+\)/);
      // The listings before it are committed (the checkpoint at their end); no message, no order.
      const cp = await store.db.selectFrom('import_checkpoints').select(['position', 'state']).where('kind', '=', 'dump').executeTakeFirstOrThrow();
      expect(cp.state).toBe('running');
      const lastListings = bad.lastIndexOf('INSERT INTO `listings`', at);
      expect(cp.position).toBe(Buffer.byteLength(bad.slice(0, bad.indexOf(';\n', lastListings) + 1)));
      const n = async (t: 'listings' | 'messages' | 'orders') => Number((await store.db.selectFrom(t).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      expect(await n('listings')).toBeGreaterThan(0);
      expect(await n('messages')).toBe(0);
      expect(await n('orders')).toBe(0);
    }
    const [em, ew] = [main.r as ImportFormatError, worker.r as ImportFormatError];
    expect([ew.message, ew.line, ew.offset]).toEqual([em.message, em.line, em.offset]);
  });

  it('a fresh market COPYed straight in and one with rows stored (ON CONFLICT) keep the first of duplicate keys alike', async () => {
    // An order repeated later in its statement with another date (its last column), and the first feedback and the
    // first messages statements twice.
    const ordersAt = text.indexOf('INSERT INTO `orders` VALUES (');
    const open = ordersAt + 'INSERT INTO `orders` VALUES '.length;
    const first = text.slice(open, text.indexOf('),(', open) + 1);
    const lastQuote = first.lastIndexOf("'", first.lastIndexOf("'") - 1);
    const changed = `${first.slice(0, lastQuote)}'2001-01-01 00:00:00')`;
    const ordersEnd = text.indexOf(';\n', ordersAt);
    let dup = `${text.slice(0, ordersEnd)},${changed}${text.slice(ordersEnd)}`;
    const fbAt = dup.indexOf('INSERT INTO `feedback` VALUES (');
    const fbEnd = dup.indexOf(';\n', fbAt) + 2;
    dup = `${dup.slice(0, fbEnd)}${dup.slice(fbAt, fbEnd)}${dup.slice(fbEnd)}`;
    const msAt = dup.indexOf('INSERT INTO `messages` VALUES (');
    const msEnd = dup.indexOf(';\n', msAt) + 2;
    dup = `${dup.slice(0, msEnd)}${dup.slice(msAt, msEnd)}${dup.slice(msEnd)}`;
    const file = path.join(dir, 'dups.sql');
    writeFileSync(file, dup);
    const slug = 'dups-seized';

    const fresh = await importInto(file, 'worker');
    // The same dump into a store where the market already holds an order, a message and a feedback row of its own.
    const store = await openTestStore();
    stores.push(store);
    const agencyId = await agencyOf(store);
    const marketId = (await store.db.insertInto('markets').values({ agency_id: agencyId, slug, name: slug, kind: 'seized_db' }).returning('id').executeTakeFirstOrThrow()).id;
    await store.db.insertInto('orders').values({ agency_id: agencyId, market_id: marketId, external_id: 'stored-before' }).execute();
    await store.db.insertInto('feedback').values({ agency_id: agencyId, market_id: marketId, dedupe_key: 'stored-before', body: 'x' }).execute();
    await store.db.insertInto('messages').values({ agency_id: agencyId, market_id: marketId, external_id: 'stored-before' }).execute();
    const stored = await importMysqlDump({ db: store.db, evidenceDir: path.join(dir, 'ev-dups'), agencyId, file, mapping: SIM_SEIZED_MAPPING });

    const sf = fresh.r as DumpImportSummary;
    expect(sf).not.toBeInstanceOf(Error);
    expect(stored.counts).toEqual(sf.counts);
    expect(stored.rows).toBe(sf.rows);
    const contents = async (s: TestStore) => ({
      orders: await s.db.selectFrom('orders').select(['external_id', 'status', 'buyer', 'price', 'ordered_at']).where('external_id', '<>', 'stored-before').orderBy('external_id').execute(),
      feedback: await s.db.selectFrom('feedback').select(['dedupe_key', 'body', 'rating', 'buyer', 'left_at']).where('dedupe_key', '<>', 'stored-before').orderBy('dedupe_key').execute(),
      messages: await s.db.selectFrom('messages as m').leftJoin('vendors as v', 'v.id', 'm.vendor_id').select(['m.external_id', 'v.external_id as account', 'm.sender', 'm.recipient', 'm.thread', 'm.sent_at', 'm.body']).where('m.external_id', '<>', 'stored-before').orderBy('m.external_id').execute(),
      sightings: await s.db.selectFrom('selector_sightings as ss').innerJoin('selectors as sel', 'sel.id', 'ss.selector_id').leftJoin('messages as m', 'm.id', 'ss.message_id')
        .select(['ss.source', 'ss.row_ref', 'sel.kind', 'sel.value', 'm.external_id as message']).orderBy('ss.source').orderBy('ss.row_ref').orderBy('sel.kind').orderBy('sel.value').execute(),
    });
    const [a, b] = [await contents(fresh.store), await contents(store)];
    expect(b).toEqual(a);
    // The fresh market's orders went straight in (no staging table of theirs in any session; the repeated order was
    // dropped within its statement), and so did its feedback and messages but for the repeated statements, whose keys
    // were stored: their COPY failed on the unique index and they went through ON CONFLICT; the other market's all
    // through their staging tables (pg_class lists every session's temporary tables).
    const stages = async (s: TestStore) => (await sql<{ relname: string }>`select relname from pg_class where relpersistence = 't' and (relname like 'bulk_stage_orders%' or relname like 'bulk_stage_feedback%' or relname like 'bulk_stage_messages%') order by relname`.execute(s.db)).rows.map((r) => r.relname.replace(/_[0-9a-f]{8}$/, ''));
    expect(await stages(fresh.store)).toEqual(['bulk_stage_feedback', 'bulk_stage_messages']);
    expect(await stages(store)).toEqual(['bulk_stage_feedback', 'bulk_stage_messages', 'bulk_stage_orders']);
    // The first of the repeated order kept; every feedback row once.
    const id = /^\((\d+),/.exec(first)![1]!;
    expect(new Date(a.orders.find((o) => o.external_id === id)!.ordered_at as unknown as string).getUTCFullYear()).not.toBe(2001);
    expect(a.orders.filter((o) => o.external_id === id)).toHaveLength(1);
    expect(new Set(a.feedback.map((f) => f.dedupe_key)).size).toBe(a.feedback.length);
    expect(a.feedback.length).toBeGreaterThan(0);
    expect(a.messages.length).toBeGreaterThan(0);
    expect(a.sightings.some((x) => x.source === 'message' && x.message !== null)).toBe(true);
  });
});
