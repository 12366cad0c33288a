import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARCRecord, WARCSerializer } from 'warcio';
import { verifyEvidence } from '../../src/evidence/index.ts';
import { fixtureDir } from '../helpers/fixtures.ts';
import type { TestStore } from '../helpers/store.ts';
import { tarOf, tarOfFolder } from '../helpers/tar.ts';
import { startImportApi, type ImportApi } from './import-api.ts';
import type { Seeded } from './seed.ts';

// Archives uploaded through the API and imported by the real import job on a real worker (same store): a WARC
// written by warcio with the real Agora pages (one record tampered), and the real Agora page folder as a .tar.gz
// with hostile entries added; both become captures and, through the Agora adapter, listings, with the evidence
// kept and verifiable, and what was skipped in the job's reject report.
const AGORA = fixtureDir('agora-2014-04-06');
const HOST = 'agorahooawayyfoe.onion';

let api: ImportApi;
let store: TestStore;
let s: Seeded;
let importDir: string;
let evidenceDir: string;
let upload: ImportApi['upload'];
let runImport: ImportApi['runImport'];

beforeAll(async () => {
  api = await startImportApi();
  ({ store, s, importDir, evidenceDir, upload, runImport } = api);
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const page = (rel: string) => readFileSync(path.join(AGORA, rel));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const response = (url: string, date: string, body: Buffer) =>
  WARCRecord.create({ url, date, type: 'response', warcVersion: 'WARC/1.1', statusline: 'HTTP/1.1 200 OK', httpHeaders: { 'Content-Type': 'text/html; charset=utf-8' } }, [body]);
async function serialize(records: WARCRecord[], gzip: boolean): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const r of records) out.push(Buffer.from(await WARCSerializer.serialize(r, { gzip })));
  return Buffer.concat(out);
}

async function marketCaptures(slug: string) {
  const m = await store.db.selectFrom('markets').select(['id', 'adapter']).where('slug', '=', slug).where('agency_id', '=', s.agencyIds['NL-POL']!).executeTakeFirstOrThrow();
  const caps = await store.db.selectFrom('captures').select(['id', 'url', 'fetched_at', 'payload_sha256', 'kind']).where('market_id', '=', m.id).orderBy('url').execute();
  const listings = await store.db.selectFrom('listings').select(['id', 'adapter']).where('market_id', '=', m.id).execute();
  return { market: m, caps, listings };
}

describe('archive import upload', () => {
  it('imports an uploaded WARC (gzip per record): captures with their original dates, listings by the Agora adapter, the tampered record in the reject report', async () => {
    const url = (p: string) => `http://${HOST}/${p}`;
    const pages = ['p/wTu109mYK5', 'vendor/Demonic', 'vendor/cyberzen', 'cat/DkRTPKbZU1'];
    const good = await serialize([WARCRecord.createWARCInfo({ filename: 'agora.warc.gz', warcVersion: 'WARC/1.1' }, { software: 'warcio.js test' }), ...pages.map((p, i) => response(url(p), `2014-04-06T10:00:0${i}Z`, page(p)))], true);
    const tampered = Buffer.from(await serialize([response(url('vendor/Godspeed'), '2014-04-06T11:00:00Z', page('vendor/Godspeed'))], false));
    tampered[tampered.indexOf('</html>') + 2] = 'X'.charCodeAt(0); // changed after the digests were written
    const warc = Buffer.concat([good, gzipSync(tampered)]);

    const up = await upload('warc', warc, { name: 'agora.warc.gz' });
    expect(up.statusCode, up.body).toBe(201);
    const file = (up.json() as { file: string }).file;
    expect(file).toMatch(/^uploads\/\d+\/[0-9a-f-]{36}\.warc\.gz$/);

    const job = await runImport({ format: 'warc', file, market: 'agora-warc-upload' });
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    const r = job.result!;
    expect([r.format, r.file, r.fileSha256, r.records, r.captures]).toEqual(['warc', file, sha(warc), 6, 4]);
    expect(r.rejected).toBe(1);
    const rejects = r.rejects as Array<{ record: number; offset: number; reason: string }>;
    // The offset is in the uncompressed stream: the tampered record starts right after the good records.
    expect(rejects).toEqual([{ record: 6, offset: gunzipSync(good).length, reason: expect.stringMatching(/digest .* does not match/i) }]);
    expect((r.extracted as { parsed: number; listings: number }).parsed).toBe(4);

    const { market, caps, listings } = await marketCaptures('agora-warc-upload');
    expect(market.adapter).toBe('agora');
    expect(caps.map((c) => [c.url, c.fetched_at.toISOString(), c.kind])).toEqual(pages.map((p, i) => [url(p), `2014-04-06T10:00:0${i}.000Z`, 'archive']).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(caps.find((c) => c.url === url('vendor/Demonic'))!.payload_sha256).toBe(sha(page('vendor/Demonic')));
    expect(listings.length).toBeGreaterThan(0);
    expect(new Set(listings.map((l) => l.adapter))).toEqual(new Set(['agora@1.0.0']));
  }, 180_000);

  it('imports an uploaded page archive (.tar.gz of the real Agora folder): 40 pages preserved and extracted; links, traversal and non-pages in the reject report', async () => {
    const hostile = tarOf([
      { path: 'agora-2014-04-06/style.css', body: 'body { color: red }' },
      { path: 'agora-2014-04-06/passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' },
      { path: '../../escape.html', body: '<html><body>escape</body></html>' },
    ]);
    // The real folder's entries, then the hostile ones (the end-of-archive blocks of the first part dropped).
    const folder = tarOfFolder(AGORA, 'agora-2014-04-06');
    const tgz = gzipSync(Buffer.concat([folder.subarray(0, folder.length - 1024), hostile]));
    const up = await upload('pages', tgz, { name: 'agora-2014-04-06.tar.gz' });
    expect(up.statusCode, up.body).toBe(201);
    const file = (up.json() as { file: string }).file;
    expect(file).toMatch(/^uploads\/\d+\/[0-9a-f-]{36}\.tar\.gz$/);

    const job = await runImport({ format: 'pages', file });
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    const r = job.result!;
    expect([r.format, r.pages, r.alreadyPreserved]).toEqual(['pages', 40, 0]);
    expect(r.unpacked).toMatchObject({ files: 41, skipped: 2 });
    expect(r.rejected).toBe(3);
    const why = Object.fromEntries((r.rejects as Array<{ path: string; reason: string }>).map((x) => [x.path, x.reason]));
    expect(why).toEqual({
      'agora-2014-04-06/passwd': expect.stringMatching(/not unpacked: symbolic link/),
      '../../escape.html': expect.stringMatching(/not unpacked: path leaves the archive/),
      'agora-2014-04-06/style.css': expect.stringMatching(/not an HTML page/),
    });
    expect((r.extracted as { parsed: number }).parsed).toBe(40);
    expect(job.progress.unit).toBe('captures');
    expect(existsSync(path.join(importDir, `${file}.pages`))).toBe(false); // the unpacked copy is not kept
    expect(existsSync(path.join(importDir, '..', 'escape.html'))).toBe(false);

    const { market, caps, listings } = await marketCaptures('agora');
    expect(market.adapter).toBe('agora');
    expect(caps).toHaveLength(40);
    const demonic = caps.find((c) => c.url === `http://${HOST}/vendor/Demonic`)!;
    expect(demonic.fetched_at.toISOString()).toBe('2014-04-06T00:00:00.000Z');
    expect(demonic.payload_sha256).toBe(sha(page('vendor/Demonic')));
    expect(listings.length).toBeGreaterThan(25);

    // The evidence is kept: both imports' records verify against their WARC files and the hash chain.
    const verify = await verifyEvidence(store.db, { dir: evidenceDir });
    expect(verify.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const meta = await store.db.selectFrom('evidence_log').select('record_type').where('target_uri', '=', demonic.url).orderBy('id').execute();
    // The WARC's response for this URL (first test), then this archive's page: a resource with its origin metadata.
    expect(meta.map((m) => m.record_type)).toEqual(['response', 'metadata', 'resource', 'metadata']);

    // The same upload again: nothing preserved twice.
    const again = await runImport({ format: 'pages', file });
    expect(again.result!.alreadyImported).toBe(true);
  }, 180_000);

  it('refuses other packings and non-archives at the upload with a hint, and fails a corrupt archive at once (no retry)', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['pages', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(600)]), /wrong_kind.*\.zip.*repack as \.tar\.gz/],
      ['pages', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(600)]), /wrong_kind.*\.tar\.xz.*xz -dc/],
      ['pages', Buffer.from('<html>a page, not an archive</html>'.padEnd(1024)), /wrong_kind.*not a tar archive/],
      ['warc', Buffer.from('<html>a page, not a WARC</html>'), /wrong_kind.*not a WARC file/],
      ['warc', gzipSync(Buffer.from('plain text, gzipped')), /wrong_kind.*not a WARC file/],
    ];
    for (const [kind, body, msg] of cases) {
      const r = await upload(kind, body, { name: 'x' });
      expect(r.statusCode, r.body).toBe(422);
      expect(r.body).toMatch(msg);
    }
    const whole = gzipSync(tarOfFolder(AGORA, 'agora-2014-04-06'));
    const up = await upload('pages', whole.subarray(0, Math.floor(whole.length / 2)), { name: 'truncated.tar.gz' });
    expect(up.statusCode, up.body).toBe(201);
    const job = await runImport({ format: 'pages', file: (up.json() as { file: string }).file });
    expect(job.state).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error).toMatch(/truncated\.tar\.gz|uploads\/.*: (corrupt gzip data|unreadable tar archive)/);
  }, 180_000);
});
