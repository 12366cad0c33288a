/**
 * The packaging and shipping traits vendors advertise (src/extract's shipping signatures) for the postal feed:
 * postal operators screen parcels by them. Read from the vendors' profiles and listing descriptions that the
 * given row filter lets through.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, RowFilter } from '../../store/index.ts';
import { shippingProfile } from '../../extract/index.ts';

/** The listing texts read per vendor: enough to see its habits, bounded for vendors with thousands of listings. */
const TEXTS_PER_VENDOR = 50;

/** "packaging: vacuum-sealed, mylar-barrier-bag; carrier: dhl; service: tracked" per vendor id (vendors with none are absent). */
export async function vendorShippingTraits(db: Kysely<Database>, vendorIds: readonly number[], visible: RowFilter): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (vendorIds.length === 0) return out;
  const rows = await sql<{ vendor_id: number; text: string }>`
    select v.id as vendor_id, v.profile_text as text from vendors v
    where v.id = any(${[...vendorIds]}::int[]) and ${visible('v')} and v.profile_text <> ''
    union all
    select x.vendor_id, x.description from (
      select l.vendor_id, l.description, row_number() over (partition by l.vendor_id order by l.last_seen desc nulls last, l.id) as n
      from listings l where l.vendor_id = any(${[...vendorIds]}::int[]) and ${visible('l')} and l.description <> ''
    ) x where x.n <= ${TEXTS_PER_VENDOR}`.execute(db);
  const texts = new Map<number, string[]>();
  for (const r of rows.rows) {
    const list = texts.get(r.vendor_id) ?? [];
    list.push(r.text);
    texts.set(r.vendor_id, list);
  }
  for (const [id, list] of texts) {
    const byKind = new Map<string, string[]>();
    for (const t of shippingProfile(list)) byKind.set(t.kind, [...(byKind.get(t.kind) ?? []), t.term]);
    if (byKind.size) out.set(id, [...byKind].map(([k, terms]) => `${k}: ${terms.join(', ')}`).join('; '));
  }
  return out;
}
