import { open } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import type { Capture } from '../../store/index.ts';

/** Reads the payload of a capture. The seam to src/evidence: swap in its WARC reader when it lands. */
export interface CaptureBodies {
  read(capture: Capture): Promise<{ bytes: Buffer; contentType: string | null } | null>;
}

/** Captured pages bigger than this are not rendered at all. */
export const MAX_RENDERED_BYTES = 8 * 1024 * 1024;

/**
 * A minimal WARC 1.1 record reader: the record at (warc_file, warc_offset, warc_length), gzip member or plain; for
 * `response` records the HTTP head is stripped and chunked/gzip bodies decoded. Paths may not leave warcRoot.
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
      const fh = await open(join(path)).catch(() => null);
      if (!fh) return null;
      try {
        const buf = Buffer.alloc(c.warc_length);
        const { bytesRead } = await fh.read(buf, 0, c.warc_length, c.warc_offset);
        return parseWarcRecord(buf.subarray(0, bytesRead));
      } finally {
        await fh.close();
      }
    },
  };
}

export function parseWarcRecord(raw: Buffer): { bytes: Buffer; contentType: string | null } | null {
  let rec = raw;
  if (rec[0] === 0x1f && rec[1] === 0x8b) rec = gunzipSync(rec, { maxOutputLength: MAX_RENDERED_BYTES * 2 });
  const headEnd = rec.indexOf('\r\n\r\n');
  if (headEnd < 0 || !rec.subarray(0, 9).toString('latin1').startsWith('WARC/')) return null;
  const headers = parseHeaders(rec.subarray(0, headEnd).toString('latin1'));
  const len = Number(headers.get('content-length') ?? '0');
  let block = rec.subarray(headEnd + 4, headEnd + 4 + len);
  const type = headers.get('warc-type');
  let contentType = headers.get('content-type') ?? null;
  if (type === 'response' && block.subarray(0, 5).toString('latin1') === 'HTTP/') {
    const h = block.indexOf('\r\n\r\n');
    if (h < 0) return null;
    const http = parseHeaders(block.subarray(0, h).toString('latin1'));
    block = block.subarray(h + 4);
    if (/chunked/i.test(http.get('transfer-encoding') ?? '')) block = dechunk(block);
    const enc = (http.get('content-encoding') ?? '').toLowerCase();
    const lim = { maxOutputLength: MAX_RENDERED_BYTES };
    if (enc === 'gzip') block = gunzipSync(block, lim);
    else if (enc === 'deflate') block = inflateSync(block, lim);
    else if (enc === 'br') block = brotliDecompressSync(block, lim);
    contentType = http.get('content-type') ?? null;
  }
  return { bytes: Buffer.from(block), contentType };
}

function parseHeaders(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return m;
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < b.length) {
    const eol = b.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(b.subarray(pos, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
