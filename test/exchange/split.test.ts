// The seized-data split on a real sim dump: imported with the dump importer, split per country, every package
// validated against the OASIS schemas and scanned for any other country's buyers, wallets, orders and messages.
// The expectations come from the exporter's own tables (seizedTables), not from the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadSignatureError,
  buildSplitIndex,
  generateAgencyKeyPair,
  publicPart,
  signPackage,
  signSplitIndex,
  splitSeizedMarket,
  validateBundle,
  verifyPackage,
  verifySplitIndex,
} from '../../src/exchange/index.ts';
import type { SeizedSplit, StixObject } from '../../src/exchange/index.ts';
import { seizedTables } from '../../src/sim/exports/index.ts';
import { importSeizedDump, type ImportedSeized } from '../helpers/seized.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';

type Row = unknown[];
const str = (v: unknown) => String(v);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The handle as a whole token (handles hold letters, digits, `.`, `_` and `-`). */
const wordRe = (h: string) => new RegExp(`(?<![A-Za-z0-9._-])${escape(h)}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])`, 'i');

describe('seized-data split (Hansa / DisrupTor workflow)', () => {
  let store: TestStore;
  let imported: ImportedSeized | undefined;
  let split: SeizedSplit;
  let marketId: number;
  let dumpCapture: number;
  const producer = { agencyId: 'NL-POL', name: 'Politie NL', contact: 'thtc@example.org' };
  // Ground truth from the exporter's tables.
  const truth = {
    users: new Map<string, { handle: string; role: string }>(),
    buyersOf: new Map<string, Set<string>>(),
    vendorsOf: new Map<string, Set<string>>(),
    orderCountry: new Map<string, string>(),
    wallets: [] as { owner: string; address: string }[],
    messages: [] as { id: string; sender: string; recipient: string; body: string }[],
  };
  const add = (m: Map<string, Set<string>>, k: string, v: string) => m.set(k, (m.get(k) ?? new Set()).add(v));

  beforeAll(async () => {
    store = await openTestStore();
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'Politie NL', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    imported = await importSeizedDump(store.db, agencyId, 'split-test');
    const { world, seized, summary } = imported;

    const tables = new Map(seizedTables(world, seized).map((t) => [t.name, t.rows as Row[]]));
    for (const u of tables.get('users')!) truth.users.set(str(u[0]), { handle: str(u[1]), role: str(u[3]) });
    const vendorUser = new Map(tables.get('vendors')!.map((v) => [str(v[0]), str(v[1])]));
    for (const l of tables.get('listings')!) add(truth.vendorsOf, str(l[10]), truth.users.get(vendorUser.get(str(l[1]))!)!.handle);
    for (const o of tables.get('orders')!) {
      add(truth.buyersOf, str(o[7]), truth.users.get(str(o[2]))!.handle);
      truth.orderCountry.set(str(o[0]), str(o[7]));
    }
    for (const w of tables.get('wallets')!) truth.wallets.push({ owner: truth.users.get(str(w[1]))!.handle, address: str(w[3]) });
    for (const m of tables.get('messages')!) {
      truth.messages.push({ id: str(m[0]), sender: truth.users.get(str(m[1]))!.handle, recipient: truth.users.get(str(m[2]))!.handle, body: str(m[4]) });
    }

    marketId = summary.marketId;
    dumpCapture = summary.captureId;
    split = await splitSeizedMarket(store.db, summary.marketId, { producer, tlp: 'AMBER+STRICT', created: '2025-03-01T00:00:00Z' });
  }, 300_000);

  afterAll(async () => {
    await store?.close();
    imported?.cleanup();
  });

  const members = (cc: string) => new Set([...(truth.buyersOf.get(cc) ?? []), ...(truth.vendorsOf.get(cc) ?? [])]);
  const accountsIn = (objects: StixObject[]) => objects.filter((o) => o.type === 'user-account' && String(o.account_type).startsWith('seized_db:')).map((o) => String(o.user_id));
  const notesIn = (objects: StixObject[]) => objects.filter((o) => o.type === 'note').map((o) => String(o.content)).join('\n');

  it('makes one package per country of the buyers and vendors, and every one validates against the OASIS schemas', () => {
    const expected = [...new Set([...truth.buyersOf.keys(), ...truth.vendorsOf.keys()])].sort();
    expect(expected.length).toBeGreaterThan(5);
    expect(split.packages.map((p) => p.country)).toEqual(expected);
    for (const p of split.packages) {
      const v = validateBundle(p.bundle);
      expect(v.errors, p.country).toEqual([]);
      expect(v.valid).toBe(true);
      expect(p.manifest.tlp).toBe('AMBER+STRICT');
      expect(p.manifest.evidence).toHaveLength(1); // the preserved dump
    }
    // Every order is in exactly one package: the one of its shipping country.
    expect(split.packages.reduce((n, p) => n + p.orders, 0)).toBe(truth.orderCountry.size);
    expect(split.unplaced).toEqual({ buyers: expect.any(Number), vendors: 0, orders: 0 });
  });

  it("holds exactly the country's buyers and vendors, and none of another country's buyers, wallets, orders or messages", () => {
    const allHandles = [...truth.users.values()];
    let messagesSeen = 0;
    for (const p of split.packages) {
      const mine = members(p.country);
      const objects = p.bundle.objects;
      const text = JSON.stringify(p.bundle);
      const notes = notesIn(objects);
      // Accounts: exactly this country's buyers and vendors.
      expect(new Set(accountsIn(objects)), p.country).toEqual(mine);
      // No other country's buyer is named anywhere (vendors of other countries may appear as the seller of an order).
      for (const u of allHandles) {
        if (u.role === 'buyer' && mine.has(u.handle)) expect(wordRe(u.handle).test(notes), `${p.country} has no note on its buyer ${u.handle}`).toBe(true);
        if (u.role !== 'buyer' || mine.has(u.handle)) continue;
        expect(wordRe(u.handle).test(text), `${p.country} names foreign buyer ${u.handle}`).toBe(false);
      }
      // No wallet that only other countries' users hold; every wallet of this country's users is there.
      const wallets = new Set(objects.filter((o) => o.type === 'cryptocurrency-wallet').map((o) => String(o.value).toLowerCase()));
      for (const w of truth.wallets) {
        const heldHere = truth.wallets.some((x) => x.address === w.address && mine.has(x.owner));
        if (heldHere) expect(wallets.has(w.address.toLowerCase()), `${p.country} misses wallet of ${w.owner}`).toBe(true);
        else expect(text.includes(w.address), `${p.country} holds foreign wallet of ${w.owner}`).toBe(false);
      }
      // Orders: only those shipped to this country, all of them.
      const orderIds = [...notes.matchAll(/^order (\S+) /gm)].map((m) => m[1]!);
      expect(orderIds.every((id) => truth.orderCountry.get(id) === p.country), p.country).toBe(true);
      expect(orderIds.length).toBe([...truth.orderCountry.values()].filter((c) => c === p.country).length);
      // Messages: written by this country's accounts, to this country's accounts or to vendors.
      const messageIds = [...notes.matchAll(/^message (\S+) /gm)].map((m) => m[1]!);
      for (const id of messageIds) {
        const m = truth.messages.find((x) => x.id === id)!;
        expect(mine.has(m.sender), `${p.country} holds message ${id} of ${m.sender}`).toBe(true);
        const recipientRole = allHandles.find((u) => u.handle === m.recipient)!.role;
        expect(mine.has(m.recipient) || recipientRole === 'vendor').toBe(true);
      }
      const expectedMessages = truth.messages.filter((m) => {
        const role = allHandles.find((u) => u.handle === m.recipient)!.role;
        return mine.has(m.sender) && (mine.has(m.recipient) || role === 'vendor');
      });
      expect(messageIds.sort()).toEqual(expectedMessages.map((m) => m.id).sort());
      messagesSeen += messageIds.length;
    }
    expect(messagesSeen).toBeGreaterThan(0);
  });

  it('signs every package and an index of the files; a changed index is refused', () => {
    const key = generateAgencyKeyPair(producer.agencyId);
    const files = new Map<string, { file: string; sha256: string }>();
    for (const p of split.packages) {
      const signed = signPackage({ bundle: p.bundle, manifest: p.manifest }, key);
      expect(verifyPackage(JSON.parse(JSON.stringify(signed)), [publicPart(key)]).signer.agencyId).toBe(producer.agencyId);
      files.set(p.country, { file: `${p.country}.json`, sha256: 'ab'.repeat(32) });
    }
    const index = buildSplitIndex(split, producer, files);
    const signed = signSplitIndex(index, key);
    expect(verifySplitIndex(JSON.parse(JSON.stringify(signed)), [publicPart(key)]).packages).toHaveLength(split.packages.length);
    const tampered = JSON.parse(JSON.stringify(signed)) as typeof signed;
    tampered.index.packages[0]!.buyers += 1;
    expect(() => verifySplitIndex(tampered, [publicPart(key)])).toThrow(BadSignatureError);
  });

  it("carries only the evidence the package's rows come from: crawled pages of other countries' rows and login pages are not in it", async () => {
    // The same market also crawled: a login page (no row comes from it) and the page of one vendor's listing.
    const capture = (url: string, sha: string) => store.db.insertInto('captures')
      .values({ agency_id: 1, kind: 'http', market_id: marketId, url, payload_sha256: sha.repeat(64), fetched_at: new Date('2025-01-01T00:00:00Z') })
      .returning('id').executeTakeFirstOrThrow();
    await capture('http://market.onion/login', 'a');
    const page = await capture('http://market.onion/listing/1', 'b');
    const listing = await store.db.selectFrom('listings as l').innerJoin('vendors as v', 'v.id', 'l.vendor_id').select(['l.id', 'v.handle'])
      .where('l.market_id', '=', marketId).orderBy('l.id').executeTakeFirstOrThrow();
    await store.db.updateTable('listings').set({ capture_id: page.id }).where('id', '=', listing.id).execute();
    const again = await splitSeizedMarket(store.db, marketId, { producer, tlp: 'AMBER+STRICT', created: '2025-03-01T00:00:00Z' });
    const shipsFrom = [...truth.vendorsOf].filter(([, hs]) => hs.has(listing.handle)).map(([cc]) => cc);
    expect(shipsFrom.length).toBeGreaterThan(0);
    for (const p of again.packages) {
      const digests = p.manifest.evidence.map((e) => e.sha256);
      expect(digests, p.country).not.toContain('a'.repeat(64)); // the login page
      const dump = await store.db.selectFrom('captures').select('payload_sha256').where('id', '=', dumpCapture).executeTakeFirstOrThrow();
      expect(digests, p.country).toContain(dump.payload_sha256);
      expect(digests.includes('b'.repeat(64)), p.country).toBe(shipsFrom.includes(p.country));
      // The bundle's evidence references name the same digests, no more.
      const text = JSON.stringify(p.bundle);
      expect(text.includes('a'.repeat(64)), p.country).toBe(false);
    }
  });
});
