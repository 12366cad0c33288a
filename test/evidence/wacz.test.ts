import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { WARCParser } from 'warcio';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { EvidenceRecorder, exportWacz, surt, type HttpExchange, type WaczResult } from '../../src/evidence/index.ts';
import { exportPublicKeyJwk, generateAgencyKeyPair } from '../../src/exchange/index.ts';

// A case's evidence as WACZ, read back with tools we did not write: Info-ZIP's unzip (integrity test and
// extraction), Python's zipfile (stored entries, names), warcio.js (the WARC inside), and the datapackage digests
// recomputed from the extracted bytes. The signature is checked with the agency's public key.

function exchange(i: number, host: string): HttpExchange {
  const body = `<html><head><title>p${i}</title></head><body>page ${i}</body></html>`;
  return {
    url: `http://${host}.onion/listing/${i}?b=2&a=1`,
    request: Buffer.from(`GET /listing/${i}?b=2&a=1 HTTP/1.1\r\nhost: ${host}.onion\r\n\r\n`),
    response: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    payloadSha256: createHash('sha256').update(body).digest('hex'),
    payloadSize: Buffer.byteLength(body),
    httpStatus: 200,
    contentType: 'text/html; charset=utf-8',
    fetchedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, i)),
  };
}

const haveTools = existsSync('/usr/bin/unzip') && spawnSync('python3', ['-c', 'import zipfile'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!haveTools)('WACZ export of a case (read back with unzip, Python zipfile and warcio)', () => {
  let store: TestStore;
  let dir: string;
  let result: WaczResult;
  const key = generateAgencyKeyPair('NL-POL');
  const out = () => path.join(dir, 'case.wacz');
  const x = () => path.join(dir, 'x');

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-wacz-test-'));
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'Politie', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const market = await store.db.insertInto('markets').values({ agency_id: agencyId, slug: 'm', name: 'M' }).returning('id').executeTakeFirstOrThrow();
    const caseId = (await store.db.insertInto('cases').values({ agency_id: agencyId, reference: 'OP-W', title: 'W', contact_point: 'desk@x.invalid' }).returning('id').executeTakeFirstOrThrow()).id;
    await store.db.insertInto('crawl_jobs').values({ id: 'job-w', market_id: market.id, case_id: caseId }).execute();
    const recorder = new EvidenceRecorder(store.db, { dir: path.join(dir, 'warc') });
    for (let i = 0; i < 4; i++) await recorder.recordExchange(exchange(i, 'casemarket'), { agencyId, marketId: market.id, jobId: 'job-w' });
    await recorder.recordExchange(exchange(9, 'othercase'), { agencyId, marketId: market.id, jobId: 'job-other' });
    await recorder.close();
    result = await exportWacz(store.db, {
      dir: path.join(dir, 'warc'), out: out(), selection: { caseId }, title: 'OP-W',
      sign: (m) => ({ keyId: key.keyId, agencyId: key.agencyId, algorithm: 'Ed25519', signature: Buffer.from(ed25519.sign(m, key.secretKey)).toString('base64url'), publicKeyJwk: { ...exportPublicKeyJwk(key) } }),
    });
    mkdirSync(x());
    const unzip = spawnSync('unzip', ['-q', out(), '-d', x()], { encoding: 'utf8' });
    if (unzip.status !== 0) throw new Error(`unzip: ${unzip.stderr}`);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a valid zip with every entry stored, in the WACZ layout', () => {
    const t = spawnSync('unzip', ['-t', out()], { encoding: 'utf8' });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    const py = spawnSync('python3', ['-c', 'import sys,zipfile,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps([[i.filename,i.compress_type] for i in z.infolist()]))', out()], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const entries = JSON.parse(py.stdout) as [string, number][];
    expect(entries.map(([n]) => n).sort()).toEqual(['archive/data.warc.gz', 'darkpatrol/manifest.json', 'datapackage-digest.json', 'datapackage.json', 'indexes/index.cdxj', 'pages/pages.jsonl']);
    expect(entries.every(([, c]) => c === 0)).toBe(true);
  });

  it('datapackage.json names every file with its SHA-256 and size, and the digest file the datapackage', () => {
    const dp = JSON.parse(readFileSync(path.join(x(), 'datapackage.json'), 'utf8')) as { wacz_version: string; profile: string; title: string; resources: { path: string; hash: string; bytes: number }[] };
    expect(dp.wacz_version).toBe('1.1.1');
    expect(dp.profile).toBe('data-package');
    expect(dp.title).toBe('OP-W');
    expect(dp.resources.map((r) => r.path).sort()).toEqual(['archive/data.warc.gz', 'darkpatrol/manifest.json', 'indexes/index.cdxj', 'pages/pages.jsonl']);
    for (const r of dp.resources) {
      const bytes = readFileSync(path.join(x(), r.path));
      expect(r.hash, r.path).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      expect(r.bytes, r.path).toBe(bytes.length);
    }
    const digest = JSON.parse(readFileSync(path.join(x(), 'datapackage-digest.json'), 'utf8')) as { path: string; hash: string; darkpatrol_signature: { signs: string; signature: string; keyId: string } };
    expect(digest.path).toBe('datapackage.json');
    expect(digest.hash).toBe(`sha256:${createHash('sha256').update(readFileSync(path.join(x(), 'datapackage.json'))).digest('hex')}`);
    // Signed by the agency over the datapackage digest: valid with its key, invalid for any other digest.
    const sig = digest.darkpatrol_signature;
    expect(sig.signs).toBe(digest.hash);
    expect(sig.keyId).toBe(key.keyId);
    expect(ed25519.verify(Buffer.from(sig.signature, 'base64url'), Buffer.from(digest.hash, 'utf8'), key.publicKey)).toBe(true);
    expect(ed25519.verify(Buffer.from(sig.signature, 'base64url'), Buffer.from(digest.hash.replace(/.$/, (c) => (c === '0' ? '1' : '0')), 'utf8'), key.publicKey)).toBe(false);
    expect(ed25519.verify(Buffer.from(sig.signature, 'base64url'), Buffer.from(digest.hash, 'utf8'), generateAgencyKeyPair('XX').publicKey)).toBe(false);
  });

  it("holds only the case's records, readable by warcio, and every CDXJ line points at its record", async () => {
    const warc = readFileSync(path.join(x(), 'archive/data.warc.gz'));
    const uris: string[] = [];
    for await (const r of new WARCParser([warc] as unknown as AsyncIterable<Uint8Array>)) {
      await r.readFully(false);
      if (r.warcType === 'response') uris.push(r.warcTargetURI ?? '');
    }
    expect(uris.sort()).toEqual([0, 1, 2, 3].map((i) => `http://casemarket.onion/listing/${i}?b=2&a=1`));
    const manifest = JSON.parse(readFileSync(path.join(x(), 'darkpatrol/manifest.json'), 'utf8')) as { records: { recordId: string; logHash: string }[] };
    expect(manifest.records.length).toBe(result.manifest.records.length);
    expect(manifest.records.every((r) => /^[0-9a-f]{64}$/.test(r.logHash))).toBe(true);
    const lines = readFileSync(path.join(x(), 'indexes/index.cdxj'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    expect([...lines].sort()).toEqual(lines);
    for (const line of lines) {
      const [key14, ts, json] = [line.split(' ')[0]!, line.split(' ')[1]!, line.slice(line.indexOf('{'))];
      const e = JSON.parse(json) as { url: string; offset: string; length: string; digest: string; mime: string; status: string; filename: string };
      expect(key14).toBe(surt(e.url));
      expect(key14).toMatch(/^onion,casemarket\)\/listing\/\d\?a=1&b=2$/);
      expect(ts).toMatch(/^20260102030\d{3}$/);
      expect([e.mime, e.status, e.filename]).toEqual(['text/html', '200', 'data.warc.gz']);
      const member = gunzipSync(warc.subarray(Number(e.offset), Number(e.offset) + Number(e.length))).toString('latin1');
      expect(member).toMatch(/^WARC\/1\.1\r\n/);
      expect(member).toContain(`WARC-Target-URI: ${e.url}\r\n`);
      expect(member).toContain('WARC-Type: response\r\n');
      const body = member.slice(member.lastIndexOf('\r\n\r\n', member.length - 5) + 4).replace(/\r\n\r\n$/, '');
      expect(e.digest).toBe(`sha256:${createHash('sha256').update(Buffer.from(body, 'latin1')).digest('hex')}`);
    }
    const pages = readFileSync(path.join(x(), 'pages/pages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(pages[0]).toEqual({ format: 'json-pages-1.0', id: 'pages', title: 'All Pages' });
    expect(pages.slice(1).map((p) => p.url).sort()).toEqual(uris);
  });

  it('refuses to overwrite a file and an empty selection', async () => {
    writeFileSync(path.join(dir, 'exists.wacz'), 'x');
    await expect(exportWacz(store.db, { dir: path.join(dir, 'warc'), out: path.join(dir, 'exists.wacz'), selection: { jobId: 'job-w' } })).rejects.toThrow(/EEXIST/);
    await expect(exportWacz(store.db, { dir: path.join(dir, 'warc'), out: path.join(dir, 'none.wacz'), selection: { jobId: 'no-such-job' } })).rejects.toThrow(/no evidence matches/);
  });
});
