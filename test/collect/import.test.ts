import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { generateWorld } from '../../src/sim/index.ts';
import { writeSimOutputs } from '../../src/sim/exports/index.ts';
import { ImportFormatError, importCsvScrape, importMysqlDump, importTelegramExport, SIM_SEIZED_MAPPING, CsvMappingSchema } from '../../src/collect/index.ts';
import { verifyEvidence } from '../../src/evidence/index.ts';

describe('importers', () => {
  let store: TestStore;
  let dir: string;
  let out: string;
  let agencyId: number;
  const ev = () => path.join(dir, 'warc');

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-import-'));
    out = path.join(dir, 'sim');
    await writeSimOutputs(generateWorld({ seed: 'import-test', scale: 'tiny' }), out);
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports every Telegram export of the sim: channel as messenger source, senders as accounts, messages', async () => {
    for (const ch of readdirSync(path.join(out, 'telegram'))) {
      const file = path.join(out, 'telegram', ch, 'result.json');
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name: string; messages: Array<{ type: string }> };
      const s = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file, batchSize: 7 });
      expect(s.rows).toBe(json.messages.filter((m) => m.type === 'message').length);
      const market = await store.db.selectFrom('markets').selectAll().where('id', '=', s.marketId).executeTakeFirstOrThrow();
      expect(market.kind).toBe('messenger');
      expect(market.name).toBe(json.name);
      const capture = await store.db.selectFrom('captures').selectAll().where('id', '=', s.captureId).executeTakeFirstOrThrow();
      expect(capture.kind).toBe('import');
      const again = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file });
      expect(again.alreadyImported).toBe(true);
    }
    const msgs = await store.db.selectFrom('messages').select(['sender', 'vendor_id', 'body']).limit(5).execute();
    expect(msgs.every((m) => m.vendor_id !== null && m.body.length > 0)).toBe(true);
  });

  it('imports the seized market dump through the mapping: accounts, listings, orders with buyer country, messages, wallets', async () => {
    const file = readdirSync(path.join(out, 'seized')).find((f) => f.endsWith('.sql')) as string;
    const sqlText = readFileSync(path.join(out, 'seized', file), 'utf8');
    const count = (table: string) => (sqlText.match(new RegExp(`INSERT INTO \`${table}\` VALUES ([^\\n]*);`, 'g')) ?? []).reduce((n, stmt) => n + (stmt.match(/\),\(/g)?.length ?? 0) + 1, 0);
    const s = await importMysqlDump({ db: store.db, evidenceDir: ev(), agencyId, file: path.join(out, 'seized', file), mapping: SIM_SEIZED_MAPPING });
    expect(s.counts.accounts).toBe(count('users'));
    expect(s.counts.listings).toBe(count('listings'));
    expect(s.counts.orders).toBe(count('orders'));
    expect(s.counts.messages).toBe(count('messages'));
    const orders = await store.db.selectFrom('orders').select(['buyer', 'buyer_country', 'vendor_id', 'listing_id']).where('market_id', '=', s.marketId).execute();
    expect(orders.every((o) => /^[A-Z]{2}$/.test(o.buyer_country ?? '') && o.vendor_id !== null && o.listing_id !== null && !!o.buyer)).toBe(true);
    // Wallet columns are validated like any coin address: every sim wallet is valid, one sighting per wallets row.
    const sightings = await store.db.selectFrom('selector_sightings').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'dump').executeTakeFirstOrThrow();
    expect(Number(sightings.n)).toBe(count('wallets'));
    const walletRefs = await store.db.selectFrom('selector_sightings').select('row_ref').where('source', '=', 'dump').where('capture_id', '=', s.captureId).execute();
    expect(walletRefs.every((r) => /^wallets:\d+$/.test(r.row_ref ?? ''))).toBe(true);
    // Vendor PGP columns yield the keys' fingerprints, each sighting naming the dump's vendors row and the account.
    const keys = await store.db
      .selectFrom('selector_sightings as ss').innerJoin('selectors as sel', 'sel.id', 'ss.selector_id').innerJoin('vendors as v', 'v.id', 'ss.vendor_id')
      .select(['sel.value', 'ss.row_ref', 'v.external_id']).where('sel.kind', '=', 'pgp_key').where('ss.capture_id', '=', s.captureId).execute();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => /^vendors:\d+$/.test(k.row_ref ?? '') && /^[0-9A-F]{40}$/.test(k.value))).toBe(true);
    expect(s.counts.sightings).toBeGreaterThan(count('wallets'));
    const market = await store.db.selectFrom('markets').select('kind').where('id', '=', s.marketId).executeTakeFirstOrThrow();
    expect(market.kind).toBe('seized_db');
  });

  it('a broken SQL escape fails with the line and byte offset', async () => {
    const bad = path.join(dir, 'bad.sql');
    writeFileSync(bad, "CREATE TABLE `users` (\n  `id` int NOT NULL,\n  `username` varchar(64)\n);\nINSERT INTO `users` VALUES (1,'ok'),(2,'bro\\');\n");
    const err = await importMysqlDump({ db: store.db, evidenceDir: ev(), agencyId, file: bad, mapping: SIM_SEIZED_MAPPING }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFormatError);
    expect((err as ImportFormatError).line).toBe(5);
    expect((err as ImportFormatError).message).toMatch(/unterminated string.*line 5, byte offset \d+/);
    const bad2 = path.join(dir, 'bad2.sql');
    writeFileSync(bad2, "CREATE TABLE `users` (\n  `id` int NOT NULL,\n  `username` varchar(64)\n);\nINSERT INTO `users` VALUES (1,'ok'),(2,'x' garbage);\n");
    const err2 = await importMysqlDump({ db: store.db, evidenceDir: ev(), agencyId, file: bad2, mapping: SIM_SEIZED_MAPPING }).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/expected "," or "\)".*line 5, byte offset \d+/);
  });

  // Known defect (issue 5 note): the import pipeline discards messages parsed but still buffered when the parser
  // fails, so with a slower database (a PostgreSQL server) nothing before the error may be kept. Runs on PGlite only
  // until the importer ends its value stream gracefully on a parse error.
  it('a truncated Telegram export fails with the position, keeps what came before, and resumes', async () => {
    const src = path.join(out, 'telegram', readdirSync(path.join(out, 'telegram'))[0] as string, 'result.json');
    const text = readFileSync(src, 'utf8');
    const cut = path.join(dir, 'tg-cut', 'result.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(cut), { recursive: true });
    writeFileSync(cut, text.slice(0, Math.floor(text.length * 0.7)));
    const err = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file: cut, market: 'tg-cut', batchSize: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFormatError);
    expect((err as Error).message).toMatch(/malformed Telegram export.*line \d+, byte offset \d+/);
    const kept = await store.db.selectFrom('messages as m').innerJoin('markets as k', 'k.id', 'm.market_id').select((eb) => eb.fn.countAll<number>().as('n')).where('k.slug', '=', 'tg-cut').executeTakeFirstOrThrow();
    // The sim writes result.json with one-space indentation, so each complete message element ends with "\n  }":
    // every complete message before the cut must have been kept, none after it.
    const prefix = text.slice(0, Math.floor(text.length * 0.7));
    const complete = prefix.split('\n  }').length - 1;
    const all = (JSON.parse(text) as { messages: Array<{ type: string }> }).messages;
    const expected = all.slice(0, complete).filter((m) => m.type === 'message').length;
    expect(expected).toBeGreaterThan(0);
    expect(Number(kept.n)).toBe(expected);
    // Running it again resumes from the checkpoint and fails at the same place without duplicating anything.
    await expect(importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file: cut, market: 'tg-cut', batchSize: 2 })).rejects.toBeInstanceOf(ImportFormatError);
    const again = await store.db.selectFrom('messages as m').innerJoin('markets as k', 'k.id', 'm.market_id').select((eb) => eb.fn.countAll<number>().as('n')).where('k.slug', '=', 'tg-cut').executeTakeFirstOrThrow();
    expect(Number(again.n)).toBe(expected);
  });

  it('imports a CSV scrape with a mapping and rejects bad CSV with its line', async () => {
    const csv = path.join(dir, 'scrape.csv');
    writeFileSync(csv, 'id,vendor,title,price,currency\n1,AlphaVendor,"Cocaine 1g, pure",80,USD\n2,BetaShop,MDMA 10x,45.5,EUR\n3,AlphaVendor,Ketamine 5g,120,USD\n');
    const mapping = CsvMappingSchema.parse({ id: 'id', vendor: 'vendor', title: 'title', price: 'price', currency: 'currency' });
    const s = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: csv, mapping });
    expect(s.rows).toBe(3);
    expect(s.counts.vendors).toBe(2);
    // An unclosed quote is one bad row at the line it opens on; the rows after it are still read.
    const badCsv = path.join(dir, 'bad.csv');
    writeFileSync(badCsv, 'id,vendor,title\n1,A,ok\n2,B,"unclosed quote\n3,C,x\n');
    const bad = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: badCsv, mapping: CsvMappingSchema.parse({ id: 'id', vendor: 'vendor', title: 'title' }), market: 'bad-csv' });
    expect(bad.rows).toBe(2);
    expect(bad.rejects.map((r) => [r.line, r.offset])).toEqual([[3, 23]]);
    // A header without the mapped columns is refused before anything is imported.
    const noCols = path.join(dir, 'nocols.csv');
    writeFileSync(noCols, 'a,b\n1,2\n');
    const err = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: noCols, mapping }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFormatError);
    expect((err as Error).message).toMatch(/no column "id", "vendor".*line 1, byte offset 0/);
  });

  it('imported files are preserved as evidence that verifies', async () => {
    const report = await verifyEvidence(store.db, { dir: ev() });
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.records).toBeGreaterThan(5);
  });
});
