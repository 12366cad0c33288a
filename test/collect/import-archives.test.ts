/**
 * Archives made by others become evidence: the real Agora pages (Darknet Market Archives layout) through
 * `import pages`, and WARC files written by the third-party warcio library (gzip per record and uncompressed,
 * chunked and gzip-encoded HTTP responses, a revisit, a resource, a request) through `import warc`, with damaged
 * records that must be reported without stopping the import. Then the Agora adapter runs over the captures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WARCRecord, WARCSerializer } from 'warcio';
import { fixtureDir } from '../helpers/fixtures.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { importPages, importWarcFiles, pageOrigin } from '../../src/collect/index.ts';
import { verifyEvidence } from '../../src/evidence/index.ts';
import { extractCaptures } from '../../src/extract/store/index.ts';

const AGORA = fixtureDir('agora-2014-04-06');
const HOST = 'agorahooawayyfoe.onion';
const DEMONIC_KEY = '9505720A4734B40029B2511C08874A6E3DBAABE2';

const page = (rel: string) => readFileSync(path.join(AGORA, rel));

function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const c = body.subarray(i, i + size);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

async function serialize(records: WARCRecord[], gzip: boolean): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const r of records) out.push(Buffer.from(await WARCSerializer.serialize(r, { gzip })));
  return Buffer.concat(out);
}

function response(url: string, date: string, body: Buffer, headers: Record<string, string>): WARCRecord {
  return WARCRecord.create({ url, date, type: 'response', warcVersion: 'WARC/1.1', statusline: 'HTTP/1.1 200 OK', httpHeaders: { 'Content-Type': 'text/html; charset=utf-8', ...headers } }, [body]);
}

describe('import pages and import warc', () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;
  const ev = () => path.join(dir, 'warc');

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-archives-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads market, day and URL from the archive layouts', () => {
    expect(pageOrigin(['fixtures', 'agora-2014-04-06'], 'p/wTu109mYK5', {})).toMatchObject({ market: 'agora', date: '2014-04-06', url: `http://${HOST}/p/wTu109mYK5` });
    expect(pageOrigin(['archives', 'agora'], '2014-04-06/vendor/Demonic', {})).toMatchObject({ market: 'agora', date: '2014-04-06', url: `http://${HOST}/vendor/Demonic` });
    expect(pageOrigin(['x', 'mirror'], 'abcdefghijklmnop.onion/shop/index.html', {})).toMatchObject({ market: null, date: null, url: 'http://abcdefghijklmnop.onion/shop/', urlFrom: 'host folder' });
    expect(pageOrigin(['x', 'dream'], 'item?id=7', { baseUrl: 'http://dream.example/' })).toMatchObject({ url: 'http://dream.example/item?id=7' });
    expect(pageOrigin(['x', 'y'], 'a/b.html', { market: 'unknown' }).url).toBe('http://unknown.invalid/a/b.html');
  });

  it('import pages: the real Agora folder becomes archive captures with their day, URL and SHA-256, extracted by the Agora adapter', async () => {
    const s = await importPages({ db: store.db, evidenceDir: ev(), agencyId, dir: AGORA });
    expect(s.pages).toBe(40);
    expect(s.marketIds).toHaveLength(1);
    const market = await store.db.selectFrom('markets').selectAll().where('id', '=', s.marketIds[0]!).executeTakeFirstOrThrow();
    expect([market.slug, market.adapter]).toEqual(['agora', 'agora']);
    const caps = await store.db.selectFrom('captures').selectAll().where('market_id', '=', market.id).execute();
    expect(caps).toHaveLength(40);
    const demonic = caps.find((c) => c.url === `http://${HOST}/vendor/Demonic`)!;
    expect(demonic.kind).toBe('archive');
    expect(demonic.fetched_at.toISOString()).toBe('2014-04-06T00:00:00.000Z');
    const { createHash } = await import('node:crypto');
    expect(demonic.payload_sha256).toBe(createHash('sha256').update(page('vendor/Demonic')).digest('hex'));
    // The origin is on the metadata record next to the page.
    const meta = await store.db.selectFrom('evidence_log').select(['record_type', 'target_uri']).where('target_uri', '=', demonic.url).orderBy('id').execute();
    expect(meta.map((m) => m.record_type)).toEqual(['resource', 'metadata']);

    const again = await importPages({ db: store.db, evidenceDir: ev(), agencyId, dir: AGORA });
    expect(again.alreadyImported).toBe(true);

    const report = await extractCaptures(store, { evidenceDir: ev(), marketId: market.id });
    expect(report.parsed).toBe(40);
    expect(report.skippedNoAdapter).toBe(0);
    const listings = await store.db.selectFrom('listings').select('adapter').where('market_id', '=', market.id).execute();
    expect(listings.length).toBeGreaterThan(25);
    expect(new Set(listings.map((l) => l.adapter))).toEqual(new Set(['agora@1.0.0']));
    const key = await store.db
      .selectFrom('selector_sightings as ss').innerJoin('selectors as s', 's.id', 'ss.selector_id').innerJoin('vendors as v', 'v.id', 'ss.vendor_id')
      .select(['v.handle', 'ss.capture_id']).where('s.value', '=', DEMONIC_KEY).execute();
    expect(key).toContainEqual({ handle: 'Demonic', capture_id: demonic.id });
  });

  it('import warc: warcio-written WARCs (gzip per record and plain), chunked and gzip-encoded responses, revisit, resource; damaged records reported, the rest imported', async () => {
    const product = page('p/wTu109mYK5');
    const vendor = page('vendor/Demonic');
    const cat = page('cat/DkRTPKbZU1');
    const cyber = page('vendor/cyberzen');
    const url = (p: string) => `http://${HOST}/${p}`;
    const gz = await serialize([
      WARCRecord.createWARCInfo({ filename: 'crawl.warc.gz', warcVersion: 'WARC/1.1' }, { software: 'warcio.js test' }),
      WARCRecord.create({ url: url('p/wTu109mYK5'), date: '2014-04-06T10:00:00Z', type: 'request', warcVersion: 'WARC/1.1', statusline: 'GET /p/wTu109mYK5 HTTP/1.1', httpHeaders: { Host: HOST } }, []),
      response(url('p/wTu109mYK5'), '2014-04-06T10:00:01Z', product, {}),
      response(url('vendor/Demonic'), '2014-04-06T10:00:02Z', chunked(vendor, 1000), { 'Transfer-Encoding': 'chunked' }),
      response(url('vendor/cyberzen'), '2014-04-06T10:00:03Z', gzipSync(cyber), { 'Content-Encoding': 'gzip' }),
      WARCRecord.create({ url: url('cat/DkRTPKbZU1'), date: '2014-04-06T10:00:04Z', type: 'resource', warcVersion: 'WARC/1.1', warcHeaders: { 'Content-Type': 'text/html' } }, [cat]),
      WARCRecord.create({ url: url('p/wTu109mYK5'), date: '2014-04-07T09:00:00Z', type: 'revisit', warcVersion: 'WARC/1.1', refersToUrl: url('p/wTu109mYK5'), refersToDate: '2014-04-06T10:00:01Z', statusline: 'HTTP/1.1 200 OK', httpHeaders: { 'Content-Type': 'text/html' } }, []),
    ], true);
    const gzFile = path.join(dir, 'crawl.warc.gz');
    writeFileSync(gzFile, gz);

    const s = await importWarcFiles({ db: store.db, evidenceDir: ev(), agencyId, files: [gzFile], market: 'agora-warc' });
    const f = s.files[0]!;
    expect(f.problems).toEqual([]);
    expect([f.records, f.captures, f.revisits]).toEqual([7, 5, 1]);
    expect(f.preservedOnly).toBe(2); // warcinfo and request
    const market = await store.db.selectFrom('markets').selectAll().where('slug', '=', 'agora-warc').executeTakeFirstOrThrow();
    expect(market.adapter).toBe('agora');
    const caps = await store.db.selectFrom('captures').selectAll().where('market_id', '=', market.id).orderBy('fetched_at').execute();
    expect(caps.map((c) => [c.url.slice(url('').length), c.fetched_at.toISOString(), c.http_status, c.kind])).toEqual([
      ['p/wTu109mYK5', '2014-04-06T10:00:01.000Z', 200, 'archive'],
      ['vendor/Demonic', '2014-04-06T10:00:02.000Z', 200, 'archive'],
      ['vendor/cyberzen', '2014-04-06T10:00:03.000Z', 200, 'archive'],
      ['cat/DkRTPKbZU1', '2014-04-06T10:00:04.000Z', null, 'archive'],
      ['p/wTu109mYK5', '2014-04-07T09:00:00.000Z', 200, 'archive'],
    ]);
    const { createHash } = await import('node:crypto');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    // Payload digests: the entity body after transfer decoding (de-chunked), before content decoding.
    expect(caps[1]!.payload_sha256).toBe(sha(vendor));
    expect(caps[2]!.payload_sha256).toBe(sha(gzipSync(cyber)));
    expect(caps[4]!.refers_to).toBe(caps[0]!.id);
    expect(caps[4]!.payload_sha256).toBe(caps[0]!.payload_sha256);

    const report = await extractCaptures(store, { evidenceDir: ev(), marketId: market.id });
    expect(report.failed).toBe(0);
    expect(report.parsed).toBe(5);
    const handles = (await store.db.selectFrom('vendors').select('handle').where('market_id', '=', market.id).execute()).map((v) => v.handle);
    expect(handles).toEqual(expect.arrayContaining(['Demonic', 'cyberzen']));
    const key = await store.db.selectFrom('selector_sightings as ss').innerJoin('selectors as s', 's.id', 'ss.selector_id').select('ss.capture_id').where('s.value', '=', DEMONIC_KEY).where('ss.capture_id', '=', caps[1]!.id).execute();
    expect(key).toHaveLength(1);
    // The revisit is a later sighting of the same listing: last_seen moves to its date.
    const listing = await store.db.selectFrom('listings').select(['first_seen', 'last_seen']).where('market_id', '=', market.id).where('external_id', '=', 'wTu109mYK5').executeTakeFirstOrThrow();
    expect([listing.first_seen.toISOString(), listing.last_seen.toISOString()]).toEqual(['2014-04-06T10:00:01.000Z', '2014-04-07T09:00:00.000Z']);

    // Re-importing the file does nothing; the same records in another file are not preserved twice.
    expect((await importWarcFiles({ db: store.db, evidenceDir: ev(), agencyId, files: [gzFile], market: 'agora-warc' })).files[0]!.alreadyImported).toBe(true);
    const copy = path.join(dir, 'copy.warc.gz');
    writeFileSync(copy, Buffer.concat([gz, gzipSync(Buffer.from('\r\n'))]));
    const c = (await importWarcFiles({ db: store.db, evidenceDir: ev(), agencyId, files: [copy], market: 'agora-warc' })).files[0]!;
    expect([c.alreadyImported, c.records, c.alreadyPreserved, c.captures]).toEqual([false, 7, 7, 0]);

    // An uncompressed WARC with damage: a bad header line, a block digest that does not match, then good records.
    const good = await serialize([response(url('vendor/XTandMD'), '2014-04-06T11:00:00Z', page('vendor/XTandMD'), {})], false);
    const tampered = Buffer.from(await serialize([response(url('vendor/Godspeed'), '2014-04-06T11:00:01Z', page('vendor/Godspeed'), {})], false));
    const i = tampered.indexOf('</html>');
    tampered[i + 2] = 'X'.charCodeAt(0); // one byte of the page changed after the digests were written
    const broken = Buffer.from('WARC/1.1\r\nWARC-Type response\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n');
    const plain = path.join(dir, 'damaged.warc');
    writeFileSync(plain, Buffer.concat([broken, tampered, good]));
    const d = (await importWarcFiles({ db: store.db, evidenceDir: ev(), agencyId, files: [plain], market: 'agora-warc' })).files[0]!;
    expect(d.problems.map((p) => [p.index, p.offset, p.fatal])).toEqual([[1, 0, false], [2, broken.length, false]]);
    expect(d.problems[0]!.message).toMatch(/malformed WARC header line/);
    expect(d.problems[1]!.message).toMatch(/WARC-Block-Digest .* does not match the block/);
    expect(d.captures).toBe(1);
    expect(await store.db.selectFrom('captures').select('url').where('market_id', '=', market.id).where('url', '=', url('vendor/XTandMD')).execute()).toHaveLength(1);
    expect(await store.db.selectFrom('captures').select('url').where('market_id', '=', market.id).where('url', '=', url('vendor/Godspeed')).execute()).toHaveLength(0);

    // A truncated gzip file: what came before the cut is imported, the cut is a clear, final error.
    const cut = path.join(dir, 'cut.warc.gz');
    const more = await serialize([response(url('vendor/OpiatEd'), '2014-04-06T12:00:00Z', page('vendor/OpiatEd'), {}), response(url('vendor/homegrown'), '2014-04-06T12:00:01Z', page('vendor/homegrown'), {})], true);
    writeFileSync(cut, more.subarray(0, more.length - 200));
    const t = (await importWarcFiles({ db: store.db, evidenceDir: ev(), agencyId, files: [cut], market: 'agora-warc' })).files[0]!;
    expect(t.captures).toBe(1);
    expect(t.problems).toHaveLength(1);
    expect(t.problems[0]!.fatal).toBe(true);
    expect(t.problems[0]!.message).toMatch(/corrupt gzip data|truncated/);

    const verify = await verifyEvidence(store.db, { dir: ev() });
    expect(verify.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });
});

