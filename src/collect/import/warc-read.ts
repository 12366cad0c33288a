/**
 * Reads WARC 1.0/1.1 files written by other tools (Heritrix, wget --warc-file, Browsertrix, warcio), streaming:
 * uncompressed, gzip per record, or one gzip stream for the whole file. Each record comes with its exact header
 * bytes, its block (in memory, or in a temporary file when large) and the digests of the block computed while it
 * was read. A malformed record is reported with its number and offset and reading goes on at the next record
 * header; a truncated file or corrupt compressed data ends the file with an error.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { base32, parseHeaderText, type ParsedHeader } from '../../evidence/index.ts';

export interface ForeignRecord {
  /** 1-based number of the record in the file. */
  index: number;
  /** Offset of the record in the uncompressed stream. */
  offset: number;
  header: ParsedHeader;
  /** The header block as read: version line through the blank line. */
  headerBytes: Buffer;
  block: Buffer | { file: string; size: number };
  blockSize: number;
  /** Digests of the block by algorithm (`sha256` always, and any algorithm the record declares). */
  blockDigests: Map<string, Buffer>;
  /** Framing that was off but readable (no CRLF CRLF after the block). */
  framing: string | null;
}

export interface ForeignRecordError {
  index: number;
  offset: number;
  message: string;
  /** The file cannot be read past this point. */
  fatal: boolean;
}

export type WarcItem = { record: ForeignRecord } | { error: ForeignRecordError };

export interface ReadWarcOptions {
  /** Blocks larger than this go to a temporary file in `tmpDir` (default 64 MiB). */
  maxInMemory?: number;
  tmpDir: string;
  /** Compressed bytes read so far (for progress). */
  onBytes?: (bytes: number) => void;
}

const MAX_HEADER = 64 * 1024;
const HASHES: Record<string, string> = { sha1: 'sha1', 'sha-1': 'sha1', sha256: 'sha256', 'sha-256': 'sha256', sha512: 'sha512', 'sha-512': 'sha512', md5: 'md5' };

/** The algorithm of a `WARC-*-Digest` value (`sha1:ABC…`), as Node names it; undefined when unknown. */
export function digestAlgorithm(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return HASHES[value.slice(0, value.indexOf(':')).trim().toLowerCase()];
}

function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** A pull reader over a byte stream, tracking the absolute offset of its buffer. */
class ByteReader {
  buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of buf[0]. */
  pos = 0;
  eof = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  async more(): Promise<boolean> {
    if (this.eof) return false;
    const n = await this.it.next();
    if (n.done) {
      this.eof = true;
      return false;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, n.value]) : n.value;
    return true;
  }

  consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.pos += n;
  }

  async skipBlankLines(): Promise<void> {
    for (;;) {
      let i = 0;
      while (i < this.buf.length && (this.buf[i] === 0x0d || this.buf[i] === 0x0a)) i++;
      this.consume(i);
      if (this.buf.length > 0 || !(await this.more())) return;
    }
  }

  /** Reads through the next CRLF CRLF; null if not found within `max` bytes or before the end. */
  async headerBlock(max: number): Promise<Buffer | null> {
    let from = 0;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n', from);
      if (end >= 0 && end + 4 <= max) {
        const head = Buffer.from(this.buf.subarray(0, end + 4));
        this.consume(end + 4);
        return head;
      }
      if (this.buf.length > max) return null;
      from = Math.max(0, this.buf.length - 3);
      if (!(await this.more())) return null;
    }
  }

  /** Passes the next `n` bytes to `sink`; returns how many there were (fewer at the end of the stream). */
  async take(n: number, sink: (b: Buffer) => void): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.more())) break;
      const part = this.buf.subarray(0, Math.min(left, this.buf.length));
      sink(part);
      this.consume(part.length);
      left -= part.length;
    }
    return n - left;
  }

  /** Drops bytes up to the next line that starts a WARC record ("WARC/1."). False at the end of the stream. */
  async resync(): Promise<boolean> {
    for (;;) {
      const i = this.buf.indexOf('\nWARC/1.', 1);
      if (i >= 0) {
        this.consume(i + 1);
        return true;
      }
      if (this.buf.length > 8) this.consume(this.buf.length - 8);
      if (!(await this.more())) return false;
    }
  }
}

export async function* readForeignWarc(file: string, o: ReadWarcOptions): AsyncGenerator<WarcItem> {
  const maxInMemory = o.maxInMemory ?? 64 * 1024 * 1024;
  const source = createReadStream(file, { highWaterMark: 256 * 1024 });
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      read += chunk.length;
      o.onBytes?.(read);
      cb(null, chunk);
    },
  });
  const gz = isGzip(file);
  const stream = gz ? source.pipe(counter).pipe(createGunzip()) : source.pipe(counter);
  source.on('error', (e) => stream.destroy(e));
  const reader = new ByteReader((stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
  let index = 0;
  let tmpSeq = 0;
  try {
    for (;;) {
      try {
        await reader.skipBlankLines();
      } catch (err) {
        yield { error: { index: index + 1, offset: reader.pos, message: `${gz ? 'corrupt gzip data' : 'read error'} at compressed byte ${read}: ${(err as Error).message}`, fatal: true } };
        return;
      }
      if (reader.buf.length === 0) return;
      index++;
      const offset = reader.pos;
      const fail = (message: string, fatal = false): WarcItem => ({ error: { index, offset, message, fatal } });
      let header: ParsedHeader;
      let headerBytes: Buffer | null;
      try {
        if (!reader.buf.subarray(0, 7).equals(Buffer.from('WARC/1.'))) {
          yield fail(`not a WARC record header (starts ${JSON.stringify(reader.buf.subarray(0, 20).toString('latin1'))})`);
          if (!(await reader.resync())) return;
          continue;
        }
        headerBytes = await reader.headerBlock(MAX_HEADER);
        if (!headerBytes) {
          yield fail(`WARC header has no end (no blank line within ${MAX_HEADER} bytes)`, reader.eof);
          if (reader.eof || !(await reader.resync())) return;
          continue;
        }
        header = parseHeaderText(headerBytes.subarray(0, headerBytes.length - 4).toString('utf8'));
      } catch (err) {
        if (reader.eof && reader.buf.length === 0 && !(err instanceof Error && /WARC/.test(err.message))) return;
        yield fail((err as Error).message);
        if (!(await reader.resync().catch(() => false))) return;
        continue;
      }
      const length = Number(header.get('Content-Length'));
      if (!/^\d+$/.test(header.get('Content-Length') ?? '') || !Number.isSafeInteger(length)) {
        yield fail(`invalid Content-Length ${JSON.stringify(header.get('Content-Length') ?? null)}`);
        if (!(await reader.resync())) return;
        continue;
      }
      const algos = new Set(['sha256']);
      for (const name of ['WARC-Block-Digest']) {
        const a = digestAlgorithm(header.get(name));
        if (a) algos.add(a);
      }
      const hashes = new Map<string, Hash>([...algos].map((a) => [a, createHash(a)]));
      const inMemory = length <= maxInMemory;
      const parts: Buffer[] = [];
      const tmp = inMemory ? null : path.join(o.tmpDir, `record-${process.pid}-${++tmpSeq}.bin`);
      const fd = tmp ? openSync(tmp, 'w') : null;
      let got: number;
      try {
        got = await reader.take(length, (b) => {
          for (const h of hashes.values()) h.update(b);
          if (fd !== null) writeSync(fd, b);
          else parts.push(Buffer.from(b));
        });
      } catch (err) {
        if (fd !== null) closeSync(fd);
        yield fail(`${gz ? 'corrupt gzip data' : 'read error'} inside the record: ${(err as Error).message}`, true);
        return;
      }
      if (fd !== null) closeSync(fd);
      if (got < length) {
        yield fail(`truncated: the block has ${got} bytes, Content-Length says ${length}`, true);
        return;
      }
      // The record should end with CRLF CRLF; tools that miss it are read all the same.
      while (reader.buf.length < 4 && (await reader.more()));
      let framing: string | null = null;
      if (reader.buf.subarray(0, 4).equals(Buffer.from('\r\n\r\n'))) reader.consume(4);
      else if (reader.buf.length > 0 || !reader.eof) framing = 'record not followed by CRLF CRLF';
      yield {
        record: {
          index,
          offset,
          header,
          headerBytes,
          block: tmp ? { file: tmp, size: length } : Buffer.concat(parts),
          blockSize: length,
          blockDigests: new Map([...hashes].map(([a, h]) => [a, h.digest()])),
          framing,
        },
      };
    }
  } finally {
    source.destroy();
  }
}

/**
 * Whether a declared digest (`sha1:B32…`, `sha256:hex…`, base64) equals the computed one. Tools write base32
 * (WARC's recommendation), hex or base64; all three are accepted.
 */
export function digestMatches(declared: string, computed: Buffer): boolean {
  const value = declared.slice(declared.indexOf(':') + 1).trim();
  const bare = value.replace(/=+$/, '');
  return bare.toUpperCase() === base32(computed).replace(/=+$/, '') || value.toLowerCase() === computed.toString('hex') || bare === computed.toString('base64').replace(/=+$/, '');
}
