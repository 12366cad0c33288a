/**
 * Selectors from stored text, with provenance: every text a page or an import stores (a profile, a listing
 * description, a message, a PGP or wallet column) goes through the one selector extractor, and each selector found
 * becomes a `selectors` row and a sighting that names the capture and the row it came from. What looked like a
 * selector but could not be read (an unreadable PGP block, an invalid wallet address) is kept in
 * `selector_rejects` with the reason, never as a selector. Batched: one statement per chunk, not per selector.
 */
import { createHash } from 'node:crypto';
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import type { Selector, SelectorKind } from '../../domain/index.ts';
import { bulkInsert, type BulkOptions, type BulkValue, type Database, type SelectorRejectsTable, type SightingSource } from '../../store/index.ts';
import { extractSelectorsDetailed, parseSelector } from '../selectors/index.ts';

/** Where a text or value was read from. */
export interface SightingOrigin {
  source: SightingSource;
  vendorId: number | null;
  listingId?: number | null;
  messageId?: number | null;
  /** The source row in its own terms (`message:3644`, `wallets:17`); null for a crawled page (the capture is the page). */
  rowRef?: string | null;
  observedAt: Date;
}

/** A stored text to scan. */
export interface TextToScan extends SightingOrigin {
  text: string;
  /** `auto` (default) treats it as HTML when it looks like HTML. Imported plain text should say `false`. */
  html?: boolean | 'auto';
  /** The text was posted in this messenger: a bare `@name` there is its handle. */
  messenger?: 'telegram';
}

/** A column that holds one selector by definition (a wallet or PGP column of a dump or a CSV). */
export interface ColumnToRead extends SightingOrigin {
  column: 'wallet' | 'pgp';
  raw: string;
  /** The currency the row names (BTC, XMR, …), if any. */
  currency?: string | null;
}

export interface SightingsReport {
  /** Distinct selectors written (new or already known). */
  selectors: number;
  /** Distinct sightings found (written now or already stored by an earlier run). */
  sightings: number;
  /** Of those, written now. */
  newSightings: number;
  rejects: number;
}

interface Found extends SightingOrigin {
  kind: SelectorKind;
  value: string;
  meta: unknown;
}

interface Rejected extends SightingOrigin {
  kind: string;
  reason: string;
  detail: string;
  raw: string;
}

const COIN_OF_CURRENCY: Record<string, SelectorKind> = {
  BTC: 'btc_address', XBT: 'btc_address', BITCOIN: 'btc_address', TBTC: 'btc_address',
  XMR: 'xmr_address', MONERO: 'xmr_address',
  LTC: 'ltc_address', LITECOIN: 'ltc_address',
  ETH: 'eth_address', ETHER: 'eth_address', ETHEREUM: 'eth_address',
};
const COIN_KINDS: SelectorKind[] = ['btc_address', 'ltc_address', 'xmr_address', 'eth_address'];
const MAX_RAW = 4096;

/**
 * Reads a wallet column: the address is validated like any coin address (checksum, version, network). The row's
 * currency only names what it was meant to be; the address itself decides its kind. Invalid → a reject.
 */
export function readWalletColumn(raw: string, currency?: string | null): { ok: true; kind: SelectorKind; value: string; meta: unknown } | { ok: false; kind: string; reason: string; detail: string } {
  const address = raw.trim();
  const meant = currency ? COIN_OF_CURRENCY[currency.trim().toUpperCase()] : undefined;
  if (!address) return { ok: false, kind: meant ?? 'coin_address', reason: 'empty', detail: 'empty wallet column' };
  for (const kind of meant ? [meant, ...COIN_KINDS.filter((k) => k !== meant)] : COIN_KINDS) {
    const p = parseSelector(kind, address);
    if (p.ok) return { ok: true, kind, value: p.value, meta: p.meta ?? {} };
  }
  const reason = meant ? parseSelector(meant, address) : undefined;
  return {
    ok: false,
    kind: meant ?? 'coin_address',
    reason: 'invalid_address',
    detail: reason && !reason.ok ? reason.reason : `not a valid ${currency ? `${currency} ` : ''}address of any supported coin (BTC, LTC, XMR, ETH)`,
  };
}

/** Extracts and saves the selectors of texts and selector columns, with sightings and rejects. */
export async function saveSightings(
  db: Kysely<Database> | Transaction<Database>,
  owned: { agencyId: number; tlp?: Tlp; captureId: number | null },
  texts: readonly TextToScan[],
  columns: readonly ColumnToRead[] = [],
  options: BulkOptions = {},
): Promise<SightingsReport> {
  return saveScanned(db, owned, await scanSightings(texts, columns), options);
}

/**
 * What scanning texts and columns found, not yet saved (saveScanned): each entry carries its origin, which the caller
 * may still complete (an import scans a statement's texts before its rows have ids, then sets listingId/messageId).
 */
export interface ScannedSightings {
  found: Array<SightingOrigin & { kind: SelectorKind; value: string; meta: unknown }>;
  rejected: Array<SightingOrigin & { kind: string; reason: string; detail: string; raw: string }>;
}

/** The database-free half of saveSightings: extracts the selectors of texts and selector columns. */
export async function scanSightings(texts: readonly TextToScan[], columns: readonly ColumnToRead[] = []): Promise<ScannedSightings> {
  const found: Found[] = [];
  const rejected: Rejected[] = [];
  for (const t of texts) {
    if (!t.text || !t.text.trim()) continue;
    const r = await extractSelectorsDetailed(t.text, { html: t.html ?? 'auto', ...(t.messenger ? { atHandlesAre: t.messenger } : {}) });
    for (const s of r.selectors) found.push({ ...origin(t), kind: s.kind, value: s.value, meta: metaOf(s) });
    for (const e of r.errors) rejected.push({ ...origin(t), kind: 'pgp_key', reason: e.reason, detail: e.detail, raw: e.raw });
  }
  for (const c of columns) {
    if (!c.raw || !c.raw.trim()) continue;
    if (c.column === 'wallet') {
      const w = readWalletColumn(c.raw, c.currency);
      if (w.ok) found.push({ ...origin(c), kind: w.kind, value: w.value, meta: w.meta });
      else rejected.push({ ...origin(c), kind: w.kind, reason: w.reason, detail: w.detail, raw: c.raw });
      continue;
    }
    // A PGP column holds a key block or a bare fingerprint.
    const fp = parseSelector('pgp_key', c.raw);
    if (!/BEGIN\s{1,3}PGP/i.test(c.raw) && fp.ok) {
      found.push({ ...origin(c), kind: 'pgp_key', value: fp.value, meta: { source: 'fingerprint', keyId: fp.value.slice(-16) } });
      continue;
    }
    const r = await extractSelectorsDetailed(c.raw, { html: false, kinds: ['pgp_key', 'email'] });
    for (const s of r.selectors) found.push({ ...origin(c), kind: s.kind, value: s.value, meta: metaOf(s) });
    for (const e of r.errors) rejected.push({ ...origin(c), kind: 'pgp_key', reason: e.reason, detail: e.detail, raw: e.raw });
    if (r.selectors.length === 0 && r.errors.length === 0) {
      rejected.push({ ...origin(c), kind: 'pgp_key', reason: 'no_key', detail: 'the PGP column holds neither a public key block nor a fingerprint', raw: c.raw });
    }
  }
  return { found, rejected };
}

/**
 * The database half of saveSightings: writes scanned selectors, sightings and rejects. `options` go to the bulk
 * inserts of selectors and sightings (an import's COPY and batched foreign-key checks, inside its transaction).
 */
export async function saveScanned(
  db: Kysely<Database> | Transaction<Database>,
  owned: { agencyId: number; tlp?: Tlp; captureId: number | null },
  scanned: ScannedSightings,
  options: BulkOptions = {},
): Promise<SightingsReport> {
  return writeFound(db, owned, scanned.found, scanned.rejected, options);
}

function origin(o: SightingOrigin): SightingOrigin {
  return { source: o.source, vendorId: o.vendorId, listingId: o.listingId ?? null, messageId: o.messageId ?? null, rowRef: o.rowRef ?? null, observedAt: o.observedAt };
}

function metaOf(s: Selector): unknown {
  return s.meta ?? {};
}

async function writeFound(
  db: Kysely<Database> | Transaction<Database>,
  owned: { agencyId: number; tlp?: Tlp; captureId: number | null },
  found: readonly Found[],
  rejected: readonly Rejected[],
  options: BulkOptions,
): Promise<SightingsReport> {
  const base = { agency_id: owned.agencyId, tlp: owned.tlp ?? ('AMBER' as Tlp) };
  const distinct = new Map<string, { kind: string; value: string; meta: unknown; first: Date }>();
  for (const f of found) {
    const k = `${f.kind}\u0000${f.value}`;
    const d = distinct.get(k);
    if (!d) distinct.set(k, { kind: f.kind, value: f.value, meta: f.meta, first: f.observedAt });
    else if (f.observedAt < d.first) d.first = f.observedAt;
  }
  const ids = new Map<string, number>();
  const tlp = base.tlp;
  const saved = await bulkInsert<{ id: number; kind: string; value: string }>(
    db,
    'selectors',
    [{ name: 'agency_id', type: 'int' }, { name: 'tlp', type: 'text' }, { name: 'kind', type: 'text' }, { name: 'value', type: 'text' }, { name: 'meta', type: 'jsonb' }, { name: 'first_seen', type: 'timestamptz' }],
    [...distinct.values()].map((d) => [base.agency_id, tlp, d.kind, d.value, JSON.stringify(d.meta ?? {}), d.first]),
    sql`on conflict (agency_id, kind, value) do update set first_seen = least(selectors.first_seen, excluded.first_seen) returning id, kind, value`,
    options,
  );
  for (const r of saved) ids.set(`${r.kind}\u0000${r.value}`, r.id);
  const sightings = new Map<string, BulkValue[]>();
  for (const f of found) {
    const selectorId = ids.get(`${f.kind}\u0000${f.value}`)!;
    const key = [selectorId, f.vendorId, f.listingId, f.source, owned.captureId, f.messageId, f.rowRef].join('\u0000');
    if (sightings.has(key)) continue;
    sightings.set(key, [base.agency_id, tlp, selectorId, f.vendorId, f.listingId ?? null, f.messageId ?? null, f.rowRef ?? null, f.source, owned.captureId, f.observedAt]);
  }
  const inserted = await bulkInsert<{ n: number }>(
    db,
    'selector_sightings',
    [
      { name: 'agency_id', type: 'int' }, { name: 'tlp', type: 'text' }, { name: 'selector_id', type: 'int' }, { name: 'vendor_id', type: 'int' }, { name: 'listing_id', type: 'int' },
      { name: 'message_id', type: 'bigint' }, { name: 'row_ref', type: 'text' }, { name: 'source', type: 'text' }, { name: 'capture_id', type: 'int' }, { name: 'observed_at', type: 'timestamptz' },
    ],
    [...sightings.values()],
    sql`on conflict do nothing returning 1 as n`,
    options,
  );
  const written = inserted.length;
  const rejects = new Map<string, Insertable<SelectorRejectsTable>>();
  for (const r of rejected) {
    const raw = r.raw.slice(0, MAX_RAW);
    const sha = createHash('sha256').update(r.raw).digest('hex');
    const key = [owned.captureId, r.source, r.rowRef, r.vendorId, r.kind, sha].join('\u0000');
    rejects.set(key, {
      ...base,
      kind: r.kind,
      reason: r.reason,
      detail: r.detail.slice(0, 500),
      raw: raw.replaceAll('\0', '\uFFFD'),
      raw_sha256: sha,
      vendor_id: r.vendorId,
      listing_id: r.listingId ?? null,
      message_id: r.messageId ?? null,
      source: r.source,
      capture_id: owned.captureId,
      row_ref: r.rowRef ?? null,
      observed_at: r.observedAt,
    });
  }
  for (const chunk of chunks([...rejects.values()], 1000)) {
    await db.insertInto('selector_rejects').values(chunk).onConflict((oc) => oc.doNothing()).execute();
  }
  return { selectors: distinct.size, sightings: sightings.size, newSightings: written, rejects: rejects.size };
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
