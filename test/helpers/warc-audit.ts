// Reads WARC files with webrecorder's warcio.js (a third-party reader) and checks every record's
// WARC-Block-Digest and WARC-Payload-Digest. The block is the record's content as warcio reads it without HTTP
// parsing. The payload of an HTTP record is, per WARC 1.1 §6.3.2, the entity body with any transfer encoding removed:
// the body warcio's HTTP parser leaves after the header block, de-chunked by warcio's own chunked decoder when the
// response was sent chunked, Content-Encoding (gzip) not undone. Python warcio's `check` hashes a chunked body with
// its chunk framing instead (webrecorder/warcio#74, #75): a digest in that form is accepted only as "transferred"
// (other tools' records, imported verbatim) and counted apart; records DarkPatrol writes use the WARC 1.1 form
// (test/evidence/chunked-digest.test.ts, test/collect/crawl-sim.test.ts). Used by the suite's global teardown on
// every WARC the tests wrote (DARKPATROL_WARC_AUDIT_DIR) and by tests on their own output.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { AsyncIterReader, WARCParser } from 'warcio';

export interface WarcAuditResult {
  file: string;
  records: number;
  blockDigests: number;
  payloadDigests: number;
  /** Responses sent chunked / with a Content-Encoding, as warcio's HTTP parser saw them. */
  chunked: number;
  encoded: number;
  /**
   * Payload digests of chunked records that match the chunked body as transferred, not the de-chunked entity body
   * (the form Python `warcio check` expects; other tools' records copied verbatim). Not failures, counted apart.
   */
  transferredForm: number;
  failures: string[];
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function fromBase32(s: string): Buffer | undefined {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const i = B32.indexOf(c);
    if (i < 0) return undefined;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const ALGORITHMS: Record<string, { node: string; bytes: number }> = {
  sha1: { node: 'sha1', bytes: 20 },
  'sha-1': { node: 'sha1', bytes: 20 },
  sha256: { node: 'sha256', bytes: 32 },
  'sha-256': { node: 'sha256', bytes: 32 },
  sha512: { node: 'sha512', bytes: 64 },
  'sha-512': { node: 'sha512', bytes: 64 },
};

/** Whether a labelled WARC digest (`sha256:<hex or base32>`, `sha1:<base32>`) is the digest of `data`. */
export function digestMatches(labelled: string, data: Uint8Array): boolean | 'unknown-algorithm' {
  const i = labelled.indexOf(':');
  const alg = ALGORITHMS[labelled.slice(0, i).trim().toLowerCase()];
  if (i < 0 || !alg) return 'unknown-algorithm';
  const v = labelled.slice(i + 1).trim();
  const expected = new RegExp(`^[0-9a-f]{${alg.bytes * 2}}$`, 'i').test(v) ? Buffer.from(v, 'hex') : fromBase32(v);
  if (!expected || expected.length !== alg.bytes) return false;
  return createHash(alg.node).update(data).digest().equals(expected);
}

function parser(file: string, parseHttp: boolean): WARCParser {
  return new WARCParser(createReadStream(file) as unknown as AsyncIterable<Uint8Array>, { parseHttp });
}

/** Reads one WARC file (gzip per record or plain) twice with warcio.js and checks every digest it carries. */
export async function auditWarcFile(file: string): Promise<WarcAuditResult> {
  const r: WarcAuditResult = { file, records: 0, blockDigests: 0, payloadDigests: 0, chunked: 0, encoded: 0, transferredForm: 0, failures: [] };
  const fail = (n: number, id: string | null | undefined, what: string) => r.failures.push(`${file} record ${n} ${id ?? '(no id)'}: ${what}`);
  try {
    // Pass 1: the block, exactly as the record holds it.
    let n = 0;
    const blocks = parser(file, false);
    for await (const record of blocks) {
      n++;
      const block = await record.readFully();
      const declared = record.warcHeaders.headers.get('Content-Length');
      if (declared !== null && Number(declared) !== block.length) fail(n, record.warcHeader('WARC-Record-ID'), `Content-Length ${declared} but warcio read ${block.length} bytes`);
      const digest = record.warcBlockDigest;
      if (!digest) continue;
      r.blockDigests++;
      const ok = digestMatches(digest, block);
      if (ok !== true) fail(n, record.warcHeader('WARC-Record-ID'), `block digest ${ok === false ? 'failed' : 'has an unknown algorithm'} (${digest})`);
    }
    r.records = n;
    // warcio stops silently at a damaged gzip member: it must have read the file to its end.
    const size = statSync(file).size;
    if (blocks.offset !== size) r.failures.push(`${file}: warcio read ${n} records and stopped at byte ${blocks.offset} of ${size}`);
    // Pass 2: the payload, as warcio's HTTP parser separates it from the HTTP header block, de-chunked by warcio.
    n = 0;
    for await (const record of parser(file, true)) {
      n++;
      const te = record.httpHeaders?.headers.get('transfer-encoding') ?? null;
      const ce = record.httpHeaders?.headers.get('content-encoding');
      const chunked = te !== null && /(^|,)\s*chunked\s*$/i.test(te);
      if (record.warcType === 'response' && chunked) r.chunked++;
      if (record.warcType === 'response' && ce && !/^identity$/i.test(ce)) r.encoded++;
      const digest = record.warcPayloadDigest;
      // A revisit's payload digest names its original's payload, which it does not hold.
      if (!digest || record.warcType === 'revisit') {
        await record.readFully(false);
        continue;
      }
      r.payloadDigests++;
      const transferred = await record.readFully(false);
      // warcio's own chunked decoder (compression off): the entity body without its transfer encoding.
      const payload = chunked ? await new AsyncIterReader([transferred], null, true).readFully() : transferred;
      const ok = digestMatches(digest, payload);
      if (ok === true) continue;
      if (ok === false && chunked && digestMatches(digest, transferred) === true) {
        r.transferredForm++;
        continue;
      }
      fail(n, record.warcHeader('WARC-Record-ID'), `payload digest ${ok === false ? 'failed' : 'has an unknown algorithm'} (${digest})`);
    }
    if (n !== r.records) r.failures.push(`${file}: ${r.records} records without HTTP parsing, ${n} with it`);
  } catch (err) {
    r.failures.push(`${file}: warcio could not read it: ${(err as Error).message}`);
  }
  return r;
}
