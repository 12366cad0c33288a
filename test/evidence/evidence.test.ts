import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
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
  let caseCaptureId: number;

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
    // One capture crawled for a case: its case is sealed with it.
    const market = await store.db.insertInto('markets').values({ agency_id: agencyId, slug: 'm', name: 'M' }).returning('id').executeTakeFirstOrThrow();
    for (const reference of ['OP-GLASS', 'OP-OTHER'])
      await store.db.insertInto('cases').values({ agency_id: agencyId, reference, title: reference, contact_point: 'desk@x.invalid' }).execute();
    const caseId = (await store.db.selectFrom('cases').select('id').where('reference', '=', 'OP-GLASS').executeTakeFirstOrThrow()).id;
    await store.db.insertInto('crawl_jobs').values({ id: 'job-case', market_id: market.id, case_id: caseId }).execute();
    caseCaptureId = (await recorder.recordExchange(exchange(12), { agencyId, marketId: market.id, jobId: 'job-case' })).captureId;
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
    expect(Number(n.n)).toBe(13 * 3 + 1 + files.length);
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

  it('verify names every court-relevant field of a capture edited in the database (URL, time, digests, record id, agency, case)', async () => {
    const id = captureIds[3]!;
    const before = await store.db.selectFrom('captures').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const other = (await store.db.insertInto('agencies').values({ code: 'DEBKA', name: 'Other', country: 'DE' }).returning('id').executeTakeFirstOrThrow()).id;
    const edits: Array<[string, Record<string, unknown>]> = [
      ['url', { url: 'http://elsewhere.onion/page/3' }],
      ['fetched_at', { fetched_at: new Date(before.fetched_at.getTime() + 3_600_000) }],
      ['payload_sha256', { payload_sha256: 'ef'.repeat(32) }],
      ['agency_id', { agency_id: other }],
      ['account', { account: 'someone-else' }],
    ];
    try {
      for (const [field, set] of edits) {
        await store.db.updateTable('captures').set(set).where('id', '=', id).execute();
        const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
        expect(report.ok, field).toBe(false);
        const errors = report.problems.filter((p) => p.severity === 'error');
        expect(errors.map((p) => p.kind), field).toEqual(['capture-edited']);
        expect(errors[0]).toMatchObject({ captureId: id });
        expect(errors[0]?.detail).toContain(`${field}: sealed`);
        await store.db.updateTable('captures').set({ url: before.url, fetched_at: before.fetched_at, payload_sha256: before.payload_sha256, agency_id: before.agency_id, account: before.account }).where('id', '=', id).execute();
      }
      // A microsecond is an edit too (timestamptz is finer than a JS Date).
      await sql`update captures set fetched_at = fetched_at + interval '1 microsecond' where id = ${id}`.execute(store.db);
      const micro = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(micro.problems.find((p) => p.kind === 'capture-edited')?.detail).toMatch(/fetched_at: sealed "[^"]+\.\d{6}Z", now "[^"]+\.\d{5}1Z"/);
      await sql`update captures set fetched_at = fetched_at - interval '1 microsecond' where id = ${id}`.execute(store.db);

      // The record id a capture points at: another capture's record.
      const otherRecord = await store.db.selectFrom('captures').select('warc_record_id').where('id', '=', captureIds[4]!).executeTakeFirstOrThrow();
      await store.db.updateTable('captures').set({ warc_record_id: otherRecord.warc_record_id }).where('id', '=', id).execute();
      const swapped = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(swapped.problems.filter((p) => p.severity === 'error').map((p) => p.kind).sort()).toEqual(['capture-edited', 'capture-mismatch']);
      expect(swapped.problems.find((p) => p.kind === 'capture-edited')?.detail).toContain('warc_record_id: sealed');
      await store.db.updateTable('captures').set({ warc_record_id: before.warc_record_id }).where('id', '=', id).execute();

      // The case it was collected for: the job's case moved, or the case's reference rewritten.
      await store.db.updateTable('crawl_jobs').set({ case_id: (await store.db.selectFrom('cases').select('id').where('reference', '=', 'OP-OTHER').executeTakeFirstOrThrow()).id }).where('id', '=', 'job-case').execute();
      const moved = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(moved.problems.filter((p) => p.severity === 'error')).toHaveLength(1);
      expect(moved.problems[0]).toMatchObject({ kind: 'capture-edited', captureId: caseCaptureId });
      expect(moved.problems[0]?.detail).toMatch(/case_id: sealed \d+, now \d+; case_reference: sealed "OP-GLASS", now "OP-OTHER"/);
      await store.db.updateTable('crawl_jobs').set({ case_id: (await store.db.selectFrom('cases').select('id').where('reference', '=', 'OP-GLASS').executeTakeFirstOrThrow()).id }).where('id', '=', 'job-case').execute();
      await store.db.updateTable('cases').set({ reference: 'OP-RENAMED' }).where('reference', '=', 'OP-GLASS').execute();
      const renamed = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(renamed.problems.map((p) => p.detail)).toEqual([expect.stringContaining('case_reference: sealed "OP-GLASS", now "OP-RENAMED"')]);
    } finally {
      await store.db.updateTable('cases').set({ reference: 'OP-GLASS' }).where('reference', '=', 'OP-RENAMED').execute();
      await store.db.updateTable('captures').set({ url: before.url, fetched_at: before.fetched_at, payload_sha256: before.payload_sha256, agency_id: before.agency_id, account: before.account, warc_record_id: before.warc_record_id }).where('id', '=', id).execute();
    }
    expect((await verifyEvidence(store.db, { dir: path.join(dir, 'warc') })).ok).toBe(true);
  });

  /** The file holding the most records, and its log entries in order. */
  async function busiestFile() {
    const rows = await store.db.selectFrom('evidence_log').selectAll().orderBy('id').execute();
    const byFile = new Map<string, typeof rows>();
    for (const r of rows) byFile.set(r.warc_file, [...(byFile.get(r.warc_file) ?? []), r]);
    const [file, entries] = [...byFile].sort((a, b) => b[1].length - a[1].length)[0]!;
    return { file, entries, filePath: path.join(dir, 'warc', file) };
  }

  it('after bytes are cut out of one record, verify names that record once, resynchronises, and names the shift of the rest once', async () => {
    const { file, entries, filePath } = await busiestFile();
    expect(entries.length).toBeGreaterThanOrEqual(4);
    const victim = entries[1]!;
    const original = readFileSync(filePath);
    const cut = victim.warc_offset + Math.floor(victim.warc_length / 2);
    writeFileSync(filePath, Buffer.concat([original.subarray(0, cut), original.subarray(cut + 10)]));
    try {
      const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      expect(report.ok).toBe(false);
      const errors = report.problems.filter((p) => p.severity === 'error');
      expect(errors.map((p) => p.kind)).toEqual(['record-unreadable', 'record-moved']);
      expect(errors[0]).toMatchObject({ file, offset: victim.warc_offset, recordId: victim.record_id });
      expect(errors[0]?.detail).toContain(`reading resumed at the next record, @${entries[2]!.warc_offset - 10}`);
      expect(errors[1]).toMatchObject({ file, recordId: entries[2]!.record_id });
      expect(errors[1]?.detail).toContain(`${entries.length - 2} record(s) stand 10 byte(s) earlier than logged`);
      // Every later record was still re-read and its digests checked, where it now stands.
      expect(report.records).toBe(report.entries - 1);
    } finally {
      writeFileSync(filePath, original);
    }
  });

  it('names two swapped records of a WARC file as one reordering', async () => {
    const { file, entries, filePath } = await busiestFile();
    const [a, b] = [entries[1]!, entries[2]!];
    const original = readFileSync(filePath);
    const member = (e: typeof a) => original.subarray(e.warc_offset, e.warc_offset + e.warc_length);
    writeFileSync(filePath, Buffer.concat([original.subarray(0, a.warc_offset), member(b), member(a), original.subarray(b.warc_offset + b.warc_length)]));
    try {
      const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      const errors = report.problems.filter((p) => p.severity === 'error');
      expect(errors.map((p) => p.kind)).toEqual(['records-reordered']);
      expect(errors[0]?.file).toBe(file);
      expect(errors[0]?.detail).toMatch(/1 record\(s\) no longer stand in logged order/);
      expect(report.records).toBe(report.entries);
    } finally {
      writeFileSync(filePath, original);
    }
  });

  it('names two evidence-log entries stored out of order as one reordering of the chain', async () => {
    const rows = await store.db.selectFrom('evidence_log').selectAll().orderBy('id').offset(5).limit(2).execute();
    const [x, y] = [rows[0]!, rows[1]!];
    const cols = ['at', 'record_id', 'record_type', 'target_uri', 'warc_file', 'warc_offset', 'warc_length', 'block_sha256', 'payload_sha256', 'job_id', 'capture_id', 'prev_hash', 'hash', 'seal'] as const;
    const put = async (id: number, from: typeof x, recordId = from.record_id) => {
      const v = { ...from, record_id: recordId, seal: from.seal === null ? null : JSON.stringify(from.seal) };
      await sql`update evidence_log set ${sql.join(cols.map((c) => sql`${sql.ref(c)} = ${v[c]}`))} where id = ${id}`.execute(store.db);
    };
    const swap = async (first: typeof x, second: typeof x) => {
      await sql`alter table evidence_log disable trigger evidence_log_no_update`.execute(store.db);
      try {
        await put(first.id, second, 'tmp');
        await put(second.id, first);
        await put(first.id, second);
      } finally {
        await sql`alter table evidence_log enable trigger evidence_log_no_update`.execute(store.db);
      }
    };
    await swap(x, y);
    try {
      const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
      const chain = report.problems.filter((p) => p.kind.startsWith('chain'));
      expect(chain.map((p) => p.kind)).toEqual(['chain-reordered']);
      expect(chain[0]?.detail).toContain(`the chain runs ${x.id - 1} → ${y.id} → ${x.id} → ${y.id + 1}`);
    } finally {
      await swap({ ...y, id: x.id }, { ...x, id: y.id });
    }
    expect((await verifyEvidence(store.db, { dir: path.join(dir, 'warc') })).ok).toBe(true);
  });

  it('the log refuses updates and deletes', async () => {
    await expect(store.db.deleteFrom('evidence_log').where('id', '=', 1).execute()).rejects.toThrow(/append-only/);
  });
});
