import { isAbsolute, relative, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { httpPayload, readRecordAt } from '../../evidence/index.ts';
import type { Capture } from '../../store/index.ts';

/** Reads the payload of a capture. */
export interface CaptureBodies {
  read(capture: Capture): Promise<CaptureBody | null>;
}

export interface CaptureBody {
  bytes: Buffer;
  contentType: string | null;
  /** The Content-Encoding the bytes were decoded from (gzip, deflate, br), if any. */
  contentEncoding?: string | null;
}

/** Captured pages bigger than this are not rendered at all. */
export const MAX_RENDERED_BYTES = 8 * 1024 * 1024;

/**
 * The record at (warc_file, warc_offset, warc_length), read with src/evidence's WARC reader (one gzip member per
 * record, as the evidence recorder writes them); for `response` records the HTTP entity body (de-chunked by
 * src/evidence), decoded when it was sent compressed. Paths may not leave warcRoot; unreadable records are null.
 */
export function warcCaptureBodies(warcRoot: string): CaptureBodies {
  const root = resolve(warcRoot);
  return {
    async read(c) {
      if (!c.warc_file || c.warc_offset === null || !c.warc_length) return null;
      if (c.warc_length > MAX_RENDERED_BYTES) return null;
      const path = isAbsolute(c.warc_file) ? resolve(c.warc_file) : resolve(root, c.warc_file);
      const rel = relative(root, path);
      if (rel.startsWith('..') || isAbsolute(rel)) return null;
      let record: ReturnType<typeof readRecordAt>;
      try {
        record = readRecordAt(path, c.warc_offset, c.warc_length);
      } catch {
        return null; // missing file, or not a WARC record at that position
      }
      if (record.block.length > MAX_RENDERED_BYTES * 2) return null;
      try {
        return payloadOf(record.header.get('WARC-Type'), record.header.get('Content-Type') ?? null, record.block);
      } catch {
        return null; // a body that does not decode as its Content-Encoding says
      }
    },
  };
}

/** What a captured record shows: for an HTTP response its (decoded) entity body and media type; else the block. */
function payloadOf(warcType: string | undefined, warcContentType: string | null, block: Buffer): CaptureBody | null {
  if (warcType !== 'response' || block.subarray(0, 5).toString('latin1') !== 'HTTP/') return { bytes: block, contentType: warcContentType };
  const headEnd = block.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const head = block.subarray(0, headEnd).toString('latin1');
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*$`, 'im').exec(head)?.[1] ?? null;
  let body = httpPayload(block);
  const lim = { maxOutputLength: MAX_RENDERED_BYTES };
  const enc = (field('content-encoding') ?? '').toLowerCase();
  if (enc === 'gzip') body = gunzipSync(body, lim);
  else if (enc === 'deflate') body = inflateSync(body, lim);
  else if (enc === 'br') body = brotliDecompressSync(body, lim);
  return { bytes: Buffer.from(body), contentType: field('content-type'), contentEncoding: ['gzip', 'deflate', 'br'].includes(enc) ? enc : null };
}
