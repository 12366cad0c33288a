/**
 * What goes into a package exported from the command line: a vendor account, an identity (its accounts) or a
 * case (its registered selectors), read from the store as one agency sees it — its own rows, and other agencies'
 * rows only when marked CLEAR or GREEN; cases only of its own. The package is marked with the strictest TLP of
 * what it holds (or stricter on request): an export never lowers a marking.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { SourceKind } from '../../domain/market.ts';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/selectors.ts';
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { deconflictDb } from '../../deconflict/store/schema.ts';
import type { PackageInput } from '../stix/build.ts';

export type SubjectKind = 'vendor' | 'identity' | 'case';

export class SubjectNotFoundError extends Error {
  constructor(kind: SubjectKind, id: number) {
    super(`no ${kind} ${id} visible to this agency`);
    this.name = 'SubjectNotFoundError';
  }
}

export interface SubjectPackageInput {
  input: PackageInput;
  /** What was left out and why. */
  omitted: string[];
}

type Selector = NonNullable<PackageInput['selectors']>[number];
const SHARED: Tlp[] = ['CLEAR', 'GREEN'];
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : undefined);

export async function subjectPackageInput(
  db: Kysely<Database>,
  o: { agencyId: number; kind: SubjectKind; id: number; tlp?: Tlp; created?: string },
): Promise<SubjectPackageInput> {
  const agency = await db.selectFrom('agencies').select(['code', 'name', 'contact_point']).where('id', '=', o.agencyId).executeTakeFirstOrThrow();
  const producer = { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) };
  const visible = (row: { agency_id: number; tlp: Tlp }) => row.agency_id === o.agencyId || SHARED.includes(row.tlp);
  const omitted: string[] = [];
  let tlp: Tlp = o.tlp ?? 'CLEAR';
  const mark = (t: Tlp) => (tlp = strictestTlp(tlp, t));
  const selectors = new Map<string, Selector>();
  const addSelector = (kind: string, raw: string, accountId?: string, firstSeen?: Date) => {
    if (!isRegisteredSelectorKind(kind)) return void omitted.push(`selector of kind ${kind}: no STIX mapping`);
    if (kind === 'postal_address') return void omitted.push('postal_address selector: no country recorded (a STIX location needs one)');
    let value: string;
    try {
      value = normalizeRegisteredSelector(kind as RegisteredSelectorKind, raw);
    } catch (e) {
      return void omitted.push(`${kind} selector: ${(e as Error).message}`);
    }
    const key = `${kind}\u0000${value}`;
    const s = selectors.get(key) ?? { kind: kind as RegisteredSelectorKind, value, accountIds: [], ...(firstSeen ? { firstSeen: iso(firstSeen)! } : {}) };
    if (accountId && !s.accountIds!.includes(accountId)) s.accountIds!.push(accountId);
    selectors.set(key, s);
  };

  if (o.kind === 'case') {
    const c = await db.selectFrom('cases').selectAll().where('id', '=', o.id).executeTakeFirst();
    if (!c || c.agency_id !== o.agencyId) throw new SubjectNotFoundError('case', o.id);
    mark(c.tlp);
    const regs = await deconflictDb(db)
      .selectFrom('deconflict_selectors')
      .select(['kind', 'value', 'registered_at'])
      .where('case_id', '=', c.id)
      .orderBy('id')
      .execute();
    for (const r of regs) addSelector(r.kind, r.value, undefined, r.registered_at);
    return {
      input: {
        producer,
        subject: { kind: 'case', id: `case-${c.id}`, name: `${c.reference}: ${c.title}` },
        selectors: [...selectors.values()],
        tlp,
        ...(o.created ? { created: o.created } : {}),
      },
      omitted,
    };
  }

  let vendorIds: number[];
  let subject: PackageInput['subject'];
  if (o.kind === 'identity') {
    const ident = await db.selectFrom('identities').selectAll().where('id', '=', o.id).executeTakeFirst();
    if (!ident || !visible(ident)) throw new SubjectNotFoundError('identity', o.id);
    mark(ident.tlp);
    vendorIds = (await db.selectFrom('identity_members').select('vendor_id').where('identity_id', '=', ident.id).execute()).map((r) => r.vendor_id);
    subject = { kind: 'identity', id: `identity-${ident.id}`, name: ident.label };
  } else {
    vendorIds = [o.id];
    subject = { kind: 'vendor', id: `vendor-${o.id}`, name: '' };
  }
  const vendors = vendorIds.length
    ? await db
        .selectFrom('vendors as v')
        .innerJoin('markets as m', 'm.id', 'v.market_id')
        .select(['v.id', 'v.agency_id', 'v.tlp', 'v.handle', 'v.first_seen', 'v.last_seen', 'v.capture_id', 'm.name as market', 'm.kind as market_kind'])
        .where('v.id', 'in', vendorIds)
        .orderBy('v.id')
        .execute()
    : [];
  const shown = vendors.filter((v) => visible(v));
  if (vendors.length > shown.length) omitted.push(`${vendors.length - shown.length} account(s) of other agencies not marked CLEAR/GREEN`);
  if (o.kind === 'vendor') {
    const v = shown[0];
    if (!v) throw new SubjectNotFoundError('vendor', o.id);
    subject = { kind: 'vendor', id: `vendor-${v.id}`, name: v.handle, firstSeen: iso(v.first_seen), lastSeen: iso(v.last_seen) };
  }
  for (const v of shown) mark(v.tlp);
  const ids = shown.map((v) => v.id);
  const sightings = ids.length
    ? await db
        .selectFrom('selector_sightings as ss')
        .innerJoin('selectors as s', 's.id', 'ss.selector_id')
        .select(['s.kind', 's.value', 's.first_seen', 's.agency_id', 's.tlp', 'ss.vendor_id', 'ss.capture_id', 'ss.agency_id as sighting_agency', 'ss.tlp as sighting_tlp'])
        .where('ss.vendor_id', 'in', ids)
        .execute()
    : [];
  const captureIds = new Set<number>(shown.flatMap((v) => (v.capture_id === null ? [] : [v.capture_id])));
  for (const s of sightings) {
    if (!visible(s) || !visible({ agency_id: s.sighting_agency, tlp: s.sighting_tlp })) continue;
    mark(s.tlp);
    mark(s.sighting_tlp);
    addSelector(s.kind, s.value, String(s.vendor_id), s.first_seen);
    if (s.capture_id !== null) captureIds.add(s.capture_id);
  }
  const captures = captureIds.size
    ? await db.selectFrom('captures').select(['id', 'agency_id', 'tlp', 'url', 'payload_sha256', 'fetched_at']).where('id', 'in', [...captureIds]).orderBy('id').execute()
    : [];
  const evidence = captures.filter((c) => visible(c));
  for (const c of evidence) mark(c.tlp);
  return {
    input: {
      producer,
      subject,
      accounts: shown.map((v) => ({
        id: String(v.id),
        handle: v.handle,
        source: { kind: v.market_kind as SourceKind, name: v.market },
        firstSeen: iso(v.first_seen),
        lastSeen: iso(v.last_seen),
      })),
      selectors: [...selectors.values()],
      evidence: evidence.map((c) => ({ captureId: String(c.id), sha256: c.payload_sha256, url: c.url, fetchedAt: iso(c.fetched_at)! })),
      tlp,
      ...(o.created ? { created: o.created } : {}),
    },
    omitted,
  };
}
