/**
 * Bytes → text for captured pages. Order of authority, as in browsers: a byte-order mark, then the HTTP
 * Content-Type charset, then a <meta> charset in the first bytes, then UTF-8 if the bytes are valid UTF-8,
 * else windows-1252. Invalid sequences become U+FFFD; decoding never throws.
 */
export interface DecodedText {
  text: string;
  /** The WHATWG encoding name actually used. */
  encoding: string;
  /** Where the encoding came from. */
  source: 'bom' | 'http' | 'meta' | 'sniffed' | 'default' | 'string';
  /** True when the bytes contained sequences invalid in that encoding (replaced by U+FFFD). */
  hadInvalidBytes: boolean;
}

const META_SCAN_BYTES = 4096;

function charsetFromContentType(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})/i.exec(value);
  return m?.[1];
}

function charsetFromMeta(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, META_SCAN_BYTES));
  const direct = /<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})/i.exec(head);
  return direct?.[1];
}

/** Normalises a label to an encoding TextDecoder supports, or undefined when unknown. */
export function normaliseEncoding(label: string | undefined): string | undefined {
  if (!label) return undefined;
  try {
    const enc = new TextDecoder(label.trim().toLowerCase()).encoding;
    // A <meta> cannot truthfully declare UTF-16 (the meta itself was read as ASCII), browsers use UTF-8.
    return enc;
  } catch {
    return undefined;
  }
}

function bomEncoding(bytes: Uint8Array): { encoding: string; skip: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  return undefined;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** windows-1252 bytes 0x80–0x9F (Node's TextDecoder decodes 'windows-1252' as ISO-8859-1, so map them ourselves). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const end = Math.min(bytes.length, i + CHUNK);
    const codes = new Array<number>(end - i);
    for (let j = i; j < end; j++) {
      const b = bytes[j]!;
      codes[j - i] = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

function decodeWith(encoding: string, bytes: Uint8Array): { text: string; invalid: boolean } {
  if (encoding === 'windows-1252') return { text: decodeWindows1252(bytes), invalid: false };
  const text = new TextDecoder(encoding, { fatal: false, ignoreBOM: false }).decode(bytes);
  return { text, invalid: text.includes('\uFFFD') };
}

export function decodeHtml(input: string | Uint8Array, contentType?: string): DecodedText {
  if (typeof input === 'string') return { text: input, encoding: 'utf-8', source: 'string', hadInvalidBytes: false };
  const bom = bomEncoding(input);
  if (bom) {
    const { text, invalid } = decodeWith(bom.encoding, input.subarray(bom.skip));
    return { text, encoding: bom.encoding, source: 'bom', hadInvalidBytes: invalid };
  }
  const http = normaliseEncoding(charsetFromContentType(contentType));
  if (http) {
    const { text, invalid } = decodeWith(http, input);
    return { text, encoding: http, source: 'http', hadInvalidBytes: invalid };
  }
  let meta = normaliseEncoding(charsetFromMeta(input));
  if (meta === 'utf-16le' || meta === 'utf-16be') meta = 'utf-8';
  if (meta) {
    const { text, invalid } = decodeWith(meta, input);
    return { text, encoding: meta, source: 'meta', hadInvalidBytes: invalid };
  }
  if (isValidUtf8(input)) {
    return { text: new TextDecoder('utf-8').decode(input), encoding: 'utf-8', source: 'sniffed', hadInvalidBytes: false };
  }
  const { text } = decodeWith('windows-1252', input);
  return { text, encoding: 'windows-1252', source: 'default', hadInvalidBytes: false };
}
