/**
 * What goes into an exported package: a vendor, an identity or a case, read from the database with the caller's
 * visibility (own agency's rows, other agencies' CLEAR/GREEN rows; cases only of the caller's own agency), turned
 * into `buildPackage` input. The package is marked with the strictest TLP of what it contains (or stricter, on
 * request), so export never lowers a marking.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/index.ts';
import type { RegisteredSelectorKind } from '../../deconflict/index.ts';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { PackageInput } from '../../exchange/index.ts';
import type { Database } from '../../store/index.ts';
import { canReadRow, visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { notFound } from '../errors.ts';
import { exchangeDb } from './schema.ts';

export type SubjectKind = 'vendor' | 'identity' | 'case';

export interface SubjectPackage {
  input: PackageInput;
  /** What was left out and why (e.g. a postal address without a country). */
  omitted: string[];
}

type Selector = NonNullable<PackageInput['selectors']>[number];
type Account = NonNullable<PackageInput['accounts']>[number];

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : undefined);

export async function subjectPackage(database: Kysely<Database>, p: Principal, kind: SubjectKind, id: number, requestedTlp?: Tlp): Promise<SubjectPackage> {
  const db = exchangeDb(database);
  const agency = await db.selectFrom('agencies').select(['code', 'name', 'contact_point']).where('id', '=', p.agencyId).executeTakeFirstOrThrow();
  const producer = { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) };
  const omitted: string[] = [];
  let tlp: Tlp = requestedTlp ?? 'CLEAR';
  const mark = (t: Tlp) => (tlp = strictestTlp(tlp, t));
  const selectors = new Map<string, Selector>();
  const addSelector = (k: string, value: string, accountId: string | undefined, firstSeen?: Date) => {
    if (!isRegisteredSelectorKind(k)) return void omitted.push(`selector of kind ${k}: no STIX mapping`);
    if (k === 'postal_address') return void omitted.push('postal_address selector: no country recorded, STIX location needs one');
    let v: string;
    try {
      v = normalizeRegisteredSelector(k as RegisteredSelectorKind, value);
    } catch (e) {
      return void omitted.push(`${k} selector: ${(e as Error).message}`);
    }
    const key = `${k}\u0000${v}`;
    const s = selectors.get(key) ?? { kind: k as RegisteredSelectorKind, value: v, accountIds: [], ...(firstSeen ? { firstSeen: iso(firstSeen)! } : {}) };
    if (accountId && !s.accountIds!.includes(accountId)) s.accountIds!.push(accountId);
    selectors.set(key, s);
  };

  if (kind === 'case') {
    const c = await db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!c || c.agency_id !== p.agencyId) throw notFound('case', id);
    mark(c.tlp);
    const regs = await db.selectFrom('deconflict_selectors').select(['kind', 'value', 'registered_at']).where('case_id', '=', c.id).orderBy('id').execute();
    for (const r of regs) addSelector(r.kind, r.value, undefined, r.registered_at);
    return {
      input: {
        producer,
        subject: { kind: 'case', id: `case-${c.id}`, name: c.reference, description: c.title },
        selectors: [...selectors.values()],
        notes: [{ content: `Contact point for this case: ${c.contact_point}`, about: [{ kind: 'subject' }] }],
        tlp,
      },
      omitted,
    };
  }

  let vendorIds: number[];
  let subject: PackageInput['subject'];
  const relationships: NonNullable<PackageInput['relationships']> = [];
  if (kind === 'vendor') {
    const v = await db.selectFrom('vendors').selectAll().where('id', '=', id).executeTakeFirst();
    if (!v || !canReadRow(p, v)) throw notFound('vendor', id);
    vendorIds = [v.id];
    subject = { kind: 'vendor', id: `vendor-${v.id}`, name: v.handle, ...(v.first_seen ? { firstSeen: iso(v.first_seen)! } : {}), ...(v.last_seen ? { lastSeen: iso(v.last_seen)! } : {}) };
  } else {
    const i = await db.selectFrom('identities').selectAll().where('id', '=', id).executeTakeFirst();
    if (!i || !canReadRow(p, i)) throw notFound('identity', id);
    mark(i.tlp);
    const members = await db.selectFrom('identity_members as im').innerJoin('vendors as v', 'v.id', 'im.vendor_id').select('v.id').where('im.identity_id', '=', i.id).where(visibleSql(p, 'v')).execute();
    vendorIds = members.map((m) => m.id);
    subject = { kind: 'identity', id: `identity-${i.id}`, name: i.label || `identity ${i.id}` };
  }
  const accounts: Account[] = [];
  const vendors = vendorIds.length
    ? await db.selectFrom('vendors as v').innerJoin('markets as m', 'm.id', 'v.market_id').select(['v.id', 'v.handle', 'v.tlp', 'v.first_seen', 'v.last_seen', 'm.kind', 'm.name', 'm.tlp as market_tlp', 'm.agency_id as market_agency']).where('v.id', 'in', vendorIds).orderBy('v.id').execute()
    : [];
  for (const v of vendors) {
    mark(v.tlp);
    // The source's name is shown only when its market row is visible too.
    const sourceName = canReadRow(p, { agency_id: v.market_agency, tlp: v.market_tlp }) ? v.name : 'undisclosed source';
    accounts.push({ id: `vendor-${v.id}`, handle: v.handle, source: { kind: v.kind, name: sourceName }, ...(v.first_seen ? { firstSeen: iso(v.first_seen)! } : {}), ...(v.last_seen ? { lastSeen: iso(v.last_seen)! } : {}) });
  }
  if (vendorIds.length) {
    const sightings = await sql<{ vendor_id: number; kind: string; value: string; tlp: Tlp; first: Date }>`
      select ss.vendor_id, s.kind, s.value, s.tlp, min(ss.observed_at) as first
      from selector_sightings ss join selectors s on s.id = ss.selector_id
      where ss.vendor_id = any(${vendorIds}::int[]) and ${visibleSql(p, 'ss')} and ${visibleSql(p, 's')}
      group by 1, 2, 3, 4 order by 2, 3`.execute(database);
    for (const r of sightings.rows) {
      mark(r.tlp);
      addSelector(r.kind, r.value, `vendor-${r.vendor_id}`, r.first);
    }
    const links = await sql<{ vendor_a: number; vendor_b: number; score: number; status: string; tlp: Tlp }>`
      select k.vendor_a, k.vendor_b, k.score, k.status, k.tlp from links k
      where k.vendor_a = any(${vendorIds}::int[]) and k.vendor_b = any(${vendorIds}::int[]) and k.status <> 'rejected' and ${visibleSql(p, 'k')}`.execute(database);
    for (const k of links.rows) {
      mark(k.tlp);
      relationships.push({ source: { kind: 'account', id: `vendor-${k.vendor_a}` }, target: { kind: 'account', id: `vendor-${k.vendor_b}` }, type: 'related-to', description: `${k.status} link, score ${k.score}` });
    }
  }
  const captures = vendorIds.length
    ? await sql<{ id: number; url: string; payload_sha256: string; fetched_at: Date; tlp: Tlp }>`
        select distinct c.id, c.url, c.payload_sha256, c.fetched_at, c.tlp from captures c
        where c.payload_sha256 is not null and ${visibleSql(p, 'c')} and c.id in (
          select capture_id from vendors where id = any(${vendorIds}::int[]) and capture_id is not null
          union select capture_id from selector_sightings where vendor_id = any(${vendorIds}::int[]) and capture_id is not null)
        order by c.id limit 10000`.execute(database)
    : { rows: [] };
  for (const c of captures.rows) mark(c.tlp);
  return {
    input: {
      producer,
      subject,
      accounts,
      selectors: [...selectors.values()],
      relationships,
      tlp,
      evidence: captures.rows.map((c) => ({ captureId: `capture-${c.id}`, sha256: c.payload_sha256, url: c.url, fetchedAt: iso(c.fetched_at)! })),
    },
    omitted,
  };
}
