import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AsyncIterReader, WARCParser } from 'warcio';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { EvidenceRecorder, parseWarcDigest, verifyEvidence, type HttpExchange } from '../../src/evidence/index.ts';

// A chunked, gzip-encoded response (what nginx onion services send) recorded as evidence: the record keeps the
// message exactly as received (chunk framing, gzip), warcio.js reads it back byte for byte, and its
// WARC-Payload-Digest is, per WARC 1.1 §6.3.2, over the entity body with the transfer encoding removed (de-chunked
// by warcio's own decoder, gzip not undone) — the same digest the capture row and the log keep; verify passes.

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

function chunkedGzipExchange(): { exchange: HttpExchange; transferred: Buffer; entity: Buffer } {
  const html = Buffer.from(`<html><body>${'listing row '.repeat(400)}</body></html>`);
  const entity = gzipSync(html);
  const parts: Buffer[] = [];
  for (let i = 0; i < entity.length; i += 700) {
    const c = entity.subarray(i, i + 700);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  const transferred = Buffer.concat(parts);
  const head = 'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n';
  return {
    exchange: {
      url: 'http://chunky.onion/',
      request: Buffer.from('GET / HTTP/1.1\r\nHost: chunky.onion\r\nAccept-Encoding: gzip\r\n\r\n'),
      response: Buffer.concat([Buffer.from(head), transferred]),
      payloadSha256: sha(entity),
      payloadSize: entity.length,
      httpStatus: 200,
      contentType: 'text/html',
      fetchedAt: new Date('2026-01-01T00:00:00Z'),
    },
    transferred,
    entity,
  };
}

describe('chunked and gzip-encoded responses as the WARC tools expect them', () => {
  let store: TestStore;
  let dir: string;
  let captureId: number;
  const sample = chunkedGzipExchange();

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-chunked-'));
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'T', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const recorder = new EvidenceRecorder(store.db, { dir: path.join(dir, 'warc') });
    captureId = (await recorder.recordExchange(sample.exchange, { agencyId, marketId: null })).captureId;
    await recorder.close();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warcio.js reads the body as transferred, its payload digest is that of the de-chunked entity body, and it decodes the page', async () => {
    const f = readdirSync(path.join(dir, 'warc'))[0]!;
    let responses = 0;
    for await (const record of new WARCParser(createReadStream(path.join(dir, 'warc', f)) as unknown as AsyncIterable<Uint8Array>)) {
      if (record.warcType !== 'response') continue;
      responses++;
      expect(record.httpHeaders?.headers.get('transfer-encoding')).toBe('chunked');
      const raw = await record.readFully(false);
      expect(Buffer.from(raw).equals(sample.transferred)).toBe(true);
      const entity = await new AsyncIterReader([raw], null, true).readFully();
      expect(Buffer.from(entity).equals(sample.entity)).toBe(true);
      expect(parseWarcDigest(record.warcPayloadDigest ?? '')).toBe(sha(entity));
      expect(parseWarcDigest(record.warcPayloadDigest ?? '')).not.toBe(sha(raw));
    }
    expect(responses).toBe(1);
    // warcio's content reader undoes chunking and gzip: the page itself.
    for await (const record of new WARCParser(createReadStream(path.join(dir, 'warc', f)) as unknown as AsyncIterable<Uint8Array>)) {
      if (record.warcType !== 'response') continue;
      expect(Buffer.from(await record.contentText()).toString()).toContain('listing row listing row');
    }
  });

  it('the capture and the log keep the same entity-body digest, and verify passes', async () => {
    const c = await store.db.selectFrom('captures').select(['payload_sha256', 'payload_size', 'warc_record_id']).where('id', '=', captureId).executeTakeFirstOrThrow();
    expect(c.payload_sha256).toBe(sha(sample.entity));
    const logged = await store.db.selectFrom('evidence_log').select('payload_sha256').where('record_id', '=', c.warc_record_id!).executeTakeFirstOrThrow();
    expect(logged.payload_sha256).toBe(sha(sample.entity));
    expect(Number(c.payload_size)).toBe(sample.entity.length);
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.map((p) => p.detail)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
