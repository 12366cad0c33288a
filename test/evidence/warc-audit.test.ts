import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AsyncIterReader } from 'warcio';
import { base32, dechunk } from '../../src/evidence/index.ts';
import { auditWarcFile, digestMatches } from '../helpers/warc-audit.ts';

// The checker the suite's global teardown runs on every WARC the tests write (warcio.js reads the records; block
// and payload digests are recomputed over what warcio returns) must pass good records and catch bad ones.

const dir = mkdtempSync(path.join(tmpdir(), 'dp-warc-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const sha1b32 = (b: Buffer) => `sha1:${base32(createHash('sha1').update(b).digest())}`;

function record(type: string, block: Buffer, digests: { block?: string; payload?: string }): Buffer {
  const head = [
    'WARC/1.1',
    `WARC-Type: ${type}`,
    `WARC-Record-ID: <urn:uuid:${createHash('md5').update(block).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')}>`,
    'WARC-Date: 2026-01-01T00:00:00Z',
    'WARC-Target-URI: http://x.onion/',
    ...(digests.block ? [`WARC-Block-Digest: ${digests.block}`] : []),
    ...(digests.payload ? [`WARC-Payload-Digest: ${digests.payload}`] : []),
    'Content-Type: application/http; msgtype=response',
    `Content-Length: ${block.length}`,
  ].join('\r\n');
  return gzipSync(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), block, Buffer.from('\r\n\r\n')]));
}

const entity = gzipSync(Buffer.from('<html><body>page</body></html>'));
const transferred = Buffer.concat([Buffer.from(`${entity.length.toString(16)}\r\n`), entity, Buffer.from('\r\n0\r\n\r\n')]);
const http = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n'), transferred]);

function file(name: string, ...records: Buffer[]): string {
  const f = path.join(dir, name);
  writeFileSync(f, Buffer.concat(records));
  return f;
}

describe('the WARC audit (warcio.js reader, digests recomputed)', () => {
  it('reads digests in hex and base32, SHA-256 and SHA-1', () => {
    const b = Buffer.from('abc');
    expect(digestMatches(sha256(b), b)).toBe(true);
    expect(digestMatches(sha1b32(b), b)).toBe(true);
    expect(digestMatches(sha1b32(b), Buffer.from('abd'))).toBe(false);
    expect(digestMatches('md5:xyz', b)).toBe('unknown-algorithm');
  });

  it('passes a chunked gzip response whose payload digest is over the de-chunked entity body (WARC 1.1), and counts it', async () => {
    const r = await auditWarcFile(file('good.warc.gz', record('response', http, { block: sha256(http), payload: sha1b32(entity) })));
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ records: 1, blockDigests: 1, payloadDigests: 1, chunked: 1, encoded: 1, transferredForm: 0 });
  });

  it('accepts a digest over the chunked body as transferred (Python warcio check\'s form, other tools\' records) but counts it apart', async () => {
    const r = await auditWarcFile(file('transferred.warc.gz', record('response', http, { block: sha256(http), payload: sha256(transferred) })));
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({ payloadDigests: 1, transferredForm: 1 });
  });

  it('fails a payload digest over the decoded page, and a wrong block digest', async () => {
    const page = Buffer.from('<html><body>page</body></html>');
    const r = await auditWarcFile(file('bad.warc.gz',
      record('response', http, { block: sha256(http), payload: sha256(page) }),
      record('response', http, { block: sha256(Buffer.from('other')), payload: sha256(entity) }),
    ));
    expect(r.records).toBe(2);
    expect(r.failures).toHaveLength(2);
    expect(r.failures.some((f) => /bad\.warc\.gz record 1 .*payload digest failed/.test(f))).toBe(true);
    expect(r.failures.some((f) => /bad\.warc\.gz record 2 .*block digest failed/.test(f))).toBe(true);
  });

  it('our de-chunking agrees with warcio.js, also on a body recorded de-chunked under a chunked header, or cut short', async () => {
    const page = Buffer.from('<html><body>page</body></html>');
    const warcioDechunk = async (b: Buffer) => Buffer.from(await new AsyncIterReader([b], null, true).readFully());
    const withExtension = Buffer.concat([Buffer.from(`${entity.length.toString(16)};name=v\r\n`), entity, Buffer.from('\r\n0\r\n\r\n')]);
    const cases = [transferred, withExtension, page, Buffer.from('812345'), transferred.subarray(0, 10), Buffer.alloc(0), Buffer.from('0\r\n\r\n')];
    for (const body of cases) expect(dechunk(body).equals(await warcioDechunk(body)), JSON.stringify(body.subarray(0, 12).toString('latin1'))).toBe(true);
    expect(dechunk(transferred).equals(entity)).toBe(true);
    expect(dechunk(page).equals(page)).toBe(true);
    // A page recorded de-chunked under its original Transfer-Encoding header: the payload is the body as it is.
    const relabelled = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), page]);
    const r = await auditWarcFile(file('relabelled.warc.gz', record('response', relabelled, { block: sha256(relabelled), payload: sha256(page) })));
    expect(r.failures).toEqual([]);
  });

  it('reports a file warcio cannot read instead of passing it', async () => {
    const good = record('response', http, { block: sha256(http), payload: sha256(entity) });
    const r = await auditWarcFile(file('truncated.warc.gz', good, good.subarray(0, good.length - 20)));
    expect(r.failures.join('\n')).toMatch(/stopped at byte/);
  });
});
