import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { mariadbMissing, startMariaDb, type MariaDb } from '../helpers/mariadb.ts';
import { importMysqlDump, SIM_SEIZED_MAPPING, type DumpImportSummary } from '../../src/collect/index.ts';
import { nameKeys, nameSimilarity } from '../../src/link/index.ts';
import { generateWorld } from '../../src/sim/index.ts';
import { writeSimOutputs, type SimOutputManifest } from '../../src/sim/exports/index.ts';

// Seized dumps as MariaDB's own mariadb-dump writes them: a hand-made market database with case-distinct users in
// a utf8mb4_bin column, NULLs and a table the mapping does not know, and the sim's seized market loaded into
// MariaDB and dumped again. Nothing is merged, nothing turns NULL into '', nothing is skipped without a word.

const MARKET = `
CREATE TABLE users (id int NOT NULL PRIMARY KEY, username varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  password varchar(64) DEFAULT NULL, role enum('buyer','vendor') NOT NULL DEFAULT 'buyer', UNIQUE KEY username (username)) DEFAULT CHARSET=utf8mb4;
INSERT INTO users VALUES (1,'Alice','h1','vendor'),(2,'alice','h2','buyer'),(3,'ALICE','h3','vendor'),(4,'bob',NULL,'buyer');
CREATE TABLE vendors (id int NOT NULL PRIMARY KEY, user_id int NOT NULL, profile text, pgp_key mediumtext, level tinyint NOT NULL DEFAULT 1) DEFAULT CHARSET=utf8mb4;
INSERT INTO vendors VALUES (1,1,'Alice the first',NULL,3),(2,3,NULL,NULL,1);
CREATE TABLE listings (id int NOT NULL PRIMARY KEY, vendor_id int NOT NULL, title varchar(255) NOT NULL, description text,
  category varchar(32) DEFAULT NULL, price_usd decimal(12,2) NOT NULL, quantity decimal(12,3) DEFAULT NULL, unit varchar(16) DEFAULT NULL,
  ships_from char(2) DEFAULT NULL, ships_to varchar(255) DEFAULT NULL, created_at datetime NOT NULL, stock int DEFAULT NULL) DEFAULT CHARSET=utf8mb4;
INSERT INTO listings VALUES (1,1,'no description',NULL,NULL,10.00,1,'g','NL','DE','2024-01-02 03:04:05',NULL),
  (2,2,'empty description','','mdma',20.50,5,'g','DE','NL,BE','2024-01-03 00:00:00',7),
  (3,1,'worded','first line\\nsecond ''quoted''',NULL,30.00,NULL,NULL,NULL,NULL,'2024-01-04 00:00:00',0);
CREATE TABLE orders (id int NOT NULL PRIMARY KEY, listing_id int NOT NULL, buyer_id int NOT NULL, vendor_id int NOT NULL, units int NOT NULL,
  price_usd decimal(12,2) NOT NULL, ship_country char(2) NOT NULL, status varchar(16) NOT NULL, created_at datetime NOT NULL) DEFAULT CHARSET=utf8mb4;
INSERT INTO orders VALUES (1,1,2,1,1,10.00,'FR','finalized','2024-02-01 00:00:00'),(2,2,4,2,2,41.00,'BE','shipped','2024-02-02 00:00:00');
CREATE TABLE feedback (id int NOT NULL PRIMARY KEY, order_id int NOT NULL, rating tinyint NOT NULL, comment text, hidden tinyint(1) NOT NULL DEFAULT 0,
  created_at datetime NOT NULL) DEFAULT CHARSET=utf8mb4;
INSERT INTO feedback VALUES (1,1,5,'great, stealth ok',0,'2024-02-05 00:00:00'),(2,2,1,NULL,1,'2024-02-06 00:00:00');
CREATE TABLE messages (id int NOT NULL PRIMARY KEY, sender_id int NOT NULL, recipient_id int NOT NULL, subject varchar(255) DEFAULT NULL,
  body text NOT NULL, created_at datetime NOT NULL) DEFAULT CHARSET=utf8mb4;
INSERT INTO messages VALUES (1,1,4,'hi','from Alice','2024-03-01 00:00:00'),(2,2,4,NULL,'from alice','2024-03-02 00:00:00'),
  (3,3,4,'x','from ALICE','2024-03-03 00:00:00'),(4,4,3,'re','bob to ALICE','2024-03-04 00:00:00');
CREATE TABLE wallets (id int NOT NULL PRIMARY KEY, user_id int NOT NULL, currency varchar(3) NOT NULL, address varchar(128) NOT NULL) DEFAULT CHARSET=utf8mb4;
CREATE TABLE admin_log (id int NOT NULL PRIMARY KEY, note text) DEFAULT CHARSET=utf8mb4;
INSERT INTO admin_log VALUES (1,'banned someone'),(2,NULL);
`;

describe.skipIf(mariadbMissing.length > 0)(`seized dumps written by mariadb-dump${mariadbMissing.length ? ` (skipped: no ${mariadbMissing.join(', ')}; apt-get install mariadb-server mariadb-client)` : ''}`, () => {
  let maria: MariaDb;
  let store: TestStore;
  let agencyId: number;
  let manifest: SimOutputManifest;
  let simDb: string;
  const ev = () => path.join(maria.dir, 'warc');

  beforeAll(async () => {
    maria = await startMariaDb();
    store = await openTestStore();
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    maria.sql('', 'CREATE DATABASE handmade CHARACTER SET utf8mb4');
    const src = path.join(maria.dir, 'handmade-src.sql');
    writeFileSync(src, MARKET);
    maria.load('handmade', src);
    maria.dump('handmade', path.join(maria.dir, 'handmade.sql'));
    const world = generateWorld({ seed: 'dump-mariadb', scale: 'tiny' });
    manifest = await writeSimOutputs(world, path.join(maria.dir, 'out'));
    simDb = world.timeline.seizedMarket;
    maria.sql('', `CREATE DATABASE \`${simDb}\` CHARACTER SET utf8mb4`);
    maria.load(simDb, path.join(maria.dir, 'out', 'seized', `${simDb}.sql`));
    maria.dump(simDb, path.join(maria.dir, 'sim-redumped.sql'), ['--complete-insert']);
  }, 240_000);

  afterAll(async () => {
    await store?.close();
    await maria?.stop();
  });

  let hand: DumpImportSummary;
  it('keeps Alice, alice and ALICE of a utf8mb4_bin column three accounts, each with its own messages', async () => {
    hand = await importMysqlDump({ db: store.db, evidenceDir: ev(), agencyId, file: path.join(maria.dir, 'handmade.sql'), mapping: SIM_SEIZED_MAPPING });
    const accounts = await store.db.selectFrom('vendors').select(['id', 'handle', 'external_id', 'profile_text']).where('market_id', '=', hand.marketId).orderBy('external_id').execute();
    expect(accounts.map((a) => [a.external_id, a.handle])).toEqual([['1', 'Alice'], ['2', 'alice'], ['3', 'ALICE'], ['4', 'bob']]);
    expect(accounts[0]!.profile_text).toBe('Alice the first');
    const byExt = new Map(accounts.map((a) => [a.external_id, a.id]));
    const msgs = await store.db.selectFrom('messages').select(['external_id', 'vendor_id', 'sender', 'recipient', 'thread', 'body']).where('market_id', '=', hand.marketId).orderBy('external_id').execute();
    expect(msgs.map((m) => [m.external_id, m.vendor_id, m.sender, m.recipient, m.body])).toEqual([
      ['1', byExt.get('1'), 'Alice', 'bob', 'from Alice'],
      ['2', byExt.get('2'), 'alice', 'bob', 'from alice'],
      ['3', byExt.get('3'), 'ALICE', 'bob', 'from ALICE'],
      ['4', byExt.get('4'), 'bob', 'ALICE', 'bob to ALICE'],
    ]);
    expect(msgs[1]!.thread).toBeNull();
    // Listings of vendor rows 1 and 2 belong to users 1 (Alice) and 3 (ALICE), not to whoever folds alike first.
    const listings = await store.db.selectFrom('listings').select(['external_id', 'vendor_id']).where('market_id', '=', hand.marketId).orderBy('external_id').execute();
    expect(listings.map((l) => l.vendor_id)).toEqual([byExt.get('1'), byExt.get('3'), byExt.get('1')]);
    // The folding is reported, and left to the linker as a hint: the names are the same to it.
    expect(hand.caseFolded).toEqual([{ handle: 'alice', accounts: [{ id: '1', handle: 'Alice' }, { id: '2', handle: 'alice' }, { id: '3', handle: 'ALICE' }] }]);
    expect(nameSimilarity(nameKeys('Alice'), nameKeys('ALICE'))).toBe(1);
  });

  it('keeps NULL as NULL and an empty text as empty', async () => {
    const l = await store.db.selectFrom('listings').select(['external_id', 'description']).where('market_id', '=', hand.marketId).orderBy('external_id').execute();
    expect(l.map((x) => x.description)).toEqual([null, '', "first line\nsecond 'quoted'"]);
    const f = await store.db.selectFrom('feedback').select(['dedupe_key', 'body', 'hidden', 'rating', 'buyer', 'vendor_id', 'listing_id', 'left_at']).where('market_id', '=', hand.marketId).orderBy('dedupe_key').execute();
    expect(f.map((x) => [x.dedupe_key, x.body, x.hidden, Number(x.rating), x.buyer])).toEqual([['feedback:1', 'great, stealth ok', false, 5, 'alice'], ['feedback:2', null, true, 1, 'bob']]);
    const vendors = await store.db.selectFrom('vendors').select(['id', 'external_id']).where('market_id', '=', hand.marketId).execute();
    const listings = await store.db.selectFrom('listings').select(['id', 'external_id']).where('market_id', '=', hand.marketId).execute();
    const v = new Map(vendors.map((x) => [x.external_id, x.id]));
    const li = new Map(listings.map((x) => [x.external_id, x.id]));
    expect(f.map((x) => [x.vendor_id, x.listing_id])).toEqual([[v.get('1'), li.get('1')], [v.get('3'), li.get('2')]]);
    expect(f[0]!.left_at?.toISOString()).toBe('2024-02-05T00:00:00.000Z');
  });

  it('reports every table and column the mapping does not import', () => {
    expect(hand.notImported.tables).toEqual([{ table: 'admin_log', rows: 2 }]);
    expect(hand.notImported.columns).toEqual([
      { table: 'listings', columns: ['stock'] },
      { table: 'orders', columns: [] },
      { table: 'users', columns: ['password', 'role'] },
      { table: 'vendors', columns: ['level'] },
    ].filter((c) => c.columns.length > 0));
  });

  it('imports the sim dump as mariadb-dump writes it back, feedback included, and names what it leaves out', async () => {
    const counts = manifest.seized[simDb]!;
    const s = await importMysqlDump({ db: store.db, evidenceDir: ev(), agencyId, file: path.join(maria.dir, 'sim-redumped.sql'), mapping: SIM_SEIZED_MAPPING });
    expect(counts.feedback).toBeGreaterThan(0);
    expect(s.counts.feedback).toBe(counts.feedback);
    expect(s.counts.accounts).toBe(counts.users);
    expect(s.counts.messages).toBe(counts.messages);
    const n = async (table: 'feedback' | 'vendors' | 'listings') => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('market_id', '=', s.marketId).executeTakeFirstOrThrow()).n);
    expect(await n('feedback')).toBe(counts.feedback);
    expect(await n('vendors')).toBe(counts.users);
    expect(await n('listings')).toBe(counts.listings);
    // Feedback tied to its order's listing and vendor; the feedback count per rating matches MariaDB's.
    const linked = await store.db.selectFrom('feedback').select((eb) => eb.fn.countAll<number>().as('n')).where('market_id', '=', s.marketId).where('vendor_id', 'is not', null).where('listing_id', 'is not', null).executeTakeFirstOrThrow();
    expect(Number(linked.n)).toBe(counts.feedback);
    const ratings = await store.db.selectFrom('feedback').select(['rating', (eb) => eb.fn.countAll<number>().as('n')]).where('market_id', '=', s.marketId).groupBy('rating').orderBy('rating').execute();
    expect(ratings.map((r) => `${Number(r.rating)}\t${Number(r.n)}`).join('\n')).toBe(maria.sql(simDb, 'SELECT rating, COUNT(*) FROM feedback GROUP BY rating ORDER BY rating'));
    expect(s.notImported.tables).toEqual([]);
    const cols = Object.fromEntries(s.notImported.columns.map((c) => [c.table, c.columns]));
    expect(cols).toEqual({
      listings: ['external_id', 'stock', 'active'],
      orders: ['price_btc'],
      users: ['password', 'role', 'created_at', 'last_login'],
      vendors: ['level', 'pgp_fingerprint', 'ships_from', 'commission', 'created_at'],
      wallets: ['purpose', 'balance_usd'],
    });
  });
});
