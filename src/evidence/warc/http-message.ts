/**
 * Reading the HTTP response a WARC `response` (or `revisit`) record holds: status, headers, the body as
 * transferred, the payload (after transfer decoding, what WARC-Payload-Digest covers), and the content (after
 * Content-Encoding: gzip, deflate, br), which is what extraction reads. Bounded: decoded content is capped.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { dechunk, isChunked } from './record.ts';

export interface HttpResponseParts {
  status: number | null;
  headers: Array<[string, string]>;
  header(name: string): string | undefined;
  /** The body exactly as it follows the header block (still chunked if it was sent chunked). */
  rawBody: Buffer;
  /** After transfer decoding (de-chunked). */
  payload: Buffer;
}

/** Content decoded at most to this size (a decompression bomb in an archive must not exhaust memory). */
export const MAX_DECODED_CONTENT = 64 * 1024 * 1024;

export function readHttpResponse(block: Buffer): HttpResponseParts {
  const end = block.indexOf('\r\n\r\n');
  const headEnd = end >= 0 ? end : block.indexOf('\n\n');
  const head = block.subarray(0, headEnd < 0 ? block.length : headEnd).toString('latin1');
  const rawBody = headEnd < 0 ? Buffer.alloc(0) : block.subarray(headEnd + (end >= 0 ? 4 : 2));
  const lines = head.split(/\r?\n/);
  const statusLine = lines.shift() ?? '';
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine);
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  const header = (name: string) => headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const chunked = isChunked(header('Transfer-Encoding') ?? '');
  return { status: m ? Number(m[1]) : null, headers, header, rawBody, payload: chunked ? dechunk(rawBody) : rawBody };
}

/** The payload with its Content-Encoding undone; the payload itself when it names none or cannot be decoded. */
export function decodeContent(payload: Buffer, contentEncoding: string | undefined): Buffer {
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (!enc || enc === 'identity') return payload;
  const opts = { maxOutputLength: MAX_DECODED_CONTENT };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(payload, opts);
    if (enc === 'br') return brotliDecompressSync(payload, opts);
    if (enc === 'deflate') {
      try {
        return inflateSync(payload, opts);
      } catch {
        return inflateRawSync(payload, opts); // servers that send raw deflate
      }
    }
  } catch {
    return payload;
  }
  return payload;
}
