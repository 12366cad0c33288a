/**
 * What goes into an exported package: a vendor account, an identity (its accounts and the links between them) or
 * a case (its registered selectors and contact point), read from the store as one agency sees it — its own rows,
 * and other agencies' rows only when marked CLEAR or GREEN; cases only of its own. The package is marked with the
 * strictest TLP of what it holds (or stricter on request): an export never lowers a marking. The CLI and the API
 * both export through this.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { agencyViewSql, type Database } from '../../store/index.ts';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/selectors.ts';
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { deconflictDb } from '../../deconflict/store/schema.ts';
import type { PackageInput } from '../stix/build.ts';

export type SubjectKind = 'vendor' | 'identity' | 'case';

export class SubjectNotFoundError extends Error {
  constructor(
    readonly kind: SubjectKind,
    readonly id: number,
  ) {
    super(`no ${kind} ${id} visible to this agency`);
    this.name = 'SubjectNotFoundError';
  }
}

export interface SubjectPackageInput {
  input: PackageInput;
  /** What was left out and why (e.g. a postal address without a country). */
  omitted: string[];
}

const SHARED: readonly Tlp[] = ['CLEAR', 'GREEN'];
type Selector = NonNullable<PackageInput['selectors']>[number];
type Account = NonNullable<PackageInput['accounts']>[number];

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : undefined);

export async function subjectPackageInput(
  database: Kysely<Database>,
  o: { agencyId: number; kind: SubjectKind; id: number; tlp?: Tlp; created?: string },
): Promise<SubjectPackageInput> {
  const { kind, id } = o;
  const db = deconflictDb(database);
  const canRead = (row: { agency_id: number; tlp: Tlp }) => row.agency_id === o.agencyId || SHARED.includes(row.tlp);
  const visibleSql = (alias: string) => agencyViewSql(o.agencyId, alias);
  const created = o.created ? { created: o.created } : {};
  const agency = await db.selectFrom('agencies').select(['code', 'name', 'contact_point']).where('id', '=', o.agencyId).executeTakeFirstOrThrow();
  const producer = { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) };
  const omitted: string[] = [];
  let tlp: Tlp = o.tlp ?? 'CLEAR';
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
    if (!c || c.agency_id !== o.agencyId) throw new SubjectNotFoundError('case', id);
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
        ...created,
      },
      omitted,
    };
  }

  let vendorIds: number[];
  let subject: PackageInput['subject'];
  const relationships: NonNullable<PackageInput['relationships']> = [];
  if (kind === 'vendor') {
    const v = await db.selectFrom('vendors').selectAll().where('id', '=', id).executeTakeFirst();
    if (!v || !canRead(v)) throw new SubjectNotFoundError('vendor', id);
    vendorIds = [v.id];
    subject = { kind: 'vendor', id: `vendor-${v.id}`, name: v.handle, ...(v.first_seen ? { firstSeen: iso(v.first_seen)! } : {}), ...(v.last_seen ? { lastSeen: iso(v.last_seen)! } : {}) };
  } else {
    const i = await db.selectFrom('identities').selectAll().where('id', '=', id).executeTakeFirst();
    if (!i || !canRead(i)) throw new SubjectNotFoundError('identity', id);
    mark(i.tlp);
    const members = await db.selectFrom('identity_members as im').innerJoin('vendors as v', 'v.id', 'im.vendor_id').select('v.id').where('im.identity_id', '=', i.id).where(visibleSql('v')).execute();
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
    const sourceName = canRead({ agency_id: v.market_agency, tlp: v.market_tlp }) ? v.name : 'undisclosed source';
    accounts.push({ id: `vendor-${v.id}`, handle: v.handle, source: { kind: v.kind, name: sourceName }, ...(v.first_seen ? { firstSeen: iso(v.first_seen)! } : {}), ...(v.last_seen ? { lastSeen: iso(v.last_seen)! } : {}) });
  }
  if (vendorIds.length) {
    const sightings = await sql<{ vendor_id: number; kind: string; value: string; tlp: Tlp; first: Date }>`
      select ss.vendor_id, s.kind, s.value, s.tlp, min(ss.observed_at) as first
      from selector_sightings ss join selectors s on s.id = ss.selector_id
      where ss.vendor_id = any(${vendorIds}::int[]) and ${visibleSql('ss')} and ${visibleSql('s')}
      group by 1, 2, 3, 4 order by 2, 3`.execute(database);
    for (const r of sightings.rows) {
      mark(r.tlp);
      addSelector(r.kind, r.value, `vendor-${r.vendor_id}`, r.first);
    }
    const links = await sql<{ vendor_a: number; vendor_b: number; score: number; status: string; tlp: Tlp }>`
      select k.vendor_a, k.vendor_b, k.score, k.status, k.tlp from links k
      where k.vendor_a = any(${vendorIds}::int[]) and k.vendor_b = any(${vendorIds}::int[]) and k.status <> 'rejected' and ${visibleSql('k')}`.execute(database);
    for (const k of links.rows) {
      mark(k.tlp);
      relationships.push({ source: { kind: 'account', id: `vendor-${k.vendor_a}` }, target: { kind: 'account', id: `vendor-${k.vendor_b}` }, type: 'related-to', description: `${k.status} link, score ${k.score}` });
    }
  }
  const captures = vendorIds.length
    ? await sql<{ id: number; url: string; payload_sha256: string; fetched_at: Date; tlp: Tlp }>`
        select distinct c.id, c.url, c.payload_sha256, c.fetched_at, c.tlp from captures c
        where c.payload_sha256 is not null and ${visibleSql('c')} and c.id in (
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
      ...created,
      evidence: captures.rows.map((c) => ({ captureId: `capture-${c.id}`, sha256: c.payload_sha256, url: c.url, fetchedAt: iso(c.fetched_at)! })),
    },
    omitted,
  };
}
