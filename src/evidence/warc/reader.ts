import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip, gunzipSync } from 'node:zlib';
import { httpPayload, parseHeaderText, type ParsedHeader } from './record.ts';
import { memberEnd } from './scan.ts';

/** Largest header block we accept while reading (hostile or corrupt files must not exhaust memory). */
const MAX_HEADER_BYTES = 64 * 1024;
/** Blocks up to this size are kept in memory to compute an HTTP payload digest; larger ones are hashed streaming. */
const MAX_BUFFERED_BLOCK = 64 * 1024 * 1024;

export interface InspectedRecord {
  header: ParsedHeader;
  /** Uncompressed block size actually present. */
  blockSize: number;
  blockSha256: string;
  /** For request/response records: SHA-256 of the HTTP entity body; for others: the block's. Null if not computed. */
  payloadSha256: string | null;
  /** Problems in the framing itself (missing trailer, bytes after the record inside the member range). */
  framing: string[];
}

/**
 * Reads one gzip member at [offset, offset+length) of a WARC file, streaming, and recomputes its digests.
 * Throws on a corrupt gzip member or an unreadable header (the message says which).
 */
export async function inspectRecord(filePath: string, offset: number, length: number): Promise<InspectedRecord> {
  if (length <= 0) throw new Error('empty record range');
  const source = createReadStream(filePath, { start: offset, end: offset + length - 1 });
  const gunzip = createGunzip();
  source.pipe(gunzip);
  source.on('error', (e) => gunzip.destroy(e));
  let headerBuf: Buffer = Buffer.alloc(0);
  let header: ParsedHeader | undefined;
  let contentLength = 0;
  let seen = 0;
  const blockHash = createHash('sha256');
  let buffered: Buffer[] | null = [];
  let after: Buffer[] = [];
  let afterLen = 0;
  for await (const chunk of gunzip) {
    let data = chunk as Buffer;
    if (!header) {
      headerBuf = Buffer.concat([headerBuf, data]);
      const end = headerBuf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (headerBuf.length > MAX_HEADER_BYTES) throw new Error(`WARC header longer than ${MAX_HEADER_BYTES} bytes`);
        continue;
      }
      header = parseHeaderText(headerBuf.subarray(0, end).toString('utf8'));
      contentLength = Number(header.get('Content-Length'));
      if (!Number.isSafeInteger(contentLength) || contentLength < 0) throw new Error('WARC header has no valid Content-Length');
      data = headerBuf.subarray(end + 4);
    }
    const take = Math.min(data.length, contentLength - seen);
    if (take > 0) {
      const part = data.subarray(0, take);
      blockHash.update(part);
      if (buffered) {
        buffered.push(part);
        if (seen + take > MAX_BUFFERED_BLOCK) buffered = null;
      }
      seen += take;
    }
    if (take < data.length && afterLen < 1024) {
      after.push(data.subarray(take));
      afterLen += data.length - take;
    }
  }
  if (!header) throw new Error('gzip member holds no complete WARC header');
  const framing: string[] = [];
  if (seen < contentLength) framing.push(`block is ${seen} bytes, Content-Length says ${contentLength}`);
  const tail = Buffer.concat(after);
  if (!tail.subarray(0, 4).equals(Buffer.from('\r\n\r\n'))) framing.push('record does not end with CRLF CRLF');
  else if (tail.length > 4) framing.push(`${tail.length - 4} unexpected byte(s) after the record`);
  after = [];
  const blockSha256 = blockHash.digest('hex');
  const type = header.get('WARC-Type');
  let payloadSha256: string | null = null;
  if (type === 'request' || type === 'response') {
    if (buffered) payloadSha256 = createHash('sha256').update(httpPayload(Buffer.concat(buffered))).digest('hex');
  } else if (type === 'resource') {
    payloadSha256 = blockSha256;
  }
  return { header, blockSize: seen, blockSha256, payloadSha256, framing };
}

export interface ReadRecord {
  offset: number;
  length: number;
  header: ParsedHeader;
  block: Buffer;
}

/** Reads every record of a member-per-record .warc.gz file (held in memory: for files of bounded size). */
export function readWarcFile(filePath: string): ReadRecord[] {
  const buf = readFileSync(filePath);
  const out: ReadRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = memberEnd(buf, pos);
    const data = gunzipSync(buf.subarray(pos, end));
    const headEnd = data.indexOf('\r\n\r\n');
    if (headEnd < 0) throw new Error(`record at offset ${pos} has no header end`);
    const header = parseHeaderText(data.subarray(0, headEnd).toString('utf8'));
    const len = Number(header.get('Content-Length'));
    out.push({ offset: pos, length: end - pos, header, block: data.subarray(headEnd + 4, headEnd + 4 + len) });
    pos = end;
  }
  return out;
}

/** One record by position (as logged): header and block in memory. */
export function readRecordAt(filePath: string, offset: number, length: number): ReadRecord {
  const buf = Buffer.alloc(length);
  const fd = openSync(filePath, 'r');
  try {
    readSync(fd, buf, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  const data = gunzipSync(buf);
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`record at offset ${offset} has no header end`);
  const header = parseHeaderText(data.subarray(0, headEnd).toString('utf8'));
  const len = Number(header.get('Content-Length'));
  return { offset, length, header, block: data.subarray(headEnd + 4, headEnd + 4 + len) };
}

/**
 * Streams the block of the record stored as the gzip member at [offset, offset+length) into `dest` (bounded
 * memory, any size) and returns its SHA-256 and size, so a preserved file can be read back and checked.
 */
export async function copyRecordBlock(filePath: string, offset: number, length: number, dest: string): Promise<{ sha256: string; size: number }> {
  const source = createReadStream(filePath, { start: offset, end: offset + length - 1 });
  const gunzip = createGunzip();
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  const out = createWriteStream(dest);
  const hash = createHash('sha256');
  let head: Buffer = Buffer.alloc(0);
  let remaining = -1;
  let size = 0;
  try {
    for await (const chunk of gunzip) {
      let data = chunk as Buffer;
      if (remaining < 0) {
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEADER_BYTES) throw new Error(`WARC header longer than ${MAX_HEADER_BYTES} bytes`);
          continue;
        }
        const header = parseHeaderText(head.subarray(0, end).toString('utf8'));
        remaining = Number(header.get('Content-Length'));
        if (!Number.isSafeInteger(remaining) || remaining < 0) throw new Error('WARC header has no valid Content-Length');
        data = head.subarray(end + 4);
      }
      const part = data.subarray(0, remaining);
      remaining -= part.length;
      size += part.length;
      hash.update(part);
      if (part.length && !out.write(part)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (remaining === 0) break;
    }
  } finally {
    source.destroy();
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  if (remaining !== 0) throw new Error(`record at offset ${offset} is truncated`);
  return { sha256: hash.digest('hex'), size };
}
