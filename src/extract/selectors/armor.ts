/**
 * Finds ASCII-armored OpenPGP public key blocks in scan text and repairs the damage market HTML does to
 * them (lost or doubled newlines, indentation, entities inside the base64, headers run into the data,
 * missing blank line) by reading the armor content directly: headers are dropped, the base64 and the
 * CRC-24 line are recovered whatever the line structure, and the CRC-24 (RFC 4880 §6.1) is checked.
 * Pure and synchronous; bounded by the caller's block cap.
 */
import { decodeEntitiesOnce } from './text.ts';
import { crc24 } from '../../domain/crc24.ts';

export interface ArmorBlock {
  /** Offsets in the scan text: from the BEGIN line to the end of the END line. */
  start: number;
  end: number;
  /** The text between the BEGIN and END markers. */
  body: string;
}

export type ArmorScan = { block: ArmorBlock } | { error: ArmorError };
export interface ArmorError {
  start: number;
  end: number;
  reason: 'unterminated' | 'too_large';
}

const BEGIN = /-{2,5}\s?BEGIN\s{1,3}PGP\s{1,3}PUBLIC\s{1,3}KEY\s{1,3}BLOCK\s?-{2,5}/gi;
const END = /-{2,5}\s?END\s{1,3}PGP\s{1,3}PUBLIC\s{1,3}KEY\s{1,3}BLOCK\s?-{2,5}/i;

/** Every BEGIN marker, paired with the next END marker within `maxBlock` characters. */
export function findArmorBlocks(text: string, maxBlock: number, maxBlocks: number): ArmorScan[] {
  const out: ArmorScan[] = [];
  BEGIN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BEGIN.exec(text)) !== null && out.length < maxBlocks) {
    const start = m.index;
    const bodyStart = start + m[0].length;
    const window = text.slice(bodyStart, bodyStart + maxBlock);
    const endM = END.exec(window);
    // A second BEGIN before any END means this block was cut off.
    const nextBegin = window.search(/-{2,5}\s?BEGIN\s{1,3}PGP/i);
    if (!endM || (nextBegin >= 0 && nextBegin < endM.index)) {
      const hasLaterEnd = !endM && END.test(text.slice(bodyStart + maxBlock, bodyStart + maxBlock + 64 * 1024 * 16));
      out.push({ error: { start, end: bodyStart, reason: hasLaterEnd ? 'too_large' : 'unterminated' } });
      continue;
    }
    const end = bodyStart + endM.index + endM[0].length;
    out.push({ block: { start, end, body: window.slice(0, endM.index) } });
    BEGIN.lastIndex = end;
  }
  return out;
}

export type RepairResult =
  | { ok: true; data: Uint8Array; checksum: 'ok' | 'missing'; repairs: string[] }
  | { ok: false; reason: 'armor_checksum_mismatch' | 'invalid_base64' | 'empty'; detail: string; repairs: string[] };

const HEADER = /^(Version|Comment|Hash|Charset|MessageID|Keyserver|Note)\s*:/i;
/** The first byte of a public-key packet encodes as `m` (old format, tag 6) or `x` (new format). */
const DATA_START = /(?<![A-Za-z0-9+/])([mx][A-Za-z0-9+/]{15,})/;

export function repairArmorBody(rawBody: string): RepairResult {
  const repairs: string[] = [];
  let body = rawBody;
  const decoded = decodeEntitiesOnce(body);
  if (decoded !== body) {
    repairs.push('entities');
    body = decoded;
  }
  if (/<\/?[a-zA-Z][^>]{0,200}>/.test(body)) {
    repairs.push('tags');
    body = body.replace(/<\/?[a-zA-Z][^>]{0,200}>/g, '\n');
  }
  if (body.includes('\r')) body = body.replace(/\r\n?/g, '\n');
  // Inside a clear-signed text every line that starts with '-' is dash-escaped ("- -----END …"): the END marker
  // matched after the escape, so the escape's "- " is left at the end of the body. Base64 never starts with '-'.
  if (/(^|\n)[^\S\n]*-[^\S\n]*$/.test(body) || /(^|\n)- /.test(body)) {
    repairs.push('dash_escaped');
    body = body.replace(/(^|\n)[^\S\n]*-[^\S\n]*$/, '$1').replace(/(^|\n)- /g, '$1');
  }
  const lines = body.split('\n').map((l) => l.trim());
  const first = decodeData(lines, true, repairs);
  // A header whose text merely looked like key data ("Comment: mymailvelopeextension"): read it as a header.
  if (!first.ok && first.repairs.includes('header_joined')) {
    const second = decodeData(lines, false, repairs);
    if (second.ok) return second;
  }
  return first;
}

function decodeData(lines: string[], splitJoinedHeaders: boolean, before: string[]): RepairResult {
  const repairs = [...before];
  const kept: string[] = [];
  let inHeaders = true;
  let sawBlank = false;
  for (const line of lines) {
    if (inHeaders) {
      if (line === '') {
        if (kept.length === 0) sawBlank = true;
        continue;
      }
      if (HEADER.test(line)) {
        // A header with the data run into it ("Version: GnuPG v2 mQENBF…").
        const d = splitJoinedHeaders ? DATA_START.exec(line.replace(HEADER, ' ')) : null;
        if (d) {
          repairs.push('header_joined');
          kept.push(line.slice(line.lastIndexOf(d[1] as string)));
          inHeaders = false;
        }
        continue;
      }
      if (!sawBlank && kept.length === 0) repairs.push('missing_blank_line');
      inHeaders = false;
    }
    kept.push(line);
  }
  let joined = kept.join('');
  if (/\s/.test(joined)) {
    repairs.push('whitespace');
    joined = joined.replace(/\s+/g, '');
  }
  if (kept.length === 1 && joined.length > 80) repairs.push('lines_joined');
  if (joined.length === 0) return { ok: false, reason: 'empty', detail: 'no key data between the armor lines', repairs };
  if (!/^[A-Za-z0-9+/=]+$/.test(joined)) {
    const bad = /[^A-Za-z0-9+/=]/.exec(joined);
    return { ok: false, reason: 'invalid_base64', detail: `unexpected character ${JSON.stringify(bad?.[0])} in key data`, repairs };
  }

  let data = joined;
  let crc: string | undefined;
  // '=' appears in base64 only as end padding, so '=' and four characters at the very end is the CRC-24 line.
  const tail = /=([A-Za-z0-9+/]{4})$/.exec(joined);
  if (tail) {
    data = joined.slice(0, -5);
    crc = tail[1];
  }
  // GnuPG reads a last data line whose '=' padding was lost (editors and forums strip it): restore it.
  if (/^[A-Za-z0-9+/]+$/.test(data) && (data.length % 4 === 2 || data.length % 4 === 3)) {
    repairs.push('padding');
    data += '='.repeat(4 - (data.length % 4));
  }
  if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) {
    return { ok: false, reason: 'invalid_base64', detail: 'key data is not whole base64 (truncated or damaged)', repairs };
  }
  const bytes = new Uint8Array(Buffer.from(data, 'base64'));
  if (bytes.length === 0) return { ok: false, reason: 'empty', detail: 'no key data', repairs };
  if (crc === undefined) return { ok: true, data: bytes, checksum: 'missing', repairs };
  const want = Buffer.from(crc, 'base64');
  const got = crc24(bytes);
  if (want[0] !== (got >> 16) || want[1] !== ((got >> 8) & 0xff) || want[2] !== (got & 0xff)) {
    return { ok: false, reason: 'armor_checksum_mismatch', detail: 'the armor CRC-24 does not match the key data', repairs };
  }
  return { ok: true, data: bytes, checksum: 'ok', repairs };
}

export { crc24 } from '../../domain/crc24.ts';
