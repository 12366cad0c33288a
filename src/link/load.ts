// Reads what resolution needs about every account of one agency, in set-based queries over ranges of vendors.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { verifiedCertifications, type VerifiedCertifications } from './certify.ts';

export interface SelectorSeen {
  selectorId: number;
  kind: string;
  value: string;
  /** Captures the selector was read from on this account (provenance for explanations). */
  captures: number[];
}

/** What a PGP key's own packets say about its holder (from the selector's metadata). */
export interface PgpKeyInfo {
  fingerprint: string;
  /** User IDs as in the key ("Name (comment) <mail@host>"). */
  userIds: string[];
  emails: string[];
  /** Fingerprints of other keys in the store whose certification on this key's user ID verified (load.ts). */
  signedBy: string[];
}

export interface AccountData {
  vendorId: number;
  sourceId: number;
  sourceKind: string;
  handle: string;
  profileCapture: number | null;
  profile: string;
  titles: string[];
  bodies: string[];
  posts: string[];
  selectors: SelectorSeen[];
  /** The PGP keys among `selectors`, with their user IDs (key-rotation evidence). */
  pgpKeys: PgpKeyInfo[];
  /** Listing counts per substance (or class when the substance is unknown). */
  products: Map<string, number>;
  shipsFrom: Map<string, number>;
  shipsTo: Set<string>;
  /** Per (substance, unit): mean log USD price per unit. */
  prices: Map<string, number>;
}

export interface LoadOptions {
  /** Listing texts read per account (a sample is enough for style). */
  textsPerAccount?: number;
  postsPerAccount?: number;
  /** Accounts read per round of queries (see `loadAccounts`). */
  accountsPerChunk?: number;
}

/**
 * The accounts' texts, products, posts and selectors are read in rounds of `accountsPerChunk` vendor ids. On the
 * embedded engine a result set is assembled in WebAssembly memory, which never shrinks: at AlphaBay scale one
 * query for every account's texts grew the process by ~270 MiB for the rest of the run. Each query orders its rows,
 * so what an account receives does not depend on the plan the engine picks.
 */
export async function loadAccounts(db: Kysely<Database>, agencyId: number, opts: LoadOptions = {}): Promise<AccountData[]> {
  const vendors = await db.selectFrom('vendors').innerJoin('markets', 'markets.id', 'vendors.market_id')
    .select(['vendors.id', 'vendors.market_id', 'markets.kind', 'vendors.handle', 'vendors.profile_text', 'vendors.capture_id'])
    .where('vendors.agency_id', '=', agencyId).orderBy('vendors.id').execute();
  const byId = new Map<number, AccountData>();
  const out: AccountData[] = vendors.map((v) => {
    const a: AccountData = { vendorId: v.id, sourceId: v.market_id, sourceKind: v.kind, handle: v.handle,
      profileCapture: v.capture_id, profile: v.profile_text, titles: [], bodies: [], posts: [], selectors: [], pgpKeys: [],
      products: new Map(), shipsFrom: new Map(), shipsTo: new Set(), prices: new Map() };
    byId.set(v.id, a);
    return a;
  });
  const signed = await verifiedCertifications(db, agencyId);
  const step = Math.max(1, opts.accountsPerChunk ?? 4096);
  for (let i = 0; i < out.length; i += step) {
    const range: VendorRange = { agencyId, first: (out[i] as AccountData).vendorId,
      last: (out[Math.min(i + step, out.length) - 1] as AccountData).vendorId };
    await loadTexts(db, range, byId, opts.textsPerAccount ?? 8);
    await loadProducts(db, range, byId);
    await loadPosts(db, range, byId, opts.postsPerAccount ?? 15);
    await loadSelectors(db, range, byId, signed);
  }
  return out;
}

/** The vendors of one agency with ids in [first, last]. */
interface VendorRange { agencyId: number; first: number; last: number }

// Texts are cut to 2,000 characters in SQL (JS then cuts to 2,000 UTF-16 units, as before): less to transfer, and
// no JS slice that keeps the whole original string alive.
async function loadTexts(db: Kysely<Database>, r: VendorRange, byId: Map<number, AccountData>, perAcc: number) {
  const texts = await sql<{ vendor_id: number; title: string; description: string }>`
    select vendor_id, title, left(description, 2000) as description from (
      select vendor_id, title, description, id, row_number() over (partition by vendor_id order by id) as rn
      from listings where agency_id = ${r.agencyId} and vendor_id between ${r.first} and ${r.last}) t
    where rn <= ${perAcc} order by vendor_id, id`.execute(db);
  for (const row of texts.rows) {
    const a = byId.get(row.vendor_id);
    if (a) { a.titles.push(row.title); a.bodies.push(row.description.slice(0, 2000)); }
  }
}

async function loadProducts(db: Kysely<Database>, r: VendorRange, byId: Map<number, AccountData>) {
  const prof = await sql<{ vendor_id: number; product: string; unit: string | null; n: number; ships_from: string | null;
    ships_to: string[] | null; lp: number | null }>`
    select l.vendor_id, coalesce(l.substance, l.substance_class, '?') as product, l.unit, count(*)::int as n,
      s.ships_from, s.ships_to,
      avg(ln(greatest(s.price_usd, 0.01) / greatest(l.quantity, 0.0001)))::float8 as lp
    from listings l
    left join lateral (select ships_from, ships_to, price_usd from listing_snapshots
      where listing_id = l.id order by observed_at desc limit 1) s on true
    where l.agency_id = ${r.agencyId} and l.vendor_id between ${r.first} and ${r.last}
    group by l.vendor_id, product, l.unit, s.ships_from, s.ships_to
    order by l.vendor_id, product, l.unit, s.ships_from, s.ships_to`.execute(db);
  for (const row of prof.rows) {
    const a = byId.get(row.vendor_id);
    if (!a) continue;
    a.products.set(row.product, (a.products.get(row.product) ?? 0) + row.n);
    if (row.ships_from) a.shipsFrom.set(row.ships_from, (a.shipsFrom.get(row.ships_from) ?? 0) + row.n);
    for (const c of row.ships_to ?? []) a.shipsTo.add(c);
    if (row.lp !== null && row.unit) a.prices.set(`${row.product}/${row.unit}`, row.lp);
  }
}

async function loadPosts(db: Kysely<Database>, r: VendorRange, byId: Map<number, AccountData>, perPosts: number) {
  const posts = await sql<{ vendor_id: number; body: string }>`
    select vendor_id, left(body, 2000) as body from (
      select vendor_id, body, row_number() over (partition by vendor_id order by sent_at desc nulls last, id desc) as rn
      from messages where agency_id = ${r.agencyId} and vendor_id between ${r.first} and ${r.last}) t
    where rn <= ${perPosts} order by vendor_id, rn`.execute(db);
  for (const row of posts.rows) byId.get(row.vendor_id)?.posts.push(row.body.slice(0, 2000));
}

async function loadSelectors(db: Kysely<Database>, r: VendorRange, byId: Map<number, AccountData>,
  signed: VerifiedCertifications) {
  const sels = await sql<{ vendor_id: number; selector_id: number; kind: string; value: string; captures: number[];
    user_ids: unknown; emails: unknown }>`
    select ss.vendor_id, s.id as selector_id, s.kind, s.value,
      array_remove(array_agg(distinct ss.capture_id), null) as captures,
      case when s.kind = 'pgp_key' then s.meta->'userIds' end as user_ids,
      case when s.kind = 'pgp_key' then s.meta->'emails' end as emails
    from selector_sightings ss join selectors s on s.id = ss.selector_id
    where ss.agency_id = ${r.agencyId} and ss.vendor_id between ${r.first} and ${r.last}
    group by ss.vendor_id, s.id, s.kind, s.value
    order by ss.vendor_id, s.id`.execute(db);
  for (const row of sels.rows) {
    const a = byId.get(row.vendor_id);
    if (!a) continue;
    a.selectors.push({ selectorId: row.selector_id, kind: row.kind, value: row.value, captures: row.captures.slice(0, 5) });
    if (row.kind === 'pgp_key') {
      a.pgpKeys.push({ fingerprint: row.value, userIds: strings(row.user_ids), emails: strings(row.emails),
        signedBy: signed.get(row.value) ?? [] });
    }
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 20) : [];
}
