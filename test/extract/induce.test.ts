// Adapter induction (issue 19): an adapter induced from at most 5 labelled pages per page type of a real 2019
// market (labels taken from the hand-checked truth) is scored on the REST of that market's pages by the same code
// as `darkpatrol eval generic --adapter`; then saved versions, audit, and `extract --reparse` with the saved
// adapter over WARC evidence; and hostile labels / adapter files.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceRecorder } from '../../src/evidence/index.ts';
import { evaluateGenericReal, type RealTruthPage } from '../../src/extract/eval/generic-real.ts';
import {
  adapterFromJson,
  adapterToJson,
  AdapterError,
  coverageReport,
  extractPage,
  induceAdapter,
  LabelError,
  labelsFromTruth,
  parseLabels,
  trainingFiles,
  type Adapter,
  type LabelFile,
} from '../../src/extract/index.ts';
import { extractCaptures, loadFxTable } from '../../src/extract/store/index.ts';
import { listInducedAdapters, loadInducedAdapter, saveInducedAdapter } from '../../src/extract/store/induced.ts';
import { fixtureDir } from '../helpers/fixtures.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';

const DIR = fixtureDir('markets-2019');
const TRUTH_FILE = new URL('../fixtures/extract/markets-2019-truth.json', import.meta.url).pathname;
const truth = (JSON.parse(readFileSync(TRUTH_FILE, 'utf8')) as { pages: Record<string, RealTruthPage> }).pages;

function induceFor(market: string, perType: number): { labels: LabelFile; adapter: Adapter } {
  const labels = labelsFromTruth(truth, market, { perType });
  const pages = labels.pages.map((l) => ({
    label: l,
    input: { url: l.url!, html: readFileSync(path.join(DIR, l.file)), contentType: 'text/html; charset=utf-8', capturedAt: '2019-11-01T12:00:00Z', captureDigest: `sha256:${l.file}` },
  }));
  const r = induceAdapter(labels, pages);
  return { labels, adapter: r.adapter };
}

const induced = new Map<string, { labels: LabelFile; adapter: Adapter }>();
function get(market: string) {
  let x = induced.get(market);
  if (!x) induced.set(market, (x = induceFor(market, 5)));
  return x;
}

describe('adapters induced from ≤ 5 labelled pages per page type, scored on the rest of the market', () => {
  for (const market of ['apollon', 'dream']) {
    it(`${market}: every field ≥ 0.98 precision and recall on the held-out pages, nothing invented`, () => {
      const { labels, adapter } = get(market);
      expect(labels.pages.filter((p) => p.pageType === 'listing').length).toBeLessThanOrEqual(5);
      // Round trip through JSON, as saved and as `eval generic --adapter FILE` reads it.
      const reloaded = adapterFromJson(adapterToJson(adapter));
      expect(reloaded.hooks).toBeUndefined();
      const r = evaluateGenericReal(DIR, TRUTH_FILE, 'opaque', { adapters: [reloaded], exclude: trainingFiles(labels) })!;
      expect(r).not.toBeNull();
      expect(r.listingPages).toBeGreaterThanOrEqual(1);
      expect(r.vendorPages).toBeGreaterThanOrEqual(3);
      const fields = r.fields.filter((f) => f.tp + f.fn > 0);
      expect(fields.map((f) => f.field)).toEqual(expect.arrayContaining(['listing.title', 'listing.price', 'listing.vendorHandle', 'listing.shipsTo', 'vendor.handle', 'vendor.rating', 'page.pageType']));
      for (const f of fields) {
        expect(f.precision, `${f.field} precision (misses: ${JSON.stringify(r.misses.filter((m) => m.field === f.field))})`).toBeGreaterThanOrEqual(0.98);
        expect(f.recall, `${f.field} recall (misses: ${JSON.stringify(r.misses.filter((m) => m.field === f.field))})`).toBeGreaterThanOrEqual(0.98);
      }
      expect(r.inventedRows).toBe(0);
      expect(r.inventedVendors).toBe(0);
      expect(r.accountAsVendor).toEqual([]);
    }, 120_000);
  }

  it('the adapter is declarative: selectors and patterns only, page types from structure (no URL rules)', () => {
    const { adapter } = get('dream');
    expect(adapter.pageTypes.every((r) => r.url === undefined)).toBe(true);
    expect(adapter.pages.listing?.listings?.fields.category).toBeDefined();
    const cov = coverageReport(adapter, [{ ref: 'x', input: { url: 'http://x.onion/', html: readFileSync(path.join(DIR, 'dream/listings/listing_5.html')), contentType: 'text/html; charset=utf-8', capturedAt: '2019-11-01T12:00:00Z', captureDigest: 'x' } }]);
    expect(cov.pageTypes).toEqual({ listing: 1 });
    expect(cov.fields.find((f) => f.field === 'listing.title')?.coverage).toBe(1);
  });
});

describe('hostile labels and adapter files get clear errors', () => {
  it('labels', () => {
    expect(() => parseLabels([])).toThrow(LabelError);
    expect(() => parseLabels({ market: 'M', pages: [{ file: 'a', pageType: 'nonsense' }] })).toThrow(/pageType/);
    expect(() => parseLabels({ market: 'M', pages: [{ file: 'a', pageType: 'listing', fields: { 'listing.evil': 'x' } }] })).toThrow(/unknown field/);
    expect(() => parseLabels({ market: 'M', pages: [{ file: 'a', pageType: 'listing', fields: { 'listing.price': { amount: 1, currency: '<script>' } } }] })).toThrow(/currency/);
  });
  it('adapter JSON: no hooks, selectors and patterns must compile', () => {
    const base = { id: 'x', version: '1.0.0', market: 'X', pageTypes: [], pages: {} };
    expect(() => adapterFromJson('{')).toThrow(AdapterError);
    expect(() => adapterFromJson(JSON.stringify({ ...base, hooks: {} }))).toThrow(/hooks/);
    expect(() => adapterFromJson(JSON.stringify({ ...base, pages: { listing: { listings: { fields: { title: { selector: 'div[' } } } } } }))).toThrow(/bad selector/);
    expect(() => adapterFromJson(JSON.stringify({ ...base, pages: { listing: { listings: { fields: { title: { pattern: '(' } } } } } }))).toThrow(/bad pattern/);
    expect(() => adapterFromJson('x'.repeat(300_000))).toThrow(/larger/);
  });
  it('a labelled value that is not on the page is reported, not guessed', () => {
    const label = { file: 'l', pageType: 'listing' as const, fields: { 'listing.title': 'A title that is nowhere' } };
    const r = induceAdapter({ market: 'M', pages: [label] }, [{ label, input: { url: 'http://m.onion/x', html: '<html><body><h1>Other</h1></body></html>', capturedAt: '2019-01-01', captureDigest: 'x' } }]);
    const f = r.fields.find((x) => x.field === 'listing.title')!;
    expect(f.correct).toBe(0);
    expect(f.problems.join(' ')).toMatch(/not found/);
    expect(r.adapter.pages.listing?.listings).toBeUndefined();
  });
});

describe(`saved induced adapters on ${testEngine}: versions, audit, extract --reparse`, () => {
  let store: TestStore;
  let evidenceDir: string;
  let agencyId: number;
  let marketId: number;
  beforeAll(async () => {
    store = await openTestStore();
    evidenceDir = mkdtempSync(path.join(tmpdir(), 'dp-induce-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-I', name: 'I', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    marketId = (await store.db.insertInto('markets').values({ agency_id: agencyId, slug: 'dream', name: 'Dream' }).returning('id').executeTakeFirstOrThrow()).id;
    // Held-out Dream pages as crawled evidence (HTTP exchanges in WARC), before any adapter exists.
    const recorder = new EvidenceRecorder(store.db, { dir: evidenceDir, fsync: false });
    const { labels } = get('dream');
    const held = Object.entries(truth).filter(([f, t]) => t.market === 'dream' && (t.listing || t.vendor) && !trainingFiles(labels).has(f));
    for (const [file, t] of held) {
      const body = readFileSync(path.join(DIR, file));
      const u = new URL(t.url);
      const head = `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`;
      await recorder.recordExchange(
        {
          url: `${t.url}${u.search ? '&' : '?'}f=${encodeURIComponent(file)}`,
          request: Buffer.from(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`),
          response: Buffer.concat([Buffer.from(head), body]),
          payloadSha256: createHash('sha256').update(body).digest('hex'),
          payloadSize: body.length,
          httpStatus: 200,
          contentType: 'text/html; charset=utf-8',
          fetchedAt: new Date('2019-11-01T12:00:00Z'),
        },
        { agencyId, marketId, jobId: 'test' },
      );
    }
  });
  afterAll(async () => {
    await store?.close();
    rmSync(evidenceDir, { recursive: true, force: true });
  });

  it('saves versions per agency with an audit entry, and reparse re-reads the evidence with the latest', async () => {
    const { adapter } = get('dream');
    const first = await extractCaptures(store, { evidenceDir, fx: await loadFxTable(store.db) });
    expect(first.skippedNoAdapter).toBe(first.captures); // no adapter yet: the generic extractor read them
    const owner = { agencyId, userId: null, actor: 'test:analyst' };
    const s1 = await saveInducedAdapter(store.db, owner, adapter, { marketSlug: 'dream', labels: 12 });
    const s2 = await saveInducedAdapter(store.db, owner, adapter, { marketSlug: 'dream' });
    expect([s1.version, s2.version]).toEqual(['1.0.0', '1.0.1']);
    expect((await listInducedAdapters(store.db, agencyId)).map((r) => r.version)).toEqual(['1.0.0', '1.0.1']);
    expect((await loadInducedAdapter(store.db, agencyId, `${adapter.id}@1.0.0`))?.adapter.version).toBe('1.0.0');
    expect(await loadInducedAdapter(store.db, agencyId + 1, adapter.id)).toBeNull(); // agency-scoped
    const audit = await store.db.selectFrom('audit_log').select(['action', 'object_id']).where('action', '=', 'adapter.save').execute();
    expect(audit.map((a) => a.object_id)).toEqual([`${adapter.id}@1.0.0`, `${adapter.id}@1.0.1`]);

    const again = await extractCaptures(store, { evidenceDir, reparse: true, fx: await loadFxTable(store.db) });
    expect(again.captures).toBe(first.captures);
    expect(again.skippedNoAdapter).toBe(0);
    const parses = await store.db.selectFrom('capture_parses').select(['adapter', 'page_type']).execute();
    expect(new Set(parses.map((p) => p.adapter))).toEqual(new Set([`${adapter.id}@1.0.1`]));
    // The vendors and listings of the held-out pages are now in the database, from the induced adapter.
    const vendors = (await store.db.selectFrom('vendors').select('handle').where('market_id', '=', marketId).execute()).map((v) => v.handle);
    const expected = Object.entries(truth).filter(([f, t]) => t.market === 'dream' && !trainingFiles(get('dream').labels).has(f)).flatMap(([, t]) => [t.vendor?.handle, t.listing?.vendorHandle]);
    for (const h of expected) if (h) expect(vendors.map((v) => v.toLowerCase())).toContain(h.toLowerCase());
    const listing = (await store.db.selectFrom('listings').select('title').where('market_id', '=', marketId).execute()).map((l) => l.title);
    expect(listing.length).toBeGreaterThan(0);
    // And it is what the adapter gives directly on one page.
    const one = extractPage(adapter, { url: 'http://x.onion/', html: readFileSync(path.join(DIR, 'dream/listings/listing_5.html')), contentType: 'text/html; charset=utf-8', capturedAt: '2019-11-01', captureDigest: 'x' });
    expect(listing).toContain(one.listings[0]!.title);
  }, 120_000);
});
