/**
 * ingestWorld: loads a generated world into the store *as extraction would have produced it*, without crawling.
 *
 * This bypasses collect → evidence → adapters on purpose: crawling 40,000 vendor profiles and 350,000 listing
 * pages of the AlphaBay-scale sim through the SOCKS5 proxy takes far too long for link and analysis benchmarks.
 * The demo path crawls for real. What it keeps honest:
 *  - only what a crawler could see: handles, profile text, listings, prices in the market's display currency,
 *    visible feedback, messenger posts — never identities, alias kinds or private addresses;
 *  - selectors come from running the real `extractSelectors` over the rendered texts (profile + armored PGP
 *    block, listing pages, posts), not from the world's truth, so extraction misses are linking misses too;
 *  - every row has a synthetic capture (kind 'import', url `sim-ingest://…`, payload SHA-256 of the rendered
 *    text), so provenance columns are filled. No WARC record exists for these captures.
 */
import type { Kysely } from 'kysely';
import { classifyListing } from '../../extract/classify/index.ts';
import { extractSelectors } from '../../extract/selectors/index.ts';
import type { Selector } from '../../extract/selectors/index.ts';
import { maintainAfterBulkWrite, type Database, type NewCapture, type SightingSource } from '../../store/index.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { SimAccount, SimMarket, SimPgpKey, World } from '../world/index.ts';
import { dayToUnix, keyByFingerprint, priceOn, stockOn, usdTo } from '../world/index.ts';
import { insertAll, insertReturningIds } from './batch.ts';
import { flushKeyCache } from './key-cache.ts';
import { listingText, listingView, messageText, profileText, sha256Hex } from './render.ts';

export const INGEST_ADAPTER = 'sim-ingest@1';

export interface IngestOptions {
  /** The agency that owns every row written. */
  agencyId: number;
  /** Only what existed up to this simulated day (default: the last day of the world). */
  asOfDay?: number;
  /** Write buyers' feedback rows (default true; the link benchmark skips them). */
  feedback?: boolean;
  /** Write vendor accounts' messenger posts to `messages` (default true). */
  posts?: boolean;
  /**
   * Re-visit every listing page every this many days from day 0 (as a crawler on a schedule would), writing one
   * snapshot per visit with the price and stock shown that day. Unset: one snapshot, the last state seen.
   */
  revisitDays?: number;
  /** Set substance class and substance by running the listing classifier on the title (default: copy the world's). */
  classify?: boolean;
  tlp?: Tlp;
  /** Progress lines (stage, count). */
  onProgress?: (stage: string, count: number) => void;
}

export interface IngestReport {
  sources: number;
  accounts: number;
  listings: number;
  snapshots: number;
  feedback: number;
  posts: number;
  captures: number;
  selectors: number;
  sightings: number;
  /** Distinct armored PGP blocks run through the extractor. */
  pgpBlocks: number;
  seconds: number;
  /** World account id → vendors.id (the store never holds the world's identity truth). */
  vendorIdOf: Map<string, number>;
}

interface Found {
  selector: Selector;
  vendorId: number;
  listingId: number | null;
  source: SightingSource;
  captureId: number;
  day: number;
}

function isoOf(day: number, secs = 12 * 3600): string {
  return new Date((dayToUnix(day) + secs) * 1000).toISOString();
}

/** Runs the extractor once over many texts joined by blank lines, and hands each selector back to its text. */
async function extractMany(texts: string[]): Promise<Selector[][]> {
  const out: Selector[][] = texts.map(() => []);
  if (texts.length === 0) return out;
  const starts: number[] = [];
  let pos = 0;
  for (const t of texts) {
    starts.push(pos);
    pos += t.length + 3;
  }
  const found = await extractSelectors(texts.join('\n\n\n'), { html: false });
  for (const s of found) {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= s.offset) lo = mid;
      else hi = mid - 1;
    }
    out[lo]?.push(s);
  }
  return out;
}

export async function ingestWorld(store: { db: Kysely<Database> }, world: World, opts: IngestOptions): Promise<IngestReport> {
  const t0 = performance.now();
  const { db } = store;
  const agency = opts.agencyId;
  const tlp: Tlp = opts.tlp ?? 'AMBER';
  const asOf = opts.asOfDay ?? world.days - 1;
  if (!Number.isInteger(asOf)) throw new RangeError(`asOfDay must be an integer, got ${asOf}`);
  const revisit = opts.revisitDays;
  if (revisit !== undefined && !(Number.isInteger(revisit) && revisit >= 1)) throw new RangeError(`revisitDays must be a positive integer, got ${revisit}`);
  const exists = await db.selectFrom('agencies').select('id').where('id', '=', agency).executeTakeFirst();
  if (!exists) throw new Error(`agency ${agency} does not exist`);
  const progress = opts.onProgress ?? (() => undefined);
  const owned = { agency_id: agency, tlp };

  // Sources: markets and messenger channels.
  const marketBySlug = new Map(world.markets.map((m) => [m.slug, m]));
  const sourceRows = [
    ...world.markets.map((m) => ({ ...owned, slug: m.slug, name: m.name, kind: 'market' as const,
      status: (m.closeDay !== undefined && m.closeDay <= asOf ? (m.fate === 'alive' ? 'closed' : m.fate) : 'up') as
        'up' | 'seized' | 'exit_scam' | 'closed',
      adapter: INGEST_ADAPTER, first_seen: isoOf(Math.max(m.openDay, 0)), last_seen: isoOf(Math.min(m.closeDay ?? asOf, asOf)) })),
    ...world.channels.map((c) => ({ ...owned, slug: c.id, name: c.name, kind: 'messenger' as const, status: 'up' as const,
      adapter: INGEST_ADAPTER, first_seen: isoOf(0), last_seen: isoOf(asOf) })),
  ];
  const sourceIds = await insertReturningIds(db, 'markets', sourceRows);
  const sourceId = new Map(sourceRows.map((r, i) => [r.slug, sourceIds[i] as number]));
  progress('sources', sourceIds.length);

  const keyCache = new Map<string, SimPgpKey | undefined>();
  const keyOf = (fp: string) => {
    if (!keyCache.has(fp)) keyCache.set(fp, keyByFingerprintFast(world, fp));
    return keyCache.get(fp);
  };
  const found: Found[] = [];
  let captures = 0;

  // Accounts: one capture per profile state (one per PGP key shown over time).
  const accounts = world.accounts.filter((a) => a.openDay <= asOf);
  const vendorIdOf = new Map<string, number>();
  const pgpMemo = new Map<string, Selector[]>();
  const CHUNK = 2000;
  for (let i = 0; i < accounts.length; i += CHUNK) {
    const chunk = accounts.slice(i, i + CHUNK);
    const caps: NewCapture[] = [];
    const capOwner: Array<{ acc: SimAccount; key?: SimPgpKey; day: number; text: string }> = [];
    for (const acc of chunk) {
      const slug = (acc.market ?? acc.channel) as string;
      const shown = acc.market ? acc.pgpKeys.filter((k) => k.fromDay <= asOf) : [];
      const states = shown.length > 0 ? shown.map((k) => ({ key: keyOf(k.fingerprint), day: Math.max(k.fromDay, acc.openDay) }))
        : [{ key: undefined, day: acc.openDay }];
      for (const st of states) {
        const text = profileText(acc, st.key);
        const day = Math.min(Math.max(st.day, 0), asOf);
        caps.push({ ...owned, kind: 'import', market_id: sourceId.get(slug) ?? null,
          url: `sim-ingest://${slug}/vendor/${encodeURIComponent(acc.handle)}${st.key ? `?key=${st.key.keyId}` : ''}`,
          content_type: 'text/plain; charset=utf-8', payload_sha256: sha256Hex(text), payload_size: Buffer.byteLength(text),
          fetched_at: isoOf(day), job_id: INGEST_ADAPTER });
        capOwner.push({ acc, ...(st.key ? { key: st.key } : {}), day, text });
      }
    }
    const capIds = await insertReturningIds(db, 'captures', caps);
    captures += capIds.length;
    const firstCap = new Map<string, number>();
    capOwner.forEach((c, j) => { if (!firstCap.has(c.acc.id)) firstCap.set(c.acc.id, capIds[j] as number); });
    const vendorIds = await insertReturningIds(db, 'vendors', chunk.map((acc) => ({ ...owned,
      market_id: sourceId.get((acc.market ?? acc.channel) as string) as number, handle: acc.handle,
      handle_norm: acc.handle.normalize('NFKC').toLowerCase().trim(), external_id: acc.id, profile_text: acc.profileText,
      rating: `level ${acc.level}`, first_seen: isoOf(Math.max(acc.openDay, 0)), last_seen: isoOf(Math.min(acc.closeDay ?? asOf, asOf)),
      capture_id: firstCap.get(acc.id) ?? null, adapter: INGEST_ADAPTER })));
    chunk.forEach((acc, j) => vendorIdOf.set(acc.id, vendorIds[j] as number));
    // Selectors: the profile body once per account, each distinct armored block once (memoised by its digest).
    const bodies = chunk.map((acc) => profileText(acc, undefined));
    const bodySel = await extractMany(bodies);
    chunk.forEach((acc, j) => {
      const cap = firstCap.get(acc.id) as number;
      for (const s of bodySel[j] ?? []) found.push({ selector: s, vendorId: vendorIdOf.get(acc.id) as number, listingId: null,
        source: 'profile', captureId: cap, day: Math.max(acc.openDay, 0) });
    });
    for (let j = 0; j < capOwner.length; j++) {
      const c = capOwner[j] as (typeof capOwner)[number];
      if (!c.key) continue;
      const block = c.text.slice(c.text.indexOf('-----BEGIN PGP'));
      const digest = sha256Hex(block);
      let sel = pgpMemo.get(digest);
      if (!sel) {
        sel = await extractSelectors(block, { html: false });
        pgpMemo.set(digest, sel);
      }
      for (const s of sel) found.push({ selector: s, vendorId: vendorIdOf.get(c.acc.id) as number, listingId: null,
        source: 'profile', captureId: capIds[j] as number, day: c.day });
    }
    flushKeyCache();
    progress('accounts', Math.min(i + CHUNK, accounts.length));
  }

  // Listings, one snapshot each (the last state a crawler saw) or one per scheduled visit, and the selectors in their texts.
  const listings = world.listings.filter((l) => l.openDay <= asOf && vendorIdOf.has(l.accountId));
  const listingIdOf = new Map<string, number>();
  const listingCapOf = new Map<string, number>();
  let snapshots = 0;
  for (let i = 0; i < listings.length; i += CHUNK * 5) {
    const chunk = listings.slice(i, i + CHUNK * 5);
    const views = chunk.map((l) => listingView(l, marketBySlug.get(l.market) as SimMarket, asOf));
    const texts = chunk.map((l, j) => listingText(l, views[j] as ReturnType<typeof listingView>));
    const capIds = await insertReturningIds(db, 'captures', chunk.map((l, j) => ({ ...owned, kind: 'import' as const,
      market_id: sourceId.get(l.market) ?? null, url: `sim-ingest://${l.market}/listing/${encodeURIComponent(l.externalId)}`,
      content_type: 'text/plain; charset=utf-8', payload_sha256: sha256Hex(texts[j] as string),
      payload_size: Buffer.byteLength(texts[j] as string), fetched_at: isoOf((views[j] as ListingViewT).day), job_id: INGEST_ADAPTER })));
    captures += capIds.length;
    const classes = chunk.map((l) => (opts.classify ? classifyListing(l.title, l.description)
      : { substanceClass: l.substanceClass as string, substance: l.substance as string | null }));
    const ids = await insertReturningIds(db, 'listings', chunk.map((l, j) => ({ ...owned,
      market_id: sourceId.get(l.market) as number, vendor_id: vendorIdOf.get(l.accountId) as number, external_id: l.externalId,
      title: l.title, description: l.description, category: l.substanceClass, substance_class: classes[j]?.substanceClass ?? null,
      substance: classes[j]?.substance ?? null, dose: l.dose ? `${l.dose.amount}${l.dose.unit}` : null, quantity: l.quantity, unit: l.unit,
      first_seen: isoOf(Math.max(l.openDay, 0)), last_seen: isoOf((views[j] as ListingViewT).day),
      capture_id: capIds[j] as number, adapter: INGEST_ADAPTER })));
    chunk.forEach((l, j) => { listingIdOf.set(l.id, ids[j] as number); listingCapOf.set(l.id, capIds[j] as number); });
    const snaps = chunk.flatMap((l, j) => {
      const v = views[j] as ListingViewT;
      const visits = revisit === undefined ? [v.day] : visitDays(l.openDay, v.day, revisit);
      // Never on the page during a visit (gone before day 0 or between two visits): its price, but no stock seen.
      const visited = visits.length > 0;
      return (visited ? visits : [v.day]).map((day) => {
        const usd = priceOn(l, day);
        return { ...owned, listing_id: ids[j] as number, observed_at: isoOf(day), price: usdTo((marketBySlug.get(l.market) as SimMarket).currency, usd, day), currency: v.currency,
          price_usd: usd, price_eur: null, stock: visited ? stockOn(l, day) : null, ships_from: l.shipsFrom, ships_to: l.shipsTo,
          capture_id: capIds[j] as number, adapter: INGEST_ADAPTER };
      });
    });
    await insertAll(db, 'listing_snapshots', snaps);
    snapshots += snaps.length;
    // One extractor call over the whole chunk's texts (joined; each selector is handed back to its listing).
    const sels = await extractMany(texts);
    chunk.forEach((l, j) => {
      for (const s of sels[j] ?? []) found.push({ selector: s, vendorId: vendorIdOf.get(l.accountId) as number,
        listingId: ids[j] as number, source: 'listing', captureId: capIds[j] as number, day: (views[j] as ListingViewT).day });
    });
    progress('listings', Math.min(i + CHUNK * 5, listings.length));
  }

  // Feedback buyers left (visible ones; a duplicated entry is one row: dedupe_key is the sale).
  let feedback = 0;
  if (opts.feedback !== false) {
    const rows = [];
    for (const s of world.sales) {
      const f = s.feedback;
      if (!f || f.hidden || f.day > asOf) continue;
      const lid = listingIdOf.get(s.listingId);
      if (lid === undefined) continue;
      rows.push({ ...owned, market_id: sourceId.get(s.market) as number, vendor_id: vendorIdOf.get(s.accountId) ?? null,
        listing_id: lid, rating: f.rating, body: f.text, buyer: s.buyerId, left_at: isoOf(f.day, s.at % 86_400),
        dedupe_key: s.id, capture_id: listingCapOf.get(s.listingId) ?? null, adapter: INGEST_ADAPTER });
      if (rows.length >= 20_000) {
        await insertAll(db, 'feedback', rows.splice(0), true);
        feedback += 20_000;
      }
    }
    feedback += rows.length;
    await insertAll(db, 'feedback', rows, true);
    progress('feedback', feedback);
  }

  // Messenger posts of vendor accounts (the messages table the Telegram importer also fills).
  let posts = 0;
  const handleOf = new Map(accounts.map((a) => [a.id, a.handle]));
  if (opts.posts !== false) {
    const msgs = world.messages.filter((m) => m.accountId !== undefined && vendorIdOf.has(m.accountId)
      && m.at <= dayToUnix(asOf + 1));
    for (let i = 0; i < msgs.length; i += CHUNK * 5) {
      const chunk = msgs.slice(i, i + CHUNK * 5);
      const texts = chunk.map(messageText);
      const capIds = await insertReturningIds(db, 'captures', chunk.map((m, j) => ({ ...owned, kind: 'import' as const,
        market_id: sourceId.get(m.channelId) ?? null, url: `sim-ingest://${m.channelId}/message/${m.id}`,
        content_type: 'text/plain; charset=utf-8', payload_sha256: sha256Hex(texts[j] as string),
        payload_size: Buffer.byteLength(texts[j] as string), fetched_at: new Date(m.at * 1000).toISOString(), job_id: INGEST_ADAPTER })));
      captures += capIds.length;
      await insertAll(db, 'messages', chunk.map((m, j) => ({ ...owned, market_id: sourceId.get(m.channelId) as number,
        external_id: String(m.id), vendor_id: vendorIdOf.get(m.accountId as string) as number,
        sender: handleOf.get(m.accountId as string) ?? null, recipient: null, thread: null,
        sent_at: new Date(m.at * 1000).toISOString(), body: texts[j] as string, reply_to: null, capture_id: capIds[j] as number })));
      const byAcc = new Map<string, number[]>();
      chunk.forEach((m, j) => { const a = byAcc.get(m.accountId as string); if (a) a.push(j); else byAcc.set(m.accountId as string, [j]); });
      for (const [accId, idx] of byAcc) {
        const sels = await extractMany(idx.map((j) => texts[j] as string));
        idx.forEach((j, k) => {
          for (const s of sels[k] ?? []) found.push({ selector: s, vendorId: vendorIdOf.get(accId) as number, listingId: null,
            source: 'message', captureId: capIds[j] as number, day: Math.floor(((chunk[j] as { at: number }).at - dayToUnix(0)) / 86_400) });
        });
      }
      posts += chunk.length;
    }
    progress('posts', posts);
  }

  const { selectors, sightings } = await writeSelectors(db, owned, found);
  progress('selectors', selectors);
  await maintainAfterBulkWrite(db);
  return { sources: sourceIds.length, accounts: accounts.length, listings: listings.length, snapshots, feedback, posts,
    captures, selectors, sightings, pgpBlocks: pgpMemo.size, seconds: (performance.now() - t0) / 1000, vendorIdOf };
}

type ListingViewT = ReturnType<typeof listingView>;

/** Days a crawler visiting every `every` days from day 0 finds the listing (open on `openDay`, last shown on `lastDay`). */
function visitDays(openDay: number, lastDay: number, every: number): number[] {
  const out: number[] = [];
  for (let d = Math.ceil(Math.max(0, openDay) / every) * every; d <= lastDay; d += every) out.push(d);
  return out;
}

/** Fingerprint → key, through one index built on first use (the world helper scans every identity). */
let fpIndex: { world: World; map: Map<string, SimPgpKey> } | undefined;
function keyByFingerprintFast(world: World, fp: string): SimPgpKey | undefined {
  if (fpIndex?.world !== world) {
    const map = new Map<string, SimPgpKey>();
    for (const i of world.identities) for (const k of i.pgpKeys) map.set(k.fingerprint, k);
    fpIndex = { world, map };
  }
  return fpIndex.map.get(fp) ?? keyByFingerprint(world, fp);
}

async function writeSelectors(db: Kysely<Database>, owned: { agency_id: number; tlp: Tlp }, found: Found[]):
  Promise<{ selectors: number; sightings: number }> {
  const uniq = new Map<string, { kind: string; value: string; meta: unknown; first: number }>();
  for (const f of found) {
    const k = `${f.selector.kind}\u0000${f.selector.value}`;
    const u = uniq.get(k);
    if (!u) uniq.set(k, { kind: f.selector.kind, value: f.selector.value, meta: f.selector.meta ?? {}, first: f.day });
    else if (f.day < u.first) u.first = f.day;
  }
  const list = [...uniq.entries()];
  const idOf = new Map<string, number>();
  const size = 2000;
  for (let i = 0; i < list.length; i += size) {
    const chunk = list.slice(i, i + size);
    const rows = await db.insertInto('selectors').values(chunk.map(([, u]) => ({ ...owned, kind: u.kind, value: u.value,
      meta: JSON.stringify(u.meta), first_seen: isoOf(u.first) })))
      .onConflict((oc) => oc.columns(['agency_id', 'kind', 'value']).doUpdateSet((eb) => ({ kind: eb.ref('excluded.kind') })))
      .returning(['id', 'kind', 'value']).execute();
    for (const r of rows) idOf.set(`${r.kind}\u0000${r.value}`, r.id);
  }
  const seen = new Set<string>();
  const rows = [];
  for (const f of found) {
    const sid = idOf.get(`${f.selector.kind}\u0000${f.selector.value}`) as number;
    const k = `${sid}/${f.vendorId}/${f.listingId}/${f.source}/${f.captureId}`;
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push({ ...owned, selector_id: sid, vendor_id: f.vendorId, listing_id: f.listingId, source: f.source,
      capture_id: f.captureId, observed_at: isoOf(f.day) });
  }
  await insertAll(db, 'selector_sightings', rows, true);
  return { selectors: list.length, sightings: rows.length };
}
