/**
 * Real-format material through the importers: the Telegram Desktop export fixture, a richer export in the same
 * format, and a CSV scrape with PGP (keys made by real GnuPG) and wallet columns. Every text an importer stores
 * yields selectors whose sightings name the capture and the row they came from; what cannot be read is kept
 * with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { openGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { CsvMappingSchema, ImportFormatError, importCsvScrape, importTelegramExport, rederiveImports } from '../../src/collect/index.ts';
import { main } from '../../src/cli/index.ts';
import { vi } from 'vitest';

const FIXTURE = new URL('../../../shared/fixtures/telegram-chat-analytics/DM_2A_7M.json', import.meta.url).pathname;
const BTC = '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2';
const BTC_BECH32 = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
const TESTNET = 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx';
const XMR = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';

describe('imports yield selectors with provenance', () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;
  let gpg: GpgHome;
  let shopKey: ReturnType<GpgHome['makeKey']>;
  let vendorKey: ReturnType<GpgHome['makeKey']>;
  const ev = () => path.join(dir, 'warc');

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-import-sel-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    gpg = openGpgHome();
    shopKey = gpg.makeKey('Shop Owner <shop@example.org>');
    vendorKey = gpg.makeKey('Original Vendor <orig@example.net>');
  }, 120_000);

  afterAll(async () => {
    gpg?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sightings = (captureId: number) =>
    store.db
      .selectFrom('selector_sightings as ss')
      .innerJoin('selectors as s', 's.id', 'ss.selector_id')
      .leftJoin('vendors as v', 'v.id', 'ss.vendor_id')
      .leftJoin('messages as m', 'm.id', 'ss.message_id')
      .select(['s.kind', 's.value', 's.meta', 'ss.source', 'ss.row_ref', 'ss.capture_id', 'ss.listing_id', 'v.handle', 'm.external_id as message'])
      .where('ss.capture_id', '=', captureId)
      .execute();

  it('Telegram fixture: one source per Telegram chat id, senders by id, service messages skipped, last_seen advances', async () => {
    const a = path.join(dir, 'export-a', 'result.json');
    const b = path.join(dir, 'ChatExport_2023-08-11', 'result.json');
    mkdirSync(path.dirname(a), { recursive: true });
    mkdirSync(path.dirname(b), { recursive: true });
    copyFileSync(FIXTURE, a);
    // A later export of the same chat (another folder name) with one more message.
    const later = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { messages: unknown[] };
    later.messages.push({ id: 3700, type: 'message', date: '2023-08-12T10:00:00', date_unixtime: '1691834400', from: 'Bob', from_id: 'user700000000', text: 'later', text_entities: [{ type: 'plain', text: 'later' }] });
    writeFileSync(b, JSON.stringify(later, null, 1));

    const s1 = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file: a });
    const s2 = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file: b });
    expect(s1.market).toBe('tg-700000000');
    expect(s2.marketId).toBe(s1.marketId);
    expect(s1.rows).toBe(6); // 8 entries, 2 of them service messages
    const msgs = await store.db.selectFrom('messages').selectAll().where('market_id', '=', s1.marketId).orderBy('external_id').execute();
    expect(msgs.map((m) => m.external_id)).toEqual(['3644', '3645', '3662', '3663', '3672', '3673', '3700']);
    const accounts = await store.db.selectFrom('vendors').selectAll().where('market_id', '=', s1.marketId).orderBy('external_id').execute();
    expect(accounts.map((v) => [v.handle, v.external_id])).toEqual([['Alice', 'user300000000'], ['Bob', 'user700000000']]);
    const alice = accounts[0]!;
    expect(alice.first_seen.toISOString()).toBe('2022-03-08T13:07:42.000Z');
    expect(alice.last_seen.toISOString()).toBe(new Date(1654898799 * 1000).toISOString());
    const bob = accounts[1]!;
    expect(bob.last_seen.toISOString()).toBe('2023-08-12T10:00:00.000Z');
    // The photo reference is kept as the exporter wrote it (the file was not exported, so no hash).
    const photo = msgs.find((m) => m.external_id === '3672')!;
    expect(photo.media).toEqual([{ kind: 'photo', path: '(File not included. Change data exporting settings to download.)' }]);
    expect(photo.vendor_id).toBe(alice.id);
  });

  it('Telegram: bare arrays, other JSON and full-account exports are clear errors, nothing imported', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['array.json', JSON.stringify([{ id: 1, type: 'message', text: 'hi' }]), /bare JSON array/],
      ['other.json', JSON.stringify({ name: 'x', items: [1, 2] }), /no "messages" array/],
      ['account.json', JSON.stringify({ personal_information: {}, chats: { list: [] } }), /full-account/],
      ['notjson.json', '<html>not json</html>', /not valid JSON/],
    ];
    const before = await store.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const [name, text, re] of cases) {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      const err = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file: f }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ImportFormatError);
      expect((err as Error).message, name).toMatch(re);
    }
    const after = await store.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('Telegram: text_link targets, forwards credited to their author, edits, replies, media hashes, PGP keys and rejects', async () => {
    const exportDir = path.join(dir, 'shop-channel');
    mkdirSync(path.join(exportDir, 'photos'), { recursive: true });
    const photoBytes = Buffer.from('\x89PNG fake photo bytes');
    writeFileSync(path.join(exportDir, 'photos', 'photo_1@01-05-2024_10-00-00.jpg'), photoBytes);
    writeFileSync(path.join(dir, 'outside.txt'), 'not part of the export');
    const broken = shopKey.armored.replace(/\n=([A-Za-z0-9+/]{4})\n/, (_m, crc: string) => `\n=${crc[0] === 'A' ? 'B' : 'A'}${crc.slice(1)}\n`);
    const exp = {
      name: 'Shop Channel',
      type: 'public_supergroup',
      id: 1987654321,
      messages: [
        { id: 1, type: 'service', date: '2024-05-01T09:00:00', date_unixtime: '1714554000', actor: 'Shop Owner', actor_id: 'user111', action: 'create_group', text: '', text_entities: [] },
        {
          id: 2, type: 'message', date: '2024-05-01T10:00:00', date_unixtime: '1714557600', edited: '2024-05-01T10:05:00', edited_unixtime: '1714557900',
          from: 'Shop Owner', from_id: 'user111', photo: 'photos/photo_1@01-05-2024_10-00-00.jpg', width: 10, height: 10,
          text: ['Order via ', { type: 'text_link', text: 'our bot', href: 'https://t.me/shop_orders_bot' }, ` or pay ${BTC}`],
          text_entities: [{ type: 'plain', text: 'Order via ' }, { type: 'text_link', text: 'our bot', href: 'https://t.me/shop_orders_bot' }, { type: 'plain', text: ` or pay ${BTC}` }],
        },
        {
          id: 3, type: 'message', date: '2024-05-02T10:00:00', date_unixtime: '1714644000', from: 'Buyer Joe', from_id: 'user222',
          forwarded_from: 'Original Vendor', forwarded_from_id: 'user333', reply_to_message_id: 2,
          text: `my key:\n${vendorKey.armored}`, text_entities: [{ type: 'plain', text: `my key:\n${vendorKey.armored}` }],
        },
        { id: 4, type: 'message', date_unixtime: '1714730400', from: 'Shop Owner', from_id: 'user111', text: `new key\n${broken}`, text_entities: [] },
        { id: 5, type: 'message', date_unixtime: '1714816800', from: 'Shop Owner', from_id: 'user111', file: '../outside.txt', mime_type: 'text/plain', text: 'see file, or @shop_support', text_entities: [] },
      ],
    };
    const file = path.join(exportDir, 'result.json');
    writeFileSync(file, JSON.stringify(exp, null, 1));
    const s = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file });
    expect(s.market).toBe('tg-1987654321');
    expect(s.rows).toBe(4);

    const msgs = new Map((await store.db.selectFrom('messages').selectAll().where('market_id', '=', s.marketId).execute()).map((m) => [m.external_id, m]));
    const accounts = new Map((await store.db.selectFrom('vendors').selectAll().where('market_id', '=', s.marketId).execute()).map((v) => [v.external_id, v]));
    const m2 = msgs.get('2')!;
    expect(m2.body).toBe(`Order via our bot or pay ${BTC}`);
    expect(m2.edited_at?.toISOString()).toBe(new Date(1714557900 * 1000).toISOString());
    expect(m2.media).toEqual([{ kind: 'photo', path: 'photos/photo_1@01-05-2024_10-00-00.jpg', size: photoBytes.length, sha256: createHash('sha256').update(photoBytes).digest('hex') }]);
    const m3 = msgs.get('3')!;
    expect(m3.reply_to).toBe('2');
    expect(m3.vendor_id).toBe(accounts.get('user333')!.id); // the original author
    expect(m3.forwarded_by).toBe(accounts.get('user222')!.id);
    expect([m3.forwarded_from, m3.forwarded_from_id]).toEqual(['Original Vendor', 'user333']);
    // A file path leaving the export folder is never read.
    expect(msgs.get('5')!.media).toEqual([{ kind: 'file', path: '../outside.txt', mime: 'text/plain' }]);

    const found = await sightings(s.captureId);
    const one = (kind: string, value: string) => found.filter((f) => f.kind === kind && f.value === value);
    expect(one('telegram', 'shop_orders_bot')).toEqual([expect.objectContaining({ source: 'message', row_ref: 'message:2', message: '2', handle: 'Shop Owner', capture_id: s.captureId })]);
    expect(one('btc_address', BTC)).toEqual([expect.objectContaining({ row_ref: 'message:2', handle: 'Shop Owner' })]);
    // In a Telegram chat a bare @name is a Telegram handle.
    expect(one('telegram', 'shop_support')).toEqual([expect.objectContaining({ row_ref: 'message:5' })]);
    const key = one('pgp_key', vendorKey.fingerprint);
    expect(key).toEqual([expect.objectContaining({ row_ref: 'message:3', handle: 'Original Vendor' })]);
    const meta = key[0]!.meta as { subkeys: Array<{ fingerprint: string }>; userIds: string[]; created: string };
    expect(meta.subkeys.map((k) => k.fingerprint)).toEqual(vendorKey.subkeys);
    expect(meta.userIds).toEqual(['Original Vendor <orig@example.net>']);
    expect(one('email', 'orig@example.net')).toHaveLength(1);
    // The damaged key is kept with its reason, never as a selector.
    expect(found.some((f) => f.kind === 'pgp_key' && f.value === shopKey.fingerprint)).toBe(false);
    const rejects = await store.db.selectFrom('selector_rejects').selectAll().where('capture_id', '=', s.captureId).execute();
    expect(rejects.map((r) => [r.kind, r.reason, r.row_ref, r.message_id === msgs.get('4')!.id])).toEqual([['pgp_key', 'armor_checksum_mismatch', 'message:4', true]]);

    // Importing the same export again changes nothing.
    const again = await importTelegramExport({ db: store.db, evidenceDir: ev(), agencyId, file });
    expect(again.alreadyImported).toBe(true);
    expect((await sightings(s.captureId)).length).toBe(found.length);

    // extract --reparse re-derives them from the preserved copy (as for an import made before selectors were read).
    await store.db.deleteFrom('selector_sightings').where('capture_id', '=', s.captureId).execute();
    await store.db.deleteFrom('selector_rejects').where('capture_id', '=', s.captureId).execute();
    const redo = await rederiveImports(store.db, { evidenceDir: ev(), marketId: s.marketId });
    expect(redo.failed).toEqual([]);
    expect(redo.imports).toBe(1);
    const rederived = await sightings(s.captureId);
    const asText = (f: (typeof found)[number]) => `${f.kind} ${f.value} ${f.row_ref} ${f.handle} ${f.message}`;
    expect(rederived.map(asText).sort()).toEqual(found.map(asText).sort());
    expect(await store.db.selectFrom('selector_rejects').select('reason').where('capture_id', '=', s.captureId).execute()).toEqual([{ reason: 'armor_checksum_mismatch' }]);
    expect(await store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('market_id', '=', s.marketId).executeTakeFirstOrThrow()).toEqual({ n: 4 });
    // Media hashes taken from the export folder survive a re-derivation from the bare file.
    expect((await store.db.selectFrom('messages').select('media').where('market_id', '=', s.marketId).where('external_id', '=', '2').executeTakeFirstOrThrow()).media[0]?.sha256).toBeDefined();
  });

  it('darkpatrol selectors prints PGP keys (fingerprint, subkeys, user ids, date), coins with network, handles and link targets', async () => {
    const f = path.join(dir, 'paste.txt');
    writeFileSync(f, `wallet ${TESTNET} and ${BTC}\ncontact orders@example.org or t.me/shop_orders_bot\n${vendorKey.armored}`);
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((x) => ((out += String(x)), true));
    let code: number;
    try {
      code = await main(['node', 'darkpatrol', 'selectors', '--json', f, FIXTURE]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const [paste, chat] = JSON.parse(out) as Array<{ selectors: Array<{ kind: string; value: string; meta?: Record<string, unknown> }> }>;
    const byKind = (k: string) => paste!.selectors.filter((x) => x.kind === k);
    expect(byKind('btc_address').map((x) => [x.value, x.meta?.network ?? 'mainnet'])).toEqual([[TESTNET, 'testnet'], [BTC, 'mainnet']]);
    expect(byKind('telegram').map((x) => x.value)).toEqual(['shop_orders_bot']);
    const key = byKind('pgp_key')[0]!;
    expect(key.value).toBe(vendorKey.fingerprint);
    expect((key.meta?.subkeys as Array<{ fingerprint: string }>).map((k) => k.fingerprint)).toEqual(vendorKey.subkeys);
    expect(key.meta?.userIds).toEqual(['Original Vendor <orig@example.net>']);
    expect(typeof key.meta?.created).toBe('string');
    expect(byKind('email').map((x) => x.value).sort()).toEqual(['orders@example.org', 'orig@example.net']);
    // The Telegram fixture is read message by message: its one link is a plain URL, no selector.
    expect(chat!.selectors).toEqual([]);
  });

  it('CSV: PGP and wallet columns become selectors; invalid wallets and bad rows are rejected with their exact line', async () => {
    const csv = path.join(dir, 'scrape.csv');
    const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
    const lostPadding = vendorKey.armored.replace(/=+\n(=[A-Za-z0-9+/]{4}\n)/, '\n$1').replace('-----END', '- -----END');
    const lines = [
      'listing,seller,title,price,currency,date,pgp,wallet,coin',
      `L1,ShopOwner,"Cocaine 1g, pure",80,USD,2024-05-01,${q(shopKey.armored)},${BTC},BTC`,
      `L2,OrigVendor,MDMA 10x,45.5,EUR,2024-05-02 10:30,${q(lostPadding)},${TESTNET},BTC`,
      `L3,ShopOwner,Speed 5g,-12,USD,2024-05-03,,,`,
      `L4,ShopOwner,Ketamine 5g,120,XYZ,2024-05-03,,,`,
      `L5,,Nameless,10,USD,2024-05-03,,,`,
      `L6,ShopOwner,Bad date,10,USD,2024-02-30,,,`,
      `L7,ShopOwner,Wallet typo,10,USD,2024-05-04,,1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3,BTC`,
      `L8,OrigVendor,"Monero only",0.5,XMR,1714816800,,${XMR},XMR`,
      `L9,ShopOwner,"unterminated quote,10,USD,2024-05-05,,,`,
      `L10,ShopOwner,After the bad quote,10,USD,2024-05-06,,${BTC_BECH32},`,
    ];
    const text = `${lines.join('\n')}\n`;
    writeFileSync(csv, text);
    // A row's start is its id and the comma after it: a line of a key's base64 armour may begin with "L9" too.
    const rowStart = (id: string) => text.indexOf(`\n${id},`) + 1;
    const lineOf = (id: string) => text.slice(0, rowStart(id)).split('\n').length;
    const offsetOf = (id: string) => Buffer.byteLength(text.slice(0, rowStart(id)));
    const mapping = CsvMappingSchema.parse({ id: 'listing', vendor: 'seller', title: 'title', price: 'price', currency: 'currency', date: 'date', pgp: 'pgp', wallet: 'wallet', walletCurrency: 'coin' });

    // --strict refuses the file, naming the first bad row; nothing is imported.
    const strict = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: csv, mapping, market: 'scrape-strict', strict: true }).catch((e: unknown) => e);
    expect(strict).toBeInstanceOf(ImportFormatError);
    expect((strict as ImportFormatError).line).toBe(lineOf('L3'));
    expect((strict as Error).message).toMatch(/5 bad row\(s\), nothing imported; the first: negative price/);
    expect(await store.db.selectFrom('markets').select('id').where('slug', '=', 'scrape-strict').executeTakeFirst()).toBeUndefined();

    const s = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: csv, mapping, market: 'scrape' });
    expect(s.rows).toBe(5);
    expect(s.rejects.map((r) => [r.line, r.offset])).toEqual(['L3', 'L4', 'L5', 'L6', 'L9'].map((p) => [lineOf(p), offsetOf(p)]));
    expect(s.rejects.map((r) => r.reason)).toEqual([
      'negative price "-12"',
      'unknown currency "XYZ"',
      'no vendor (column "seller" is empty)',
      expect.stringMatching(/^invalid date "2024-02-30"/),
      expect.stringMatching(/quoted field is never closed/),
    ]);
    const stored = await store.db.selectFrom('import_rejects').select(['line', 'byte_offset', 'reason']).orderBy('line').execute();
    expect(stored.map((r) => r.line)).toEqual(s.rejects.map((r) => r.line));

    const listings = await store.db.selectFrom('listings').select(['external_id', 'first_seen']).where('market_id', '=', s.marketId).orderBy('external_id').execute();
    expect(listings.map((l) => l.external_id)).toEqual(['L1', 'L10', 'L2', 'L7', 'L8']);
    expect(listings.find((l) => l.external_id === 'L8')!.first_seen.toISOString()).toBe(new Date(1714816800 * 1000).toISOString());

    const found = await sightings(s.captureId);
    const where = (kind: string, value: string) => found.filter((f) => f.kind === kind && f.value === value).map((f) => [f.handle, f.row_ref, f.source]);
    expect(where('pgp_key', shopKey.fingerprint)).toEqual([['ShopOwner', 'csv:L1', 'profile']]);
    expect(where('pgp_key', vendorKey.fingerprint)).toEqual([['OrigVendor', 'csv:L2', 'profile']]);
    expect(where('btc_address', BTC)).toEqual([['ShopOwner', 'csv:L1', 'import']]);
    expect(where('xmr_address', XMR)).toEqual([['OrigVendor', 'csv:L8', 'import']]);
    expect(where('btc_address', BTC_BECH32)).toEqual([['ShopOwner', 'csv:L10', 'import']]);
    const testnet = found.find((f) => f.value === TESTNET)!;
    expect([testnet.kind, (testnet.meta as { network?: string }).network]).toEqual(['btc_address', 'testnet']);
    const typo = await store.db.selectFrom('selector_rejects').selectAll().where('capture_id', '=', s.captureId).execute();
    expect(typo.map((r) => [r.kind, r.reason, r.raw, r.row_ref])).toEqual([['btc_address', 'invalid_address', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', 'csv:L7']]);
    expect(found.some((f) => f.value === '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3')).toBe(false);
  });

  it('CSV: without a key column, row ids come from content, so two files into one source keep all their rows', async () => {
    const mapping = CsvMappingSchema.parse({ vendor: 'vendor', title: 'title', price: 'price' });
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    writeFileSync(a, 'vendor,title,price\nA,One,1\nB,Two,2\n');
    writeFileSync(b, 'vendor,title,price\nC,Three,3\nD,Four,4\nE,Five,5\n');
    const sa = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: a, mapping, market: 'two-files' });
    const sb = await importCsvScrape({ db: store.db, evidenceDir: ev(), agencyId, file: b, mapping, market: 'two-files' });
    expect(sb.marketId).toBe(sa.marketId);
    const titles = await store.db.selectFrom('listings').select('title').where('market_id', '=', sa.marketId).orderBy('title').execute();
    expect(titles.map((t) => t.title)).toEqual(['Five', 'Four', 'One', 'Three', 'Two']);
  });
});
