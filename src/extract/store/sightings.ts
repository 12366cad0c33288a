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
import { bulkInsert, type BulkOptions, type BulkValue, type Database, type SelectorRejectsTable } from '../../store/index.ts';
import { scanSightings, type ColumnToRead, type Found, type Rejected, type ScannedSightings, type TextToScan } from './scan.ts';

export { readWalletColumn, scanSightings, type ColumnToRead, type ScannedSightings, type SightingOrigin, type TextToScan } from './scan.ts';

export interface SightingsReport {
  /** Distinct selectors written (new or already known). */
  selectors: number;
  /** Distinct sightings found (written now or already stored by an earlier run). */
  sightings: number;
  /** Of those, written now. */
  newSightings: number;
  rejects: number;
}

const MAX_RAW = 4096;

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
