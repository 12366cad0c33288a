import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CaptureSeal, Database } from '../store/index.ts';

/** The sealed fields in the order verify names them. */
const SEALED_FIELDS: readonly (keyof CaptureSeal)[] = [
  'capture_id',
  'url',
  'fetched_at',
  'payload_sha256',
  'block_sha256',
  'payload_size',
  'warc_record_id',
  'warc_file',
  'warc_offset',
  'warc_length',
  'agency_id',
  'agency',
  'case_id',
  'case_reference',
  'job_id',
  'account',
  'kind',
  'http_status',
  'content_type',
];

/** A seal's columns as the database returns them (`sealSelect`). */
export interface SealRow {
  id: number;
  agency_id: number;
  code: string;
  case_id: number | null;
  case_reference: string | null;
  kind: CaptureSeal['kind'];
  url: string;
  http_status: number | null;
  content_type: string | null;
  payload_sha256: string;
  block_sha256: string;
  payload_size: number | string;
  warc_record_id: string | null;
  warc_file: string | null;
  warc_offset: number | string | null;
  warc_length: number | string | null;
  job_id: string | null;
  account: string | null;
  fetched_us: number | string;
}

/**
 * The select of the sealed fields of the captures rows `source` holds (the captures table, or a CTE of rows just
 * inserted), named `c`, joined with their agency, and the case of the crawl job that fetched them. The one query
 * both sides use: the recorder when it seals, verify when it compares.
 */
export function sealSelect(source: RawBuilder<unknown>): RawBuilder<SealRow> {
  // Microseconds since the epoch: a timestamptz is finer than a JS Date, and an edit of 1 µs must still show.
  return sql<SealRow>`select c.id, c.agency_id, a.code, k.id as case_id, k.reference as case_reference, c.kind, c.url, c.http_status,
    c.content_type, c.payload_sha256, c.block_sha256, c.payload_size, c.warc_record_id, c.warc_file, c.warc_offset, c.warc_length,
    c.job_id, c.account, (extract(epoch from c.fetched_at) * 1000000)::int8 as fetched_us
    from ${source} c
    join agencies a on a.id = c.agency_id
    left join crawl_jobs j on j.id = c.job_id
    left join cases k on k.id = j.case_id`;
}

/** A seal from its row of `sealSelect`. */
export function sealOf(r: SealRow): CaptureSeal {
  return {
    capture_id: r.id,
    agency_id: r.agency_id,
    agency: r.code,
    case_id: r.case_id ?? null,
    case_reference: r.case_reference ?? null,
    kind: r.kind,
    url: r.url,
    fetched_at: isoMicros(Number(r.fetched_us)),
    http_status: r.http_status,
    content_type: r.content_type,
    payload_sha256: r.payload_sha256,
    block_sha256: r.block_sha256,
    payload_size: Number(r.payload_size),
    warc_record_id: r.warc_record_id ?? '',
    warc_file: r.warc_file ?? '',
    warc_offset: Number(r.warc_offset ?? -1),
    warc_length: Number(r.warc_length ?? -1),
    job_id: r.job_id,
    account: r.account,
  };
}

/**
 * The court-relevant fields of captures as the database holds them now, by capture id: the captures row, the code
 * of its agency, and the case of the crawl job that fetched it. Written into the log when a capture is recorded
 * and read again by verify, so both sides come from this one query (`sealSelect`).
 */
export async function captureSeals(db: Kysely<Database>, captureIds: readonly number[]): Promise<Map<number, CaptureSeal>> {
  const out = new Map<number, CaptureSeal>();
  if (captureIds.length === 0) return out;
  const { rows } = await sql<SealRow>`${sealSelect(sql`captures`)} where c.id = any(${[...captureIds]}::int4[])`.execute(db);
  for (const r of rows) out.set(r.id, sealOf(r));
  return out;
}

/** 2026-01-01T00:00:00.000123Z: ISO 8601 in UTC with the database's microseconds. */
function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

const show = (v: unknown) => (v === null || v === undefined ? '(none)' : JSON.stringify(v));

/** Each sealed field whose value now differs, in words: `url: sealed "http://a", now "http://b"`. */
export function sealDifferences(sealed: CaptureSeal, now: CaptureSeal): string[] {
  const diffs: string[] = [];
  for (const f of SEALED_FIELDS) {
    if ((sealed[f] ?? null) !== (now[f] ?? null)) diffs.push(`${f}: sealed ${show(sealed[f])}, now ${show(now[f])}`);
  }
  return diffs;
}
