import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WARCParser } from 'warcio';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import {
  EvidenceRecorder,
  exportEvidence,
  parseWarcDigest,
  readWarcFile,
  verifyEvidence,
  type HttpExchange,
} from '../../src/evidence/index.ts';

function exchange(i: number): HttpExchange {
  const body = `<html><body>page ${i} ${'x'.repeat(i * 37)}</body></html>`;
  const response = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return {
    url: `http://example${i % 3}.onion/page/${i}`,
    request: Buffer.from(`GET /page/${i} HTTP/1.1\r\nhost: example${i % 3}.onion\r\n\r\n`),
    response,
    payloadSha256: createHash('sha256').update(body).digest('hex'),
    payloadSize: Buffer.byteLength(body),
    httpStatus: 200,
    contentType: 'text/html',
    fetchedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  };
}

describe('WARC evidence and the hash-chained log', () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;
  const captureIds: number[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-evidence-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test police', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    // small files so rotation happens
    const recorder = new EvidenceRecorder(store.db, { dir: path.join(dir, 'warc'), maxFileBytes: 4000 });
    for (let i = 0; i < 12; i++) {
      const r = await recorder.recordExchange(exchange(i), { agencyId, marketId: null, jobId: 'job-1', account: 'u1', proxy: 'socks5h://m1@127.0.0.1:9050' });
      captureIds.push(r.captureId);
    }
    const src = path.join(dir, 'upload.csv');
    writeFileSync(src, 'a,b\n1,2\n');
    await recorder.recordFile(src, { agencyId, marketId: null, targetUri: 'file:///upload.csv', contentType: 'text/csv' });
    await recorder.close();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rotates files by size, each starting with warcinfo, and every record is logged', async () => {
    const files = readdirSync(path.join(dir, 'warc'));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(readWarcFile(path.join(dir, 'warc', f))[0]?.header.get('WARC-Type')).toBe('warcinfo');
    const n = await store.db.selectFrom('evidence_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(12 * 3 + 1 + files.length);
  });

  it('is readable by warcio.js (a WARC tool we did not write) and its digests match the bytes', async () => {
    let seen = 0;
    const types = new Set<string>();
    for (const f of readdirSync(path.join(dir, 'warc'))) {
      const parser = new WARCParser(createReadStream(path.join(dir, 'warc', f)) as unknown as AsyncIterable<Uint8Array>, { parseHttp: false });
      for await (const record of parser) {
        const block = await record.readFully(false);
        const sha = createHash('sha256').update(block).digest('hex');
        expect(parseWarcDigest(record.warcBlockDigest ?? '')).toBe(sha);
        expect(record.warcHeader('WARC-Record-ID')).toMatch(/^<urn:uuid:[0-9a-f-]{36}>$/);
        types.add(record.warcType ?? '');
        if (record.warcType === 'request' || record.warcType === 'metadata') expect(record.warcConcurrentTo?.length).toBe(1);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(36);
    expect([...types].sort()).toEqual(['metadata', 'request', 'resource', 'response', 'warcinfo']);
  });

  it('warcio.js parses the HTTP response and its payload digest matches the entity body', async () => {
    const f = readdirSync(path.join(dir, 'warc')).sort()[0] as string;
    const parser = new WARCParser(createReadStream(path.join(dir, 'warc', f)) as unknown as AsyncIterable<Uint8Array>);
    for await (const record of parser) {
      if (record.warcType !== 'response') continue;
      expect(record.httpHeaders?.statusCode).toBe(200);
      const body = await record.readFully(false);
      expect(parseWarcDigest(record.warcPayloadDigest ?? '')).toBe(createHash('sha256').update(body).digest('hex'));
    }
  });

  it('verify passes on untouched evidence', async () => {
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.map((p) => p.detail)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.records).toBe(report.entries);
  });

  it('export writes the selected records byte for byte with a manifest of hashes', async () => {
    const out = path.join(dir, 'export');
    const manifest = await exportEvidence(store.db, { dir: path.join(dir, 'warc'), outDir: out, selection: { jobId: 'job-1' } });
    expect(manifest.records.length).toBe(36);
    const file = manifest.files[0]!;
    const bytes = readFileSync(path.join(out, file.name));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const back = readWarcFile(path.join(out, file.name));
    expect(back.map((r) => r.header.get('WARC-Record-ID'))).toEqual(manifest.records.map((r) => r.recordId));
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).records.length).toBe(36);
  });

  it('verify fails when one byte of a WARC file changes, naming the file, offset and record', async () => {
    const entry = await store.db.selectFrom('evidence_log').selectAll().where('record_type', '=', 'response').orderBy('id').offset(4).limit(1).executeTakeFirstOrThrow();
    const filePath = path.join(dir, 'warc', entry.warc_file);
    const original = readFileSync(filePath);
    const tampered = Buffer.from(original);
    const at = entry.warc_offset + Math.floor(entry.warc_length / 2);
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    writeFileSync(filePath, tampered);
    try {
      const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(report.ok).toBe(false);
      const errors = report.problems.filter((p) => p.severity === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ file: entry.warc_file, offset: entry.warc_offset, recordId: entry.record_id });
      expect(errors[0]?.kind).toMatch(/record-unreadable|record-mismatch/);
    } finally {
      writeFileSync(filePath, original);
    }
  });

  it('verify fails when a record is rewritten with consistent gzip but different content', async () => {
    const entry = await store.db.selectFrom('evidence_log').selectAll().where('record_type', '=', 'response').orderBy('id').limit(1).executeTakeFirstOrThrow();
    const filePath = path.join(dir, 'warc', entry.warc_file);
    const original = readFileSync(filePath);
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const member = gunzipSync(original.subarray(entry.warc_offset, entry.warc_offset + entry.warc_length));
    // Records carry random UUIDs, so a re-compressed member is not always the same size. Pick a one-letter change and
    // a level whose member is no longer than the original, then pad the gzip header with an FCOMMENT field (RFC 1952)
    // so the member has exactly the original length: only the content, not the framing, differs.
    let rewritten: Buffer | undefined;
    for (const ch of 'QRSTUVWXYZabcdefgh') {
      const changed = Buffer.from(member.toString('latin1').replace('page 0', `page ${ch}`), 'latin1');
      for (const level of [9, 6, 8, 7, 5, 4, 3, 2, 1]) {
        const z = gzipSync(changed, { level });
        const pad = entry.warc_length - z.length;
        if (pad === 0) rewritten = z;
        else if (pad >= 1 && (z[3] ?? 0) === 0) {
          const header = Buffer.from(z.subarray(0, 10));
          header[3] = 0x10; // FCOMMENT: a zero-terminated comment follows the fixed header
          rewritten = Buffer.concat([header, Buffer.alloc(pad - 1, 0x20), Buffer.from([0]), z.subarray(10)]);
        }
        if (rewritten) break;
      }
      if (rewritten) break;
    }
    if (!rewritten) throw new Error('could not build a same-length rewritten member for this run');
    writeFileSync(filePath, Buffer.concat([original.subarray(0, entry.warc_offset), rewritten, original.subarray(entry.warc_offset + entry.warc_length)]));
    try {
      const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(report.ok).toBe(false);
      const mismatch = report.problems.find((p) => p.kind === 'record-mismatch');
      expect(mismatch?.recordId).toBe(entry.record_id);
      expect(mismatch?.detail).toContain('block digest');
    } finally {
      writeFileSync(filePath, original);
    }
  });

  it('the log refuses updates and deletes', async () => {
    await expect(store.db.deleteFrom('evidence_log').where('id', '=', 1).execute()).rejects.toThrow(/append-only/);
  });
});
