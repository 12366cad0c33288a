/**
 * TAXII collections. A collection belongs to one agency and is read through a view:
 *  - agency staff read it as they read every API row (src/store agencyViewSql): collections and objects of their own
 *    agency whatever the marking, other agencies' only when CLEAR or GREEN;
 *  - a partner (role `partner`) reads only the collections addressed to its agency (`partner_agency_id`), and of
 *    those only CLEAR/GREEN objects — the rule of the partner feeds.
 * The caller's view is a `RowFilter` the server builds from its access policy; nothing here decides access.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import { agencyViewSql, type Database, type RowFilter } from '../../store/index.ts';
import { uuidv4 } from '../stix/ids.ts';
import { STIX_MEDIA_TYPE } from './protocol.ts';
import type { TaxiiCollection } from './protocol.ts';
import { taxiiDb } from './schema.ts';

/** Who reads: the agency view of a staff member, or a partner agency reading what is addressed to it. */
export type TaxiiReader =
  | { kind: 'agency'; agencyId: number; canWrite: boolean; objects: RowFilter }
  | { kind: 'partner'; agencyId: number; objects: RowFilter };

export interface CollectionRow {
  id: string;
  agency_id: number;
  tlp: Tlp;
  partner_agency_id: number | null;
  title: string;
  description: string;
  alias: string | null;
}

export class TaxiiCollectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaxiiCollectionError';
  }
}

export interface NewCollection {
  agencyId: number;
  title: string;
  description?: string;
  alias?: string;
  /** Marking of the collection itself: CLEAR/GREEN collections are listed to other agencies' staff. */
  tlp: Tlp;
  /** A partner collection: read by this partner agency's tokens, CLEAR/GREEN objects only. */
  partnerAgencyId?: number;
}

export async function createCollection(db: Kysely<Database>, c: NewCollection): Promise<CollectionRow> {
  if (c.alias !== undefined && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(c.alias)) throw new TaxiiCollectionError(`alias ${c.alias}: lower-case letters, digits and '-', at most 64`);
  const t = taxiiDb(db);
  if (c.alias && (await t.selectFrom('taxii_collections').select('id').where('alias', '=', c.alias).executeTakeFirst())) {
    throw new TaxiiCollectionError(`a collection with alias ${c.alias} exists`);
  }
  if (c.partnerAgencyId !== undefined) {
    const partner = await t.selectFrom('agencies').select('id').where('id', '=', c.partnerAgencyId).executeTakeFirst();
    if (!partner) throw new TaxiiCollectionError(`no partner agency ${c.partnerAgencyId}`);
  }
  return t
    .insertInto('taxii_collections')
    .values({
      id: uuidv4(),
      agency_id: c.agencyId,
      tlp: c.tlp,
      partner_agency_id: c.partnerAgencyId ?? null,
      title: c.title,
      description: c.description ?? '',
      alias: c.alias ?? null,
    })
    .returning(['id', 'agency_id', 'tlp', 'partner_agency_id', 'title', 'description', 'alias'])
    .executeTakeFirstOrThrow();
}

/** The collections a reader may see (the list of GET {api-root}/collections/), ordered for stable output. */
export async function visibleCollections(db: Kysely<Database>, r: TaxiiReader): Promise<CollectionRow[]> {
  const res = await sql<CollectionRow>`
    select c.id::text as id, c.agency_id, c.tlp, c.partner_agency_id, c.title, c.description, c.alias
    from taxii_collections c where ${collectionVisible(r)} order by c.created_at, c.id`.execute(db);
  return res.rows;
}

/** One collection by id or alias, or undefined when it does not exist or the reader may not see it (same answer). */
export async function visibleCollection(db: Kysely<Database>, r: TaxiiReader, idOrAlias: string): Promise<CollectionRow | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrAlias);
  const match = isUuid ? sql`c.id = ${idOrAlias}::uuid` : sql`c.alias = ${idOrAlias}`;
  const res = await sql<CollectionRow>`
    select c.id::text as id, c.agency_id, c.tlp, c.partner_agency_id, c.title, c.description, c.alias
    from taxii_collections c where ${match} and ${collectionVisible(r)}`.execute(db);
  return res.rows[0];
}

function collectionVisible(r: TaxiiReader) {
  if (r.kind === 'partner') return sql<boolean>`c.partner_agency_id = ${r.agencyId}`;
  // Staff see collections by the agency view; another agency's partner collections are that agency's business.
  return sql<boolean>`${agencyViewSql(r.agencyId, 'c')} and (c.partner_agency_id is null or c.agency_id = ${r.agencyId})`;
}

/** Only staff of the owning agency write (and only when their role may; the server says so in canWrite). */
export function canWriteCollection(r: TaxiiReader, c: CollectionRow): boolean {
  return r.kind === 'agency' && r.canWrite && c.agency_id === r.agencyId;
}

export function collectionResource(r: TaxiiReader, c: CollectionRow): TaxiiCollection {
  return {
    id: c.id,
    title: c.title,
    ...(c.description ? { description: c.description } : {}),
    ...(c.alias ? { alias: c.alias } : {}),
    can_read: true,
    can_write: canWriteCollection(r, c),
    media_types: [STIX_MEDIA_TYPE],
  };
}

/** A collection the agency owns, by id or alias (publishing and management: the owner only). */
export async function ownCollection(db: Kysely<Database>, agencyId: number, idOrAlias: string): Promise<CollectionRow | undefined> {
  const c = await visibleCollection(db, { kind: 'agency', agencyId, canWrite: false, objects: agencyViewFilter(agencyId) }, idOrAlias);
  return c && c.agency_id === agencyId ? c : undefined;
}

const agencyViewFilter = (agencyId: number): RowFilter => (alias) => agencyViewSql(agencyId, alias);
