/**
 * Unpacks an uploaded page archive (.tar or .tar.gz) into a folder, defensively: the archive comes from outside.
 * Only regular files and folders are written, each strictly under the destination; absolute paths, `..`,
 * symbolic and hard links, devices and FIFOs are skipped with the reason; a file over the per-file limit is
 * skipped; more entries than the entry limit, or more bytes unpacked than the size limit (a gzip bomb), stop the
 * whole unpacking with an {@link ArchiveRefused}. Other packings (.tar.xz, .tar.bz2, .zip, .tar.zst) are refused
 * with a one-line hint on repacking.
 */
import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, readSync, rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip, gunzipSync, constants as zlib } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

export interface TarLimits {
  /** Bytes of the unpacked tar stream (headers and files): a gzip bomb stops here. */
  maxBytes: number;
  /** Entries (files, folders, links… all counted). */
  maxEntries: number;
  /** Bytes of one file: a larger file is skipped (pages over this are not extracted anyway). */
  maxFileBytes: number;
}

export const DEFAULT_TAR_LIMITS: TarLimits = { maxBytes: 4 * 1024 ** 3, maxEntries: 200_000, maxFileBytes: 32 * 1024 ** 2 };

/** An entry not written, and why. */
export interface TarSkip {
  path: string;
  reason: string;
}

export interface TarUnpacked {
  files: number;
  folders: number;
  /** Bytes of the files written. */
  bytes: number;
  skipped: number;
  /** The first {@link MAX_LISTED} skipped entries. */
  skips: TarSkip[];
}

/** The whole archive is refused (not a tar, a packing we do not read, over a limit): nothing of it is imported. */
export class ArchiveRefused extends Error {
  override name = 'ArchiveRefused';
}

const MAX_LISTED = 100;

/** What the first bytes say the file is: a tar (plain or gzip), or a packing refused with how to repack it. */
export function tarPacking(head: Buffer): 'tar' | 'tar.gz' {
  const starts = (...b: number[]) => b.every((x, i) => head[i] === x);
  if (starts(0x1f, 0x8b)) {
    const inner = gunzipHead(head);
    if (!inner) throw new ArchiveRefused('this gzip file is corrupt at its start');
    if (!isTarHeader(inner)) throw new ArchiveRefused('this .gz file does not hold a tar archive: pack the page folders with tar czf pages.tar.gz DIR');
    return 'tar.gz';
  }
  const repack = (what: string, unpack: string) => new ArchiveRefused(`${what} archives are not read: repack as .tar.gz (${unpack})`);
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return thrown(repack('.tar.xz', 'xz -dc pages.tar.xz | gzip > pages.tar.gz'));
  if (starts(0x42, 0x5a, 0x68)) return thrown(repack('.tar.bz2', 'bzip2 -dc pages.tar.bz2 | gzip > pages.tar.gz'));
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return thrown(repack('.tar.zst', 'zstd -dc pages.tar.zst | gzip > pages.tar.gz'));
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return thrown(repack('.zip', 'unzip pages.zip -d pages && tar czf pages.tar.gz pages'));
  if (starts(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)) return thrown(repack('.7z', '7z x pages.7z -opages && tar czf pages.tar.gz pages'));
  if (!isTarHeader(head)) throw new ArchiveRefused('this is not a tar archive (no ustar header): pack the page folders with tar czf pages.tar.gz DIR');
  return 'tar';
}

/**
 * The first bytes a gzip stream unpacks to, from its first KiB only (deflate expands at most about 1032:1, so a bomb
 * yields about 1 MiB here); null if they are not gzip data.
 */
export function gunzipHead(head: Buffer): Buffer | null {
  try {
    return gunzipSync(head.subarray(0, 1024), { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: 2 * 1024 * 1024 });
  } catch {
    return null;
  }
}

const thrown = (e: Error): never => {
  throw e;
};

/** A POSIX or GNU tar header: "ustar" at byte 257 of the first 512-byte block. */
function isTarHeader(b: Buffer): boolean {
  return b.length >= 263 && b.subarray(257, 262).toString('latin1') === 'ustar';
}

/** The entry's path as a relative path under the destination, or why it is not written. */
export function safeEntryPath(name: string): { rel: string } | { reason: string } {
  if (name.includes('\0')) return { reason: 'NUL byte in the name' };
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.startsWith('\\')) return { reason: 'absolute path' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { reason: 'path leaves the archive ("..")' };
  if (parts.some((p) => p.includes('\\'))) return { reason: 'backslash in the path' };
  if (parts.length === 0) return { rel: '' };
  return { rel: parts.join('/') };
}

const LINKS: Record<string, string> = {
  SymbolicLink: 'symbolic link: not followed',
  Link: 'hard link: not followed',
  CharacterDevice: 'device file',
  BlockDevice: 'device file',
  FIFO: 'FIFO (named pipe)',
};

/** Unpacks `file` into `dest` (created; must not exist or be empty) within `limits`. */
export async function unpackTar(file: string, dest: string, limits: TarLimits = DEFAULT_TAR_LIMITS, onBytes?: (read: number) => void): Promise<TarUnpacked> {
  const head = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  let headLen: number;
  try {
    headLen = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const packing = tarPacking(head.subarray(0, headLen));
  mkdirSync(dest, { recursive: true });
  const root = path.resolve(dest);
  const out: TarUnpacked = { files: 0, folders: 0, bytes: 0, skipped: 0, skips: [] };
  const skip = (p: string, reason: string) => {
    out.skipped++;
    if (out.skips.length < MAX_LISTED) out.skips.push({ path: p.slice(0, 300), reason });
  };

  return new Promise<TarUnpacked>((resolve, reject) => {
    const source = createReadStream(file);
    let read = 0;
    source.on('data', (c) => {
      read += c.length;
      onBytes?.(read);
    });
    let unpackedBytes = 0;
    let first = true;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        unpackedBytes += chunk.length;
        if (unpackedBytes > limits.maxBytes) return cb(new ArchiveRefused(`the archive unpacks to more than ${limits.maxBytes} bytes (the limit; a gzip bomb?): stopped, nothing imported`));
        // A tar inside the tar.gz that starts gzip again would be unpacked by the parser, past this meter.
        if (first && chunk[0] === 0x1f && chunk[1] === 0x8b) return cb(new ArchiveRefused('the archive is gzip inside gzip: unpack it once and pack the pages with tar czf'));
        first = false;
        cb(null, chunk);
      },
    });
    const streams: Readable[] = packing === 'tar.gz' ? [source, createGunzip() as unknown as Readable, meter] : [source, meter];
    let failed = false;
    const writes: Array<Promise<void>> = [];
    let entries = 0;
    const written = new Set<string>();
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      for (const s of streams) s.destroy();
      parser.abort(err instanceof Error ? err : new Error(String(err)));
      const e = err as { code?: string; message?: string };
      reject(err instanceof ArchiveRefused ? err : new ArchiveRefused(e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' ? `corrupt gzip data: ${e.message}` : `unreadable tar archive: ${e.message ?? String(err)}`));
    };
    const parser = new Parser({
      strict: true,
      zstd: false,
      brotli: false,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) return void entry.resume();
        if (++entries > limits.maxEntries) {
          entry.resume();
          return fail(new ArchiveRefused(`the archive has more than ${limits.maxEntries} entries (the limit): stopped, nothing imported`));
        }
        const where = safeEntryPath(entry.path);
        if ('reason' in where) return void (skip(entry.path, where.reason), entry.resume());
        const kind = LINKS[entry.type];
        if (kind) return void (skip(entry.path, `${kind}${entry.linkpath ? ` (-> ${entry.linkpath.slice(0, 200)})` : ''}`), entry.resume());
        const full = path.join(root, where.rel);
        if (entry.type === 'Directory' || entry.type === 'GNUDumpDir') {
          entry.resume();
          try {
            mkdirSync(full, { recursive: true });
            out.folders++;
          } catch (err) {
            skip(entry.path, `folder not created: ${(err as Error).message}`);
          }
          return;
        }
        if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return void (skip(entry.path, `${entry.type} entry: not a regular file`), entry.resume());
        if (where.rel === '') return void (skip(entry.path, 'file with an empty name'), entry.resume());
        if (entry.size > limits.maxFileBytes) return void (skip(entry.path, `file of ${entry.size} bytes, over the ${limits.maxFileBytes}-byte limit per file`), entry.resume());
        try {
          mkdirSync(path.dirname(full), { recursive: true });
        } catch (err) {
          return void (skip(entry.path, `not written: ${(err as Error).message}`), entry.resume());
        }
        // An entry repeated in the archive is not written over the first ('wx' also refuses anything already there).
        if (written.has(where.rel)) return void (skip(entry.path, 'not written: a second entry of the same path'), entry.resume());
        written.add(where.rel);
        const ws = createWriteStream(full, { flags: 'wx', mode: 0o640 });
        const mtime = entry.mtime;
        writes.push(
          new Promise<void>((done) => {
            ws.on('error', (err) => {
              skip(entry.path, `not written: ${err.message}`);
              entry.resume();
              if ((err as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(full, { force: true });
              done();
            });
            ws.on('finish', () => {
              out.files++;
              out.bytes += entry.size;
              if (mtime) {
                try {
                  utimesSync(full, mtime, mtime);
                } catch {
                  /* the modification time is a hint for the page's date only */
                }
              }
              done();
            });
          }),
        );
        entry.pipe(ws);
      },
    });
    parser.on('error', fail);
    parser.on('end', () => {
      if (failed) return;
      void Promise.all(writes).then(() => {
        if (entries === 0) return reject(new ArchiveRefused('the archive is empty'));
        resolve(out);
      }, reject);
    });
    for (const s of streams) s.on('error', fail);
    let tail: Readable = streams[0]!;
    for (const s of streams.slice(1)) tail = tail.pipe(s as unknown as NodeJS.WritableStream) as unknown as Readable;
    tail.pipe(parser as unknown as NodeJS.WritableStream);
  });
}
