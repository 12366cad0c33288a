/**
 * The objects of a TAXII collection: paging, filtering (TAXII 2.1 §3.4–3.5) and adding (§5.4).
 *
 * Paging is keyset over (date_added, seq): `next` is an opaque token naming the last record served, so a page
 * never repeats or skips a record even when objects are added meanwhile. `added_after` is strictly after.
 * `match[version]` (default `last`) picks versions among the records the reader may see: another agency never
 * learns that a stricter newer version exists.
 */
import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database, RowFilter } from '../../store/index.ts';
import { importBundle, StixImportError } from '../stix/import.ts';
import { randomId, uuidv4 } from '../stix/ids.ts';
import { tlpOfMarkingId } from '../stix/tlp.ts';
import { validateBundle } from '../stix/validate.ts';
import type { CollectionRow } from './collections.ts';
import { isTaxiiTimestamp, STIX_MEDIA_TYPE } from './protocol.ts';
import type { TaxiiManifestRecord, TaxiiStatus, TaxiiStatusDetails } from './protocol.ts';
import { taxiiDb } from './schema.ts';

/** A client's filter or paging parameter the server cannot honour: TAXII answers 400 with an error message. */
export class TaxiiQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaxiiQueryError';
  }
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export interface ObjectQuery {
  addedAfter?: string;
  limit?: number;
  next?: string;
  ids?: string[];
  types?: string[];
  /** `first`, `last`, `all` or version timestamps; default `last`. */
  versions?: string[];
  specVersions?: string[];
  /** For the single-object endpoints. */
  objectId?: string;
}

export interface ObjectRecord {
  seq: string;
  stixId: string;
  version: string;
  dateAdded: string;
  object: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  more: boolean;
  next?: string;
}

const DATE_ADDED_SQL = sql<string>`to_char(o.date_added at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function encodeCursor(r: { dateAdded: string; seq: string }): string {
  return Buffer.from(JSON.stringify([r.dateAdded, r.seq])).toString('base64url');
}

function decodeCursor(next: string): { dateAdded: string; seq: string } {
  try {
    if (next.length > 200) throw new Error('too long');
    const v = JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isTaxiiTimestamp(v[0]) && typeof v[1] === 'string' && /^\d{1,18}$/.test(v[1])) {
      return { dateAdded: v[0], seq: v[1] };
    }
  } catch {
    // fall through
  }
  throw new TaxiiQueryError('next: not a token this server issued');
}

function versionCondition(versions: string[], filter: RowFilter): RawBuilder<boolean> {
  const parts: RawBuilder<boolean>[] = [];
  for (const v of versions) {
    if (v === 'all') return sql<boolean>`true`;
    if (v === 'last' || v === 'first') {
      const agg = v === 'last' ? sql`max` : sql`min`;
      parts.push(sql<boolean>`o.version_at = (select ${agg}(o2.version_at) from taxii_objects o2
        where o2.collection_id = o.collection_id and o2.stix_id = o.stix_id and ${filter('o2')})`);
    } else if (isTaxiiTimestamp(v)) {
      parts.push(sql<boolean>`o.version_at = ${v}::timestamptz`);
    } else {
      throw new TaxiiQueryError(`match[version]: ${v.slice(0, 60)} is not first, last, all or a timestamp`);
    }
  }
  return sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

function checkQuery(q: ObjectQuery): void {
  if (q.addedAfter !== undefined && !isTaxiiTimestamp(q.addedAfter)) throw new TaxiiQueryError(`added_after: ${q.addedAfter.slice(0, 60)} is not a timestamp`);
  if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 1)) throw new TaxiiQueryError('limit: a positive integer');
}

/** The records (object versions) a reader may see, in date_added order, one page at a time. */
export async function queryObjects(db: Kysely<Database>, collectionId: string, filter: RowFilter, q: ObjectQuery): Promise<Page<ObjectRecord>> {
  checkQuery(q);
  const limit = Math.min(q.limit ?? DEFAULT_PAGE, MAX_PAGE);
  const conds: RawBuilder<boolean>[] = [sql<boolean>`o.collection_id = ${collectionId}::uuid`, filter('o')];
  if (q.objectId !== undefined) conds.push(sql<boolean>`o.stix_id = ${q.objectId}`);
  if (q.ids?.length) conds.push(sql<boolean>`o.stix_id = any(${q.ids}::text[])`);
  if (q.types?.length) conds.push(sql<boolean>`o.stix_type = any(${q.types}::text[])`);
  if (q.specVersions?.length) conds.push(sql<boolean>`o.spec_version = any(${q.specVersions}::text[])`);
  if (q.addedAfter) conds.push(sql<boolean>`o.date_added > ${q.addedAfter}::timestamptz`);
  if (q.next) {
    const c = decodeCursor(q.next);
    conds.push(sql<boolean>`(o.date_added, o.seq) > (${c.dateAdded}::timestamptz, ${c.seq}::bigint)`);
  }
  conds.push(versionCondition(q.versions?.length ? q.versions : ['last'], filter));
  const res = await sql<{ seq: string; stix_id: string; version: string; date_added: string; object: Record<string, unknown> }>`
    select o.seq::text as seq, o.stix_id, o.version, ${DATE_ADDED_SQL} as date_added, o.object
    from taxii_objects o where ${sql.join(conds, sql` and `)}
    order by o.date_added, o.seq limit ${limit + 1}`.execute(db);
  const rows = res.rows.map((r) => ({ seq: r.seq, stixId: r.stix_id, version: r.version, dateAdded: r.date_added, object: r.object }));
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, more, ...(more ? { next: encodeCursor(items[items.length - 1]!) } : {}) };
}

export function manifestRecord(r: ObjectRecord): TaxiiManifestRecord {
  return { id: r.stixId, date_added: r.dateAdded, version: r.version, media_type: STIX_MEDIA_TYPE };
}

/** Whether any version of the object is visible to the reader (the single-object endpoints answer 404 otherwise). */
export async function objectVisible(db: Kysely<Database>, collectionId: string, filter: RowFilter, stixId: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select 1 as n from taxii_objects o where o.collection_id = ${collectionId}::uuid and o.stix_id = ${stixId} and ${filter('o')} limit 1`.execute(db);
  return r.rows.length > 0;
}

export interface AddObjectsInput {
  collection: CollectionRow;
  objects: unknown[];
  /** Recorded with each stored version (who or what added it). */
  source: string;
  /** Marking of an object that carries no TLP marking (default AMBER: it stays in the owning agency). */
  defaultTlp?: Tlp;
}

/** Definitions anyone may read: marking and extension definitions are public by nature. */
const DEFINITION_TYPES = new Set(['marking-definition', 'extension-definition']);

/**
 * Add Objects (§5.4): each object is checked on its own (the importer's structural and semantic rules, then the
 * OASIS schemas), stored as a new version unless that version is already there, and reported in a status resource
 * that completes before the answer.
 */
export async function addObjects(db: Kysely<Database>, input: AddObjectsInput): Promise<TaxiiStatus> {
  const requestTimestamp = new Date().toISOString();
  const successes: TaxiiStatusDetails[] = [];
  const failures: TaxiiStatusDetails[] = [];
  const envelopeMarkings = new Map<string, Tlp>();
  for (const o of input.objects) {
    if (isRecord(o) && o.type === 'marking-definition' && typeof o.id === 'string') {
      const t = tlpOfMarkingId(o.id) ?? claimedTlp(o);
      if (t) envelopeMarkings.set(o.id, t);
    }
  }
  const t = taxiiDb(db);
  for (const raw of input.objects) {
    const id = isRecord(raw) && typeof raw.id === 'string' ? raw.id.slice(0, 300) : '(no id)';
    const declared = isRecord(raw) ? (raw.modified ?? raw.created) : undefined;
    const versionOf = typeof declared === 'string' ? declared : requestTimestamp;
    const problem = checkObject(raw);
    if (problem) {
      failures.push({ id, version: versionOf, message: problem });
      continue;
    }
    const o = raw as Record<string, unknown>;
    let tlp: Tlp | undefined = DEFINITION_TYPES.has(String(o.type)) ? 'CLEAR' : undefined;
    for (const ref of Array.isArray(o.object_marking_refs) ? (o.object_marking_refs as string[]) : []) {
      const m = tlpOfMarkingId(ref) ?? envelopeMarkings.get(ref);
      if (m) tlp = tlp ? strictestTlp(tlp, m) : m;
    }
    if (typeof declared !== 'string') {
      // No created/modified (most SCOs): the same object sent again is the same version, not a new one.
      const same = await sql<{ n: number }>`select 1 as n from taxii_objects where collection_id = ${input.collection.id}::uuid and stix_id = ${id} and object = ${JSON.stringify(o)}::jsonb limit 1`.execute(db);
      if (same.rows.length) {
        successes.push({ id, version: versionOf, message: 'already in the collection' });
        continue;
      }
    }
    const inserted = await t
      .insertInto('taxii_objects')
      .values({
        collection_id: input.collection.id,
        agency_id: input.collection.agency_id,
        tlp: tlp ?? input.defaultTlp ?? 'AMBER',
        stix_id: id,
        stix_type: String(o.type),
        spec_version: typeof o.spec_version === 'string' ? o.spec_version : '2.1',
        version: versionOf,
        version_at: versionOf,
        object: JSON.stringify(o),
        source: input.source.slice(0, 500),
      })
      .onConflict((oc) => oc.columns(['collection_id', 'stix_id', 'version_at']).doNothing())
      .returning('seq')
      .executeTakeFirst();
    successes.push({ id, version: versionOf, ...(inserted ? {} : { message: 'this version is already in the collection' }) });
  }
  const status: TaxiiStatus = {
    id: uuidv4(),
    status: 'complete',
    request_timestamp: requestTimestamp,
    total_count: input.objects.length,
    success_count: successes.length,
    successes,
    failure_count: failures.length,
    failures,
    pending_count: 0,
    pendings: [],
  };
  await t
    .insertInto('taxii_status')
    .values({
      id: status.id,
      agency_id: input.collection.agency_id,
      collection_id: input.collection.id,
      request_timestamp: requestTimestamp,
      total_count: status.total_count,
      success_count: status.success_count,
      failure_count: status.failure_count,
      successes: JSON.stringify(successes),
      failures: JSON.stringify(failures),
    })
    .execute();
  return status;
}

/** A status resource of the agency's own requests (status ids are random, but only the requesting agency reads them). */
export async function readStatus(db: Kysely<Database>, agencyId: number, id: string): Promise<TaxiiStatus | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const r = await taxiiDb(db).selectFrom('taxii_status').selectAll().where('id', '=', id).where('agency_id', '=', agencyId).executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id,
    status: 'complete',
    request_timestamp: new Date(r.request_timestamp).toISOString(),
    total_count: r.total_count,
    success_count: r.success_count,
    successes: r.successes as TaxiiStatusDetails[],
    failure_count: r.failure_count,
    failures: r.failures as TaxiiStatusDetails[],
    pending_count: 0,
    pendings: [],
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function claimedTlp(o: Record<string, unknown>): Tlp | undefined {
  const def = isRecord(o.definition) ? o.definition : undefined;
  const t = typeof def?.tlp === 'string' ? def.tlp.toUpperCase().replace('WHITE', 'CLEAR') : undefined;
  return t === 'CLEAR' || t === 'GREEN' || t === 'AMBER' || t === 'AMBER+STRICT' || t === 'RED' ? t : undefined;
}

/** Why one object cannot be stored, or null: the importer's checks, then the OASIS schemas. */
function checkObject(o: unknown): string | null {
  if (!isRecord(o)) return 'not a JSON object';
  const bundle = { type: 'bundle', id: randomId('bundle'), objects: [o] };
  try {
    importBundle(bundle, { maxObjects: 1 });
  } catch (e) {
    if (e instanceof StixImportError) return e.issues.map((i) => i.message.replace(/^objects\[0\] /, '')).join('; ').slice(0, 1000);
    throw e;
  }
  const v = validateBundle(bundle);
  return v.valid ? null : v.errors.slice(0, 5).join('; ').slice(0, 1000);
}
