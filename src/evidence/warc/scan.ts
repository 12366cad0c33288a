import { readFileSync } from 'node:fs';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { parseHeaderText } from './record.ts';

/** One stretch of a WARC file as it is now: a readable record, or bytes that are not one. */
export type ScannedSpan =
  | { kind: 'record'; offset: number; length: number; recordId: string | undefined }
  | { kind: 'damaged'; offset: number; length: number; error: string };

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/** Where the gzip member starting at `pos` ends (RFC 1952 header fields, the raw deflate stream, 8 trailer bytes). */
export function memberEnd(buf: Buffer, pos: number): number {
  if (buf[pos] !== 0x1f || buf[pos + 1] !== 0x8b || buf[pos + 2] !== 8) throw new Error(`no gzip member at offset ${pos}`);
  const flags = buf[pos + 3] ?? 0;
  let p = pos + 10;
  if (flags & 4) p += 2 + (buf.readUInt16LE(p) ?? 0);
  if (flags & 8) p = buf.indexOf(0, p) + 1;
  if (flags & 16) p = buf.indexOf(0, p) + 1;
  if (flags & 2) p += 2;
  if (p <= pos || p > buf.length) throw new Error(`truncated gzip header at offset ${pos}`);
  const { engine } = inflateRawSync(buf.subarray(p), { info: true }) as unknown as { engine: { bytesWritten: number } };
  const end = p + engine.bytesWritten + 8;
  if (end > buf.length) throw new Error(`gzip member at offset ${pos} is cut off by the end of the file`);
  return end;
}

/** The record of the gzip member at `pos` (CRC and length checked), or the reason it is not one. */
function readMember(buf: Buffer, pos: number): { end: number; recordId: string | undefined } {
  const end = memberEnd(buf, pos);
  const data = gunzipSync(buf.subarray(pos, end));
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error('gzip member holds no complete WARC header');
  return { end, recordId: parseHeaderText(data.subarray(0, headEnd).toString('utf8')).get('WARC-Record-ID') };
}

/**
 * Walks a member-per-record WARC file as it is now. A member that does not read (bad gzip, CRC, truncated, not a
 * WARC record) becomes one damaged span, and the walk resynchronises on the next offset where a readable WARC
 * record starts, so one fault does not hide every record after it. Reads the file into memory: used only for files
 * where verification found a fault (files are rotated at 256 MiB by default).
 */
export function scanWarcFile(filePath: string): ScannedSpan[] {
  const buf = readFileSync(filePath);
  const spans: ScannedSpan[] = [];
  let pos = 0;
  while (pos < buf.length) {
    try {
      const m = readMember(buf, pos);
      spans.push({ kind: 'record', offset: pos, length: m.end - pos, recordId: m.recordId });
      pos = m.end;
      continue;
    } catch (err) {
      let next = buf.indexOf(GZIP_MAGIC, pos + 1);
      let found: { end: number; recordId: string | undefined } | undefined;
      while (next >= 0) {
        try {
          found = readMember(buf, next);
          break;
        } catch {
          next = buf.indexOf(GZIP_MAGIC, next + 1);
        }
      }
      const resync = found ? next : buf.length;
      spans.push({ kind: 'damaged', offset: pos, length: resync - pos, error: (err as Error).message });
      pos = resync;
    }
  }
  return spans;
}
