/** What resolution says about one account: its identity, the other accounts in it, and every explained link. */
import { sql, type Kysely } from 'kysely';
import type { Database, LinkStatus } from '../store/index.ts';
import type { LinkExplanation } from './model.ts';

export interface AccountRef {
  vendorId: number;
  handle: string;
  source: string;
  sourceKind: string;
}

export interface VendorLinkView {
  vendor: AccountRef;
  identity: { id: number; label: string; members: AccountRef[] } | null;
  links: Array<{ id: number; other: AccountRef; score: number; status: LinkStatus; evidence: LinkExplanation & { clustered?: boolean } }>;
  decisions: Array<{ id: number; other: number; ruling: string; origin: string; actor: string; reason: string; at: Date }>;
}

async function refs(db: Kysely<Database>, ids: number[]): Promise<Map<number, AccountRef>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('vendors').innerJoin('markets', 'markets.id', 'vendors.market_id')
    .select(['vendors.id', 'vendors.handle', 'markets.slug', 'markets.kind']).where('vendors.id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, { vendorId: r.id, handle: r.handle, source: r.slug, sourceKind: r.kind }]));
}

export async function showVendorLinks(db: Kysely<Database>, vendorId: number): Promise<VendorLinkView | null> {
  const me = (await refs(db, [vendorId])).get(vendorId);
  if (!me) return null;
  const ident = await db.selectFrom('identity_members').innerJoin('identities', 'identities.id', 'identity_members.identity_id')
    .select(['identities.id', 'identities.label']).where('identity_members.vendor_id', '=', vendorId).executeTakeFirst();
  const memberIds = ident ? (await db.selectFrom('identity_members').select('vendor_id').where('identity_id', '=', ident.id)
    .orderBy('vendor_id').execute()).map((r) => r.vendor_id) : [];
  const links = await db.selectFrom('links').select(['id', 'vendor_a', 'vendor_b', 'score', 'status', 'evidence'])
    .where((eb) => eb.or([eb('vendor_a', '=', vendorId), eb('vendor_b', '=', vendorId)])).orderBy('score', 'desc').limit(200).execute();
  const decisions = await sql<{ id: number; vendor_a: number; vendor_b: number; ruling: string; origin: string; actor: string;
    reason: string; decided_at: Date }>`
    select id, vendor_a, vendor_b, ruling, origin, actor, reason, decided_at from link_decisions
    where vendor_a = ${vendorId} or vendor_b = ${vendorId} order by id`.execute(db);
  const others = new Set<number>([...memberIds, ...links.map((l) => (l.vendor_a === vendorId ? l.vendor_b : l.vendor_a))]);
  const r = await refs(db, [...others]);
  return {
    vendor: me,
    identity: ident ? { id: ident.id, label: ident.label, members: memberIds.map((v) => r.get(v) as AccountRef) } : null,
    links: links.map((l) => ({ id: l.id, other: r.get(l.vendor_a === vendorId ? l.vendor_b : l.vendor_a) as AccountRef,
      score: l.score, status: l.status, evidence: l.evidence as LinkExplanation })),
    decisions: decisions.rows.map((d) => ({ id: d.id, other: d.vendor_a === vendorId ? d.vendor_b : d.vendor_a, ruling: d.ruling,
      origin: d.origin, actor: d.actor, reason: d.reason, at: d.decided_at })),
  };
}
