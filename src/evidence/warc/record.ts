import { randomUUID } from 'node:crypto';
import { sha256Hex, warcDigest } from '../digest.ts';

export type WarcRecordType = 'warcinfo' | 'request' | 'response' | 'metadata' | 'resource' | 'revisit' | 'conversion' | 'continuation';

/** One record to write; the block is held in memory (pages, requests, metadata; large files use writeFileResource). */
export interface WarcRecordInput {
  type: WarcRecordType;
  /** The block: for request/response records the raw HTTP message as sent/received. */
  block: Buffer;
  contentType: string;
  targetUri?: string;
  date?: Date;
  /** Record ids of records made from the same exchange (WARC-Concurrent-To). */
  concurrentTo?: string[];
  /** SHA-256 (hex) of the payload when it is not simply the block (HTTP entity body after transfer decoding). */
  payloadSha256?: string;
  /** WARC-IP-Address and other extra named fields. */
  extraHeaders?: Record<string, string>;
  /** Preset record id ("<urn:uuid:…>"), e.g. to reference it from a concurrent record written first. */
  recordId?: string;
}

export interface SerializedRecord {
  recordId: string;
  type: WarcRecordType;
  targetUri?: string;
  date: Date;
  header: Buffer;
  block: Buffer;
  blockSha256: string;
  payloadSha256: string | null;
}

export const newRecordId = (): string => `<urn:uuid:${randomUUID()}>`;

/** WARC-Date: UTC with milliseconds (WARC 1.1 allows fractions of a second). */
export function warcDate(d: Date): string {
  return d.toISOString();
}

/** Field values must be one line: refuse CR/LF (hostile URLs must not inject header lines). */
function fieldValue(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`WARC field ${name} must not contain a line break`);
  return value;
}

/** Builds the header block of one record (WARC 1.1 §4–5) and computes its digests. */
export function serializeRecord(input: WarcRecordInput): SerializedRecord {
  const recordId = input.recordId ?? newRecordId();
  const date = input.date ?? new Date();
  const blockSha256 = sha256Hex(input.block);
  const hasPayload = input.type === 'response' || input.type === 'request' || input.type === 'resource';
  const isHttp = input.type === 'response' || input.type === 'request';
  const payloadSha256 = hasPayload
    ? (input.payloadSha256 ?? (isHttp ? sha256Hex(httpPayload(input.block)) : blockSha256))
    : null;
  const fields: Array<[string, string]> = [
    ['WARC-Type', input.type],
    ['WARC-Record-ID', recordId],
    ['WARC-Date', warcDate(date)],
  ];
  if (input.targetUri !== undefined) fields.push(['WARC-Target-URI', input.targetUri]);
  for (const id of input.concurrentTo ?? []) fields.push(['WARC-Concurrent-To', id]);
  for (const [k, v] of Object.entries(input.extraHeaders ?? {})) fields.push([k, v]);
  fields.push(['WARC-Block-Digest', warcDigest(blockSha256)]);
  if (payloadSha256) fields.push(['WARC-Payload-Digest', warcDigest(payloadSha256)]);
  fields.push(['Content-Type', input.contentType]);
  fields.push(['Content-Length', String(input.block.length)]);
  const text = `WARC/1.1\r\n${fields.map(([k, v]) => `${k}: ${fieldValue(k, v)}\r\n`).join('')}\r\n`;
  return {
    recordId,
    type: input.type,
    targetUri: input.targetUri,
    date,
    header: Buffer.from(text, 'utf8'),
    block: input.block,
    blockSha256,
    payloadSha256,
  };
}

export const RECORD_TRAILER = Buffer.from('\r\n\r\n');

export interface ParsedHeader {
  version: string;
  /** Field names as written; repeated fields (WARC-Concurrent-To) keep every value. */
  fields: Array<[string, string]>;
  get(name: string): string | undefined;
  getAll(name: string): string[];
}

/** Parses "WARC/1.1\r\nName: value\r\n…\r\n" (without the blank line). */
export function parseHeaderText(text: string): ParsedHeader {
  const lines = text.split('\r\n');
  const version = lines.shift() ?? '';
  if (!/^WARC\/1\.[01]$/.test(version)) throw new Error(`not a WARC record (first line ${JSON.stringify(version.slice(0, 40))})`);
  const fields: Array<[string, string]> = [];
  for (const line of lines) {
    if (line === '') continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`malformed WARC header line ${JSON.stringify(line.slice(0, 80))}`);
    fields.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  const lower = (s: string) => s.toLowerCase();
  return {
    version,
    fields,
    get: (name) => fields.find(([k]) => lower(k) === lower(name))?.[1],
    getAll: (name) => fields.filter(([k]) => lower(k) === lower(name)).map(([, v]) => v),
  };
}

/**
 * Whether an HTTP header block (or a Transfer-Encoding value) says the body is chunked: `chunked` is the last
 * transfer coding (RFC 9112 §6.1; `Transfer-Encoding: gzip, chunked` is chunked too).
 */
export function isChunked(headBlockOrValue: string): boolean {
  const values = headBlockOrValue.includes(':')
    ? [...headBlockOrValue.matchAll(/^transfer-encoding:([^\r\n]*)$/gim)].map((m) => m[1] ?? '')
    : [headBlockOrValue];
  return values.some((v) => /(^|,)\s*chunked\s*$/i.test(v));
}

/**
 * The payload of a raw HTTP message as WARC 1.1 §6.3.2 defines it: the entity body after the header block with any
 * transfer encoding removed (de-chunked), any Content-Encoding kept.
 */
export function httpPayload(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  if (end < 0) return Buffer.alloc(0);
  const head = message.subarray(0, end).toString('latin1');
  const body = message.subarray(end + 4);
  return isChunked(head) ? dechunk(body) : body;
}

/**
 * Removes chunked transfer coding. A body that does not begin with one complete, well-formed chunk (or the last
 * chunk) is taken as not chunked and returned as it is, as warcio.js and jwarc read it: some tools record a body
 * they received de-chunked under its original `Transfer-Encoding: chunked` header (and this project's chain
 * fetches did). After the first chunk, a malformed or cut chunk ends the body there; chunk extensions and trailer
 * fields are ignored.
 */
export function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const lineEnd = body.indexOf('\r\n', pos);
    const sizeText = lineEnd < 0 || lineEnd - pos > 1024 ? '' : (body.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '').trim();
    if (!/^[0-9a-f]{1,8}$/i.test(sizeText)) {
      if (pos === 0) return body;
      break;
    }
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) break;
    const dataEnd = lineEnd + 2 + size;
    const complete = dataEnd + 2 <= body.length && body[dataEnd] === 13 && body[dataEnd + 1] === 10;
    if (!complete && pos === 0) return body;
    parts.push(body.subarray(lineEnd + 2, Math.min(body.length, dataEnd)));
    if (!complete) break;
    pos = dataEnd + 2;
  }
  return Buffer.concat(parts);
}
