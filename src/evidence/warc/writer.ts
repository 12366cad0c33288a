import { auditCopy } from './audit.ts';
import { createReadStream, mkdirSync, openSync, closeSync, writeSync, fsyncSync, fstatSync, write as writeCb, fsync as fsyncCb } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb, gzipSync, createGzip } from 'node:zlib';
import { RECORD_TRAILER, newRecordId, serializeRecord, warcDate, type WarcRecordInput, type WarcRecordType } from './record.ts';
import { warcDigest } from '../digest.ts';
import type { CommitTimeline } from '../commit-timeline.ts';

export interface WarcWriterOptions {
  /** Directory of the WARC files (created if missing). */
  dir: string;
  /** File name prefix (default "darkpatrol"). */
  prefix?: string;
  /** Start a new file once the current one reaches this size (default 256 MiB). */
  maxFileBytes?: number;
  /** fsync after each batch, so a logged record is on disk before the log says so (default true). */
  fsync?: boolean;
  /** Fields of each file's warcinfo record (software, operator, job…). */
  info?: Record<string, string>;
  /** Times each batch's gzip, write, fsync and commit (benchmarks). */
  timeline?: CommitTimeline;
}

const gzipAsync = promisify(gzipCb);
/**
 * Records up to this size are gzipped on the event loop: for a few KB, an async gzip on the libuv pool costs about
 * four times the CPU of the compression itself (stream set-up, thread hand-offs), ~40 µs. Larger ones go to the pool.
 */
const EVENT_LOOP_GZIP_BYTES = 64 * 1024;
/** One record's gzip member. */
function gzipMember(bytes: Buffer): Buffer | Promise<Buffer> {
  return bytes.length <= EVENT_LOOP_GZIP_BYTES ? gzipSync(bytes) : gzipAsync(bytes);
}
const fsyncAsync = promisify(fsyncCb);
/** Writes the whole buffer at `position` (positional writes may be short). Off the event loop (libuv pool). */
async function writeAllAt(fd: number, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const n = await new Promise<number>((resolve, reject) => writeCb(fd, buf, done, buf.length - done, position + done, (err, written) => (err ? reject(err) : resolve(written))));
    done += n;
  }
}

/** A record of another tool's WARC, copied byte for byte. */
export interface VerbatimRecord {
  /** The record's header block as read, from the version line through the blank line. */
  header: Buffer;
  block: Buffer | { file: string; size: number };
  recordId: string;
  type: WarcRecordType;
  targetUri?: string;
  date: Date;
  blockSha256: string;
  payloadSha256: string | null;
}

/** Where a record landed: enough to find, re-read and verify it. */
export interface WrittenRecord {
  recordId: string;
  type: WarcRecordType;
  targetUri?: string;
  date: Date;
  /** File name relative to the WARC directory. */
  file: string;
  /** Byte offset of the record's gzip member in the file, and the member's length. */
  offset: number;
  length: number;
  blockSha256: string;
  payloadSha256: string | null;
  /** Uncompressed block size. */
  blockSize: number;
}

/**
 * Appends WARC 1.1 records, one gzip member per record, to size-rotated files. Each file starts with a warcinfo
 * record. Files are never reopened for append: a new writer always starts a new file, so a crash can at worst
 * leave a truncated tail in a file nobody writes to again.
 */
export class WarcWriter {
  readonly dir: string;
  readonly #prefix: string;
  readonly #maxFileBytes: number;
  readonly #fsync: boolean;
  readonly #info: Record<string, string>;
  readonly #timeline: CommitTimeline | undefined;
  #fd: number | undefined;
  #file = '';
  #size = 0;
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Records written as a side effect (warcinfo at each file start), to be logged with the next batch. */
  #pendingInfo: WrittenRecord[] = [];

  constructor(options: WarcWriterOptions) {
    this.dir = path.resolve(options.dir);
    this.#prefix = options.prefix ?? 'darkpatrol';
    this.#maxFileBytes = options.maxFileBytes ?? 256 * 1024 * 1024;
    this.#fsync = options.fsync ?? true;
    this.#info = options.info ?? {};
    this.#timeline = options.timeline;
    mkdirSync(this.dir, { recursive: true });
  }

  /** The current file's name (empty before the first write). */
  get currentFile(): string {
    return this.#file;
  }

  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Closes the current file (copied for the WARC audit when DARKPATROL_WARC_AUDIT_DIR is set). */
  #closeFile(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
    auditCopy(path.join(this.dir, this.#file));
  }

  #openNew(): void {
    this.#closeFile();
    const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 17);
    this.#seq++;
    this.#file = `${this.#prefix}-${stamp}-${process.pid}-${String(this.#seq).padStart(5, '0')}-${randomBytes(3).toString('hex')}.warc.gz`;
    this.#fd = openSync(path.join(this.dir, this.#file), 'wx');
    this.#size = 0;
    const info = Object.entries({
      software: 'DarkPatrol 0.1.0',
      format: 'WARC File Format 1.1',
      conformsTo: 'https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/',
      hostname: hostname(),
      ...this.#info,
    })
      .map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`)
      .join('');
    const written = this.#append({
      type: 'warcinfo',
      block: Buffer.from(info),
      contentType: 'application/warc-fields',
      extraHeaders: { 'WARC-Filename': this.#file },
    });
    this.#pendingInfo.push(written);
  }

  #append(input: WarcRecordInput): WrittenRecord {
    const rec = serializeRecord(input);
    const member = gzipSync(Buffer.concat([rec.header, rec.block, RECORD_TRAILER]));
    const offset = this.#size;
    writeSync(this.#fd as number, member, 0, member.length, offset);
    this.#size += member.length;
    return {
      recordId: rec.recordId,
      type: rec.type,
      targetUri: rec.targetUri,
      date: rec.date,
      file: this.#file,
      offset,
      length: member.length,
      blockSha256: rec.blockSha256,
      payloadSha256: rec.payloadSha256,
      blockSize: rec.block.length,
    };
  }

  #ensureFile(incoming: number): void {
    if (this.#fd === undefined || (this.#size > 0 && this.#size + incoming > this.#maxFileBytes)) this.#openNew();
  }

  /**
   * Writes records in order into one file (rotation happens between batches, never inside one) and returns where
   * each landed. Any warcinfo record the writer had to start a file with comes first in the result.
   */
  write(records: WarcRecordInput[]): Promise<WrittenRecord[]> {
    return this.#serial(() => this.#writeBatch(records));
  }

  /**
   * Compresses the batch's records (small ones on the event loop, large ones on the libuv pool in parallel), writes
   * their gzip members with one positional write and waits for one fsync off the event loop: the crawl's fetches and
   * parsing go on meanwhile. The serial queue keeps batches (and the commits that log them) in file order.
   */
  async #writeBatch(records: WarcRecordInput[]): Promise<WrittenRecord[]> {
    const estimate = records.reduce((n, r) => n + r.block.length, 0);
    this.#ensureFile(estimate);
    const timeline = this.#timeline;
    let t = timeline ? performance.now() : 0;
    const lap = (): number => {
      const now = performance.now();
      const ms = now - t;
      t = now;
      return ms;
    };
    const serialized = records.map((r) => serializeRecord(r));
    const members = await Promise.all(serialized.map((rec) => gzipMember(Buffer.concat([rec.header, rec.block, RECORD_TRAILER]))));
    if (timeline) timeline.gzipMs += lap();
    const fd = this.#fd as number;
    const file = this.#file;
    const start = this.#size;
    let offset = start;
    const out = serialized.map((rec, i): WrittenRecord => {
      const length = (members[i] as Buffer).length;
      const w = { recordId: rec.recordId, type: rec.type, targetUri: rec.targetUri, date: rec.date, file, offset, length, blockSha256: rec.blockSha256, payloadSha256: rec.payloadSha256, blockSize: rec.block.length };
      offset += length;
      return w;
    });
    try {
      await writeAllAt(fd, members.length === 1 ? (members[0] as Buffer) : Buffer.concat(members), start);
      this.#size = offset;
      if (timeline) timeline.writeMs += lap();
      if (this.#fsync) await fsyncAsync(fd);
      if (timeline) timeline.fsyncMs += lap();
    } catch (err) {
      // A failed write or fsync: what reached the file is an unlogged tail; nothing more is written to it.
      this.#size = offset;
      this.#closeFile();
      throw err;
    }
    const info = this.#pendingInfo;
    this.#pendingInfo = [];
    return [...info, ...out];
  }

  /**
   * Writes records, then runs `commit` (logging them) before any other write may follow in this file. So the
   * only bytes a crash or a failed commit can leave unlogged are the file's tail, never a gap between logged
   * records: after a failed commit the file is closed and the next write starts a new one.
   */
  writeAndCommit<T>(records: WarcRecordInput[], commit: (written: WrittenRecord[]) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const written = await this.#writeBatch(records);
      const t0 = this.#timeline ? performance.now() : 0;
      try {
        return await commit(written);
      } catch (err) {
        this.#closeFile();
        throw err;
      } finally {
        if (this.#timeline) this.#timeline.transactionMs += performance.now() - t0;
      }
    });
  }

  /**
   * Streams a file of any size into one `resource` record (two passes: hash, then gzip) with bounded memory.
   * Returns any warcinfo record first, then the resource record.
   */
  writeFileResource(
    file: string,
    options: { targetUri: string; contentType?: string; date?: Date; extraHeaders?: Record<string, string> },
  ): Promise<WrittenRecord[]> {
    return this.#serial(async () => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of createReadStream(file)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      const sha = hash.digest('hex');
      this.#ensureFile(size);
      const recordId = newRecordId();
      const date = options.date ?? new Date();
      const fields: Array<[string, string]> = [
        ['WARC-Type', 'resource'],
        ['WARC-Record-ID', recordId],
        ['WARC-Date', warcDate(date)],
        ['WARC-Target-URI', options.targetUri],
        ...Object.entries(options.extraHeaders ?? {}),
        ['WARC-Block-Digest', warcDigest(sha)],
        ['WARC-Payload-Digest', warcDigest(sha)],
        ['Content-Type', options.contentType ?? 'application/octet-stream'],
        ['Content-Length', String(size)],
      ];
      for (const [k, v] of fields) if (/[\r\n]/.test(v)) throw new Error(`WARC field ${k} must not contain a line break`);
      const header = `WARC/1.1\r\n${fields.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      const offset = this.#size;
      const fd = this.#fd as number;
      let pos = offset;
      const gzip = createGzip();
      const done = (async () => {
        for await (const chunk of gzip) {
          const b = chunk as Buffer;
          writeSync(fd, b, 0, b.length, pos);
          pos += b.length;
        }
      })();
      const push = (b: Buffer) =>
        new Promise<void>((resolve, reject) => gzip.write(b, (err) => (err ? reject(err) : resolve())));
      await push(Buffer.from(header));
      let copied = 0;
      for await (const chunk of createReadStream(file)) {
        copied += (chunk as Buffer).length;
        await push(chunk as Buffer);
      }
      if (copied !== size) throw new Error(`${file} changed while it was being preserved (${size} then ${copied} bytes)`);
      gzip.end(RECORD_TRAILER);
      await done;
      this.#size = pos;
      if (this.#fsync) fsyncSync(fd);
      const info = this.#pendingInfo;
      this.#pendingInfo = [];
      return [
        ...info,
        {
          recordId,
          type: 'resource' as const,
          targetUri: options.targetUri,
          date,
          file: this.#file,
          offset,
          length: pos - offset,
          blockSha256: sha,
          payloadSha256: sha,
          blockSize: size,
        },
      ];
    });
  }

  /**
   * Appends a record written by another tool verbatim — its own header bytes (through the blank line) and block —
   * as one gzip member, so its record id, date and digests stay the original's. A large block is streamed from a
   * file. Returns any warcinfo record first, then the record.
   */
  writeVerbatim(record: VerbatimRecord): Promise<WrittenRecord[]> {
    return this.#serial(async () => {
      const size = Buffer.isBuffer(record.block) ? record.block.length : record.block.size;
      this.#ensureFile(size);
      const offset = this.#size;
      const fd = this.#fd as number;
      if (Buffer.isBuffer(record.block)) {
        const member = gzipSync(Buffer.concat([record.header, record.block, RECORD_TRAILER]));
        writeSync(fd, member, 0, member.length, offset);
        this.#size += member.length;
      } else {
        let pos = offset;
        const gzip = createGzip();
        const done = (async () => {
          for await (const chunk of gzip) {
            const b = chunk as Buffer;
            writeSync(fd, b, 0, b.length, pos);
            pos += b.length;
          }
        })();
        const push = (b: Buffer) => new Promise<void>((resolve, reject) => gzip.write(b, (err) => (err ? reject(err) : resolve())));
        await push(record.header);
        for await (const chunk of createReadStream(record.block.file)) await push(chunk as Buffer);
        gzip.end(RECORD_TRAILER);
        await done;
        this.#size = pos;
      }
      if (this.#fsync) fsyncSync(fd);
      const info = this.#pendingInfo;
      this.#pendingInfo = [];
      return [
        ...info,
        {
          recordId: record.recordId,
          type: record.type,
          targetUri: record.targetUri,
          date: record.date,
          file: this.#file,
          offset,
          length: this.#size - offset,
          blockSha256: record.blockSha256,
          payloadSha256: record.payloadSha256,
          blockSize: size,
        },
      ];
    });
  }

  /** Bytes in the current file (for tests and rotation checks). */
  get currentSize(): number {
    return this.#fd === undefined ? 0 : fstatSync(this.#fd).size;
  }

  async close(): Promise<void> {
    await this.#serial(() => this.#closeFile());
  }
}
