import type { Kysely } from 'kysely';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.ts';
import { ROLES, type Role } from '../../src/domain/role.ts';
import { createUser } from '../../src/server/index.ts';
import type { Database } from '../../src/store/index.ts';

/** Fast (but real) scrypt for tests: the hash format records the parameters, so login verifies with them. */
export const TEST_SCRYPT = { N: 1 << 12, r: 8, p: 1 };
export const PASSWORD = 'correct horse battery';
export const AGENCIES = ['NL-POL', 'DE-BKA'] as const;
export type AgencyCode = (typeof AGENCIES)[number];

export interface OwnedIds {
  market: number;
  vendor: number;
  vendor2: number;
  listing: number;
  capture: number;
  identity: number;
  link: number;
}

export interface Seeded {
  agencyIds: Record<AgencyCode, number>;
  /** username per agency and role: `${role}-${agency lower}` */
  username: (agency: AgencyCode, role: Role) => string;
  /** One full set of rows per owner agency and TLP marking. */
  rows: Record<AgencyCode, Record<Tlp, OwnedIds>>;
}

/** Two agencies, a user of every role in each, and one market/vendor/listing/link/identity/capture per agency × TLP. */
export async function seed(db: Kysely<Database>): Promise<Seeded> {
  const agencyIds = {} as Record<AgencyCode, number>;
  for (const code of AGENCIES) {
    const a = await db.insertInto('agencies').values({ code, name: `${code} dark-web team`, country: code.slice(0, 2), contact_point: `desk@${code.toLowerCase()}.invalid` }).returning('id').executeTakeFirstOrThrow();
    agencyIds[code] = a.id;
  }
  const username = (agency: AgencyCode, role: Role) => `${role}-${agency.toLowerCase()}`;
  for (const code of AGENCIES) for (const role of ROLES) await createUser(db, { agencyCode: code, username: username(code, role), role, password: PASSWORD }, TEST_SCRYPT);

  const rows = {} as Seeded['rows'];
  const t0 = new Date('2025-01-01T00:00:00Z');
  for (const code of AGENCIES) {
    rows[code] = {} as Record<Tlp, OwnedIds>;
    for (const tlp of TLP_LEVELS) {
      const agency_id = agencyIds[code];
      const tag = `${code}-${tlp}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const own = { agency_id, tlp };
      const market = await db.insertInto('markets').values({ ...own, slug: `m-${tag}`, name: `Market ${tag}`, status: 'up' }).returning('id').executeTakeFirstOrThrow();
      const capture = await db.insertInto('captures').values({ ...own, kind: 'http', market_id: market.id, url: `http://${'a'.repeat(56)}.onion/${tag}`, payload_sha256: 'ab'.repeat(32), fetched_at: t0 }).returning('id').executeTakeFirstOrThrow();
      const vendor = await db.insertInto('vendors').values({ ...own, market_id: market.id, handle: `vendor-${tag}`, handle_norm: `vendor-${tag}`, profile_text: `profile of ${tag}`, first_seen: t0, last_seen: new Date('2025-03-01Z'), capture_id: capture.id }).returning('id').executeTakeFirstOrThrow();
      const vendor2 = await db.insertInto('vendors').values({ ...own, market_id: market.id, handle: `alias-${tag}`, handle_norm: `alias-${tag}`, first_seen: t0, last_seen: t0 }).returning('id').executeTakeFirstOrThrow();
      const listing = await db.insertInto('listings').values({ ...own, market_id: market.id, vendor_id: vendor.id, external_id: `L-${tag}`, title: `listing ${tag} cocaine 5g`, description: `desc ${tag}`, substance: 'cocaine', substance_class: 'stimulant', first_seen: t0, last_seen: t0, capture_id: capture.id }).returning('id').executeTakeFirstOrThrow();
      await db.insertInto('listing_snapshots').values({ ...own, listing_id: listing.id, observed_at: t0, price: 100, currency: 'USD', price_usd: 100, ships_from: 'NL', ships_to: ['DE', 'FR'] }).execute();
      await db.insertInto('feedback').values({ ...own, market_id: market.id, vendor_id: vendor.id, listing_id: listing.id, rating: 5, body: 'ok', left_at: new Date('2025-01-10Z'), dedupe_key: `fb-${tag}` }).execute();
      const identity = await db.insertInto('identities').values({ ...own, label: `identity ${tag}` }).returning('id').executeTakeFirstOrThrow();
      await db.insertInto('identity_members').values([{ identity_id: identity.id, vendor_id: vendor.id }, { identity_id: identity.id, vendor_id: vendor2.id }]).execute();
      const link = await db.insertInto('links').values({ ...own, vendor_a: vendor.id, vendor_b: vendor2.id, score: 0.9, evidence: JSON.stringify([{ kind: 'pgp_key', detail: 'same fingerprint' }]) }).returning('id').executeTakeFirstOrThrow();
      const sel = await db.insertInto('selectors').values({ ...own, kind: 'btc_address', value: `bc1q${tag}` }).returning('id').executeTakeFirstOrThrow();
      await db.insertInto('selector_sightings').values({ ...own, selector_id: sel.id, vendor_id: vendor.id, source: 'profile', capture_id: capture.id, observed_at: t0 }).execute();
      await db.insertInto('market_events').values({ ...own, market_id: market.id, kind: 'launched', observed_at: t0 }).execute();
      rows[code][tlp] = { market: market.id, vendor: vendor.id, vendor2: vendor2.id, listing: listing.id, capture: capture.id, identity: identity.id, link: link.id };
    }
  }
  return { agencyIds, username, rows };
}
