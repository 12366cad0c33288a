import { countryCode } from '../eval/sim-labels.ts';
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { FxTable } from '../../domain/money.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database, SightingSource } from '../../store/index.ts';
import { saveSightings, type TextToScan } from './sightings.ts';
import type { ExtractResult, ExtractedFeedback, ExtractedListing, TextBlock } from '../types.ts';

/** Where a page's facts belong: the market it was captured on and the capture that holds its bytes. */
export interface SaveContext {
  agencyId: number;
  marketId: number;
  captureId: number | null;
  tlp?: Tlp;
  /** Converts prices to USD/EUR at the capture date; without it those columns stay empty. */
  fx?: FxTable;
  /** Optional listing classifier (substance class, dose, quantity) from the classify module. */
  classify?: (title: string, description: string) => ListingClass | null;
}

export interface ListingClass {
  substanceClass: string | null;
  substance: string | null;
  dose: string | null;
  quantity: number | null;
  unit: string | null;
}

export interface SaveReport {
  vendors: number;
  listings: number;
  snapshots: number;
  feedback: number;
  selectors: number;
}

/** The same handle, however a page writes it, gives the same account key on one market. */
export function normalizeHandle(handle: string): string {
  return handle.normalize('NFKC').trim().toLowerCase();
}

/** A stable key for one feedback entry on its market, so re-crawls and re-parses never duplicate it. */
export function feedbackKey(f: ExtractedFeedback, vendor: string | null): string {
  return createHash('sha256')
    .update(JSON.stringify([f.listingExternalId, vendor, f.buyer, f.postedAt ?? f.postedAtText, f.rating, f.text]))
    .digest('hex')
    .slice(0, 40);
}

/**
 * Writes one page's extraction into the store, idempotently: accounts and listings are upserted by their natural
 * keys, a snapshot is keyed by (listing, capture time), feedback by its content key, selectors by (kind, value).
 * Re-parsing the same capture with a newer adapter updates the facts and their `adapter` provenance.
 */
export async function saveExtraction(db: Kysely<Database>, ctx: SaveContext, result: ExtractResult): Promise<SaveReport> {
  const run = async (trx: Transaction<Database>) => savePage(trx, ctx, result);
  return db.isTransaction ? run(db as Transaction<Database>) : db.transaction().execute(run);
}

async function savePage(trx: Transaction<Database>, ctx: SaveContext, result: ExtractResult): Promise<SaveReport> {
  const at = new Date(result.provenance.capturedAt);
  const adapter = result.provenance.adapter;
  const owned = { agency_id: ctx.agencyId, tlp: ctx.tlp ?? 'AMBER' } as const;
  const report: SaveReport = { vendors: 0, listings: 0, snapshots: 0, feedback: 0, selectors: 0 };
  const vendorIds = new Map<string, number>();

  const vendorId = async (handle: string | null, fields: { profile?: string | null; rating?: string | null; externalId?: string | null } = {}) => {
    if (!handle) return null;
    const norm = normalizeHandle(handle);
    if (!norm) return null;
    const known = vendorIds.get(norm);
    if (known !== undefined && fields.profile === undefined) return known;
    const row = await trx
      .insertInto('vendors')
      .values({
        ...owned,
        market_id: ctx.marketId,
        handle,
        handle_norm: norm,
        external_id: fields.externalId ?? null,
        profile_text: fields.profile ?? '',
        rating: fields.rating ?? null,
        first_seen: at,
        last_seen: at,
        capture_id: ctx.captureId,
        adapter,
      })
      .onConflict((oc) =>
        oc.columns(['market_id', 'handle_norm']).doUpdateSet((eb) => ({
          first_seen: sql`least(vendors.first_seen, excluded.first_seen)`,
          last_seen: sql`greatest(vendors.last_seen, excluded.last_seen)`,
          // A profile page is the authority on profile text and rating; a listing page only names the vendor.
          profile_text: fields.profile != null ? eb.ref('excluded.profile_text') : eb.ref('vendors.profile_text'),
          rating: fields.rating != null ? eb.ref('excluded.rating') : eb.ref('vendors.rating'),
          capture_id: fields.profile != null ? eb.ref('excluded.capture_id') : eb.ref('vendors.capture_id'),
          adapter: fields.profile != null ? eb.ref('excluded.adapter') : eb.ref('vendors.adapter'),
        })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    vendorIds.set(norm, row.id);
    report.vendors++;
    return row.id;
  };

  for (const v of result.vendors) {
    const rating = v.rating === null ? null : `${v.ratingApprox ? '~' : ''}${v.rating}${v.ratingMax ? `/${v.ratingMax}` : ''}`;
    await vendorId(v.handle, { profile: v.profileText ?? '', rating });
  }

  const listingIds = new Map<string, number>();
  for (const l of result.listings) {
    const id = await saveListing(trx, ctx, l, await vendorId(l.vendorHandle), at, adapter, report);
    if (id !== null && l.externalId) listingIds.set(l.externalId, id);
  }

  for (const f of result.feedback) {
    const handle = f.vendorHandle ?? (result.vendors.length === 1 ? result.vendors[0]!.handle : null);
    const vId = await vendorId(handle);
    let listingId = f.listingExternalId ? (listingIds.get(f.listingExternalId) ?? null) : null;
    if (listingId === null && f.listingExternalId) {
      const row = await trx
        .selectFrom('listings')
        .select('id')
        .where('market_id', '=', ctx.marketId)
        .where('external_id', '=', f.listingExternalId)
        .executeTakeFirst();
      listingId = row?.id ?? null;
    }
    const inserted = await trx
      .insertInto('feedback')
      .values({
        ...owned,
        market_id: ctx.marketId,
        vendor_id: vId,
        listing_id: listingId,
        rating: f.rating ?? null,
        body: f.text ?? '',
        buyer: f.buyer,
        left_at: f.postedAt,
        dedupe_key: feedbackKey(f, handle ? normalizeHandle(handle) : null),
        capture_id: ctx.captureId,
        adapter,
      })
      .onConflict((oc) => oc.columns(['market_id', 'dedupe_key']).doUpdateSet({ adapter: (eb) => eb.ref('excluded.adapter') }))
      .returning('id')
      .executeTakeFirst();
    if (inserted) report.feedback++;
  }

  report.selectors = await saveSelectors(trx, ctx, result.texts, at, { vendorIds, listingIds }, owned);
  return report;
}

async function saveListing(
  trx: Transaction<Database>,
  ctx: SaveContext,
  l: ExtractedListing,
  vendorId: number | null,
  at: Date,
  adapter: string,
  report: SaveReport,
): Promise<number | null> {
  if (!l.externalId || !l.title) return null;
  const cls = ctx.classify?.(l.title, l.description ?? '') ?? null;
  const owned = { agency_id: ctx.agencyId, tlp: ctx.tlp ?? 'AMBER' } as const;
  const row = await trx
    .insertInto('listings')
    .values({
      ...owned,
      market_id: ctx.marketId,
      vendor_id: vendorId,
      external_id: l.externalId,
      title: l.title,
      description: l.description ?? '',
      category: l.category.length ? l.category.join(' > ') : null,
      substance_class: cls?.substanceClass ?? null,
      substance: cls?.substance ?? null,
      dose: cls?.dose ?? null,
      quantity: cls?.quantity ?? null,
      unit: cls?.unit ?? null,
      first_seen: at,
      last_seen: at,
      capture_id: ctx.captureId,
      adapter,
    })
    .onConflict((oc) =>
      oc.columns(['market_id', 'external_id']).doUpdateSet((eb) => ({
        vendor_id: sql`coalesce(excluded.vendor_id, listings.vendor_id)`,
        title: eb.ref('excluded.title'),
        description: sql`case when excluded.description <> '' then excluded.description else listings.description end`,
        category: sql`coalesce(excluded.category, listings.category)`,
        substance_class: eb.ref('excluded.substance_class'),
        substance: eb.ref('excluded.substance'),
        dose: eb.ref('excluded.dose'),
        quantity: eb.ref('excluded.quantity'),
        unit: eb.ref('excluded.unit'),
        first_seen: sql`least(listings.first_seen, excluded.first_seen)`,
        last_seen: sql`greatest(listings.last_seen, excluded.last_seen)`,
        adapter: eb.ref('excluded.adapter'),
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  report.listings++;

  if (l.price) {
    const usd = ctx.fx?.convert(l.price, 'USD', at)?.amount ?? null;
    const eur = ctx.fx?.convert(l.price, 'EUR', at)?.amount ?? null;
    await trx
      .insertInto('listing_snapshots')
      .values({
        ...owned,
        listing_id: row.id,
        observed_at: at,
        price: l.price.amount,
        currency: l.price.currency,
        price_usd: usd,
        price_eur: eur,
        stock: l.stock,
        ships_from: l.shipsFrom,
        ships_to: l.shipsTo,
        ships_to_excluded: (l.shipsToExcluded ?? []).map(countryCode),
        capture_id: ctx.captureId,
        adapter,
      })
      .onConflict((oc) =>
        oc.columns(['listing_id', 'observed_at']).doUpdateSet((eb) => ({
          price: eb.ref('excluded.price'),
          currency: eb.ref('excluded.currency'),
          price_usd: eb.ref('excluded.price_usd'),
          price_eur: eb.ref('excluded.price_eur'),
          stock: eb.ref('excluded.stock'),
          ships_from: eb.ref('excluded.ships_from'),
          ships_to: eb.ref('excluded.ships_to'),
          ships_to_excluded: eb.ref('excluded.ships_to_excluded'),
          adapter: eb.ref('excluded.adapter'),
        })),
      )
      .execute();
    report.snapshots++;
  }
  return row.id;
}

const SOURCE_OF: Record<TextBlock['kind'], SightingSource> = {
  listing_description: 'listing',
  vendor_profile: 'profile',
  pgp: 'profile',
  feedback: 'feedback',
  page: 'profile',
};

async function saveSelectors(
  trx: Transaction<Database>,
  ctx: SaveContext,
  texts: TextBlock[],
  at: Date,
  ids: { vendorIds: Map<string, number>; listingIds: Map<string, number> },
  owned: { agency_id: number; tlp: Tlp },
): Promise<number> {
  const onlyVendor = ids.vendorIds.size === 1 ? [...ids.vendorIds.values()][0]! : null;
  const scan: TextToScan[] = [];
  for (const block of texts) {
    // The whole-page text block repeats what the structured blocks hold; use it only when nothing else was found.
    if (block.kind === 'page' && texts.length > 1) continue;
    const vendorId =
      block.kind === 'vendor_profile' || block.kind === 'pgp'
        ? (block.ref ? ids.vendorIds.get(normalizeHandle(block.ref)) : undefined) ?? onlyVendor
        : onlyVendor;
    const listingId = block.kind === 'listing_description' && block.ref ? (ids.listingIds.get(block.ref) ?? null) : null;
    scan.push({ text: block.text, source: SOURCE_OF[block.kind], vendorId, listingId, observedAt: at });
  }
  const r = await saveSightings(trx, { agencyId: owned.agency_id, tlp: owned.tlp, captureId: ctx.captureId }, scan);
  return r.sightings;
}
