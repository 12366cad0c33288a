/**
 * De-confliction on the database (clear mode, one installation serving several agencies): investigators register
 * selectors against their cases; overlaps with other agencies' cases become hits; each agency sees its own side
 * of a hit — its case, its selector, and the other agency's contact point — never the other's case content.
 * Registrations, hits, reads and acknowledgements are audited.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import { appendAudit, appendAuditEntries } from '../../store/index.ts';
import type { AuditEntry } from '../../store/index.ts';
import { isRegisteredSelectorKind, normalizeRegisteredSelector, SelectorValueError } from '../selectors.ts';
import type { RegisteredSelectorKind } from '../selectors.ts';
import type { RateLimit } from '../blinded/rate-limit.ts';
import { DEFAULT_CLEAR_BUDGET, takeRegistrationBudget } from './budget.ts';
import { coreDb, deconflictDb } from './schema.ts';
import type { DeconflictDb } from './schema.ts';

export class DeconflictError extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'DeconflictError';
  }
}

export interface Actor {
  agencyId: number;
  userId: number | null;
  /** Readable actor for the audit log: 'user:alice', 'system:linker'. */
  actor: string;
}

/** One agency's view of a hit. */
export interface HitNotice {
  hitId: number;
  via: 'selector' | 'identity';
  yourCase: { id: number; reference: string };
  /** The selector this agency registered (for identity hits, the other side's selector is not shown). */
  yourSelector: { kind: RegisteredSelectorKind; value: string };
  other: { agencyCode: string; agencyName: string; contactPoint: string };
  createdAt: Date;
  acknowledgedAt: Date | null;
}

export const MAX_SELECTORS_PER_CALL = 10_000;

interface NewHit {
  id: number;
  selector_a: number;
  selector_b: number;
}

/** Register selectors against one of the actor's agency's open cases; returns the actor's notices for new hits. */
export async function registerCaseSelectors(
  database: Kysely<Database>,
  actor: Actor,
  caseId: number,
  selectors: readonly { kind: string; value: string }[],
  options: { budget?: RateLimit } = {},
): Promise<{ registered: number; notices: HitNotice[] }> {
  if (selectors.length > MAX_SELECTORS_PER_CALL) {
    throw new DeconflictError('invalid', `at most ${MAX_SELECTORS_PER_CALL} selectors per call`);
  }
  const normalized = selectors.map((s, i) => {
    if (!isRegisteredSelectorKind(s.kind)) throw new DeconflictError('invalid', `selectors[${i}]: unknown kind ${String(s.kind)}`);
    try {
      return { kind: s.kind, value: normalizeRegisteredSelector(s.kind, s.value) };
    } catch (e) {
      if (e instanceof SelectorValueError) throw new DeconflictError('invalid', `selectors[${i}]: ${e.message}`);
      throw e;
    }
  });
  const db = deconflictDb(database);
  return db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('cases').select(['id', 'agency_id', 'closed_at', 'reference']).where('id', '=', caseId).executeTakeFirst();
    if (!c) throw new DeconflictError('not_found', `case ${caseId} not found`);
    if (c.agency_id !== actor.agencyId) throw new DeconflictError('forbidden', `case ${caseId} belongs to another agency`);
    if (c.closed_at) throw new DeconflictError('invalid', `case ${caseId} is closed`);
    // Every submitted selector is a guess another agency's registrations answer: each costs budget, new or not.
    await takeRegistrationBudget(trx, actor.agencyId, normalized.length, options.budget ?? DEFAULT_CLEAR_BUDGET);
    const { ids, direct } = normalized.length ? await registerAndMatch(trx, actor, caseId, normalized) : { ids: [], direct: [] };
    const register: AuditEntry = {
      agencyId: actor.agencyId,
      userId: actor.userId,
      actor: actor.actor,
      action: 'deconflict.register',
      objectType: 'case',
      objectId: String(caseId),
      detail: { submitted: normalized.length, registered: ids.length },
    };
    const linked = ids.length ? await insertIdentityHits(trx, { registrations: ids }) : [];
    // The registration and its hits are audited together: one lock, one insert.
    await appendAuditEntries(coreDb(trx), [register, ...(await hitAuditEntries(trx, actor.actor, [...direct, ...linked]))]);
    // The actor's notices: direct hits carry everything their notice needs; identity hits are read back.
    const notices = [
      ...direct.map((h) => directNotice(h, actor.agencyId, c.reference)),
      ...(linked.length ? await noticesFor(trx, actor.agencyId, { hitIds: linked.map((h) => h.id) }) : []),
    ].sort((a, b) => a.hitId - b.hitId);
    return { registered: ids.length, notices };
  });
}

/** A new selector hit as written by insertDirectHits: both sides, and the other side's agency and contact point. */
interface DirectHit extends NewHit {
  created_at: Date;
  mine_id: number;
  mine_case: number;
  mine_agency: number;
  kind: RegisteredSelectorKind;
  value: string;
  theirs_case: number;
  theirs_agency: number;
  other_code: string;
  other_name: string;
  other_contact: string;
}

function directNotice(h: DirectHit, agencyId: number, caseReference: string): HitNotice {
  if (h.mine_agency !== agencyId) throw new Error('direct hit from another agency registration'); // cannot happen: mine is the new row
  return {
    hitId: h.id,
    via: 'selector',
    yourCase: { id: h.mine_case, reference: caseReference },
    yourSelector: { kind: h.kind, value: h.value },
    other: { agencyCode: h.other_code, agencyName: h.other_name, contactPoint: h.other_contact },
    createdAt: h.created_at,
    acknowledgedAt: null,
  };
}

/**
 * One statement registers the whole call and finds its direct hits (same kind and value, another agency, an open
 * case): the selectors go in as two arrays (not thousands of bound parameters), duplicates within the call and
 * selectors the case already holds are skipped, each new row is looked up once in the (kind, value) index, the
 * hits are written, and each comes back with what the audit and the registering agency's notice need (so
 * neither reads the hits back). The lookup sees the table as it was before the statement, so a call never
 * matches itself (its rows are one agency's anyway).
 */
async function registerAndMatch(
  trx: DeconflictDb,
  actor: Actor,
  caseId: number,
  selectors: readonly { kind: RegisteredSelectorKind; value: string }[],
): Promise<{ ids: number[]; direct: DirectHit[] }> {
  // LATERAL with OFFSET 0 keeps the planner from flattening the lookup into a hash join over millions of rows. The
  // open-case check runs after the lookups (`found` is materialized): joined to the lookup, at 10M registrations
  // the planner hashed each lookup's rows and scanned every case once per selector (EXPLAIN in docs/benchmarks.md).
  const r = await sql<{ ids: number[] | null; hits: (Omit<DirectHit, 'created_at'> & { created_at: string })[] | null }>`
    with ins as (
      insert into deconflict_selectors (case_id, agency_id, kind, value, registered_by)
      select ${caseId}::int, ${actor.agencyId}::int, t.kind, t.value, ${actor.userId}::int
      from unnest(${selectors.map((x) => x.kind)}::text[], ${selectors.map((x) => x.value)}::text[]) as t(kind, value)
      on conflict (case_id, kind, value) do nothing
      returning id, kind, value, agency_id, case_id
    ),
    found as materialized (
      select n.id as mine_id, n.case_id as mine_case, n.agency_id as mine_agency, n.kind, n.value,
             o.id as theirs_id, o.case_id as theirs_case, o.agency_id as theirs_agency
      from ins n
      cross join lateral (
        select o.id, o.case_id, o.agency_id from deconflict_selectors o
        where o.kind = n.kind and o.value = n.value and o.agency_id <> n.agency_id
        offset 0
      ) o
    ),
    pairs as materialized (
      select f.*, oa.code as other_code, oa.name as other_name,
             coalesce(nullif(oc.contact_point, ''), oa.contact_point) as other_contact
      from found f
      join cases oc on oc.id = f.theirs_case and oc.closed_at is null
      join agencies oa on oa.id = f.theirs_agency
    ),
    hit as (
      -- No on conflict: every pair has a registration this statement made, so no hit can hold it yet.
      insert into deconflict_hits (via, selector_a, selector_b)
      select 'selector', least(mine_id, theirs_id), greatest(mine_id, theirs_id) from pairs
      returning id, selector_a, selector_b, created_at
    )
    select
      (select array_agg(id order by id) from ins) as ids,
      (select json_agg(json_build_object(
          'id', hit.id, 'selector_a', hit.selector_a, 'selector_b', hit.selector_b, 'created_at', hit.created_at,
          'mine_id', p.mine_id, 'mine_case', p.mine_case, 'mine_agency', p.mine_agency, 'kind', p.kind, 'value', p.value,
          'theirs_id', p.theirs_id, 'theirs_case', p.theirs_case, 'theirs_agency', p.theirs_agency,
          'other_code', p.other_code, 'other_name', p.other_name, 'other_contact', p.other_contact) order by hit.id)
       from hit join pairs p on least(p.mine_id, p.theirs_id) = hit.selector_a and greatest(p.mine_id, p.theirs_id) = hit.selector_b
      ) as hits`.execute(trx);
  const row = r.rows[0]!;
  return { ids: row.ids ?? [], direct: (row.hits ?? []).map((h) => ({ ...h, created_at: new Date(h.created_at) })) };
}

/**
 * Registrations whose selectors crawl data ties to one identity: registration → selectors (same kind and value)
 * → sightings → vendor → identity → the identity's other vendors → their selectors → another agency's
 * registration. The search starts from the given registrations, or from the given identities (after linking).
 */
async function insertIdentityHits(trx: DeconflictDb, from: { registrations: number[] } | { identities: number[] | null }): Promise<NewHit[]> {
  const seed =
    'registrations' in from
      ? sql`
        select distinct im.identity_id
        from deconflict_selectors r
        join selectors s on s.kind = r.kind and s.value = r.value
        join selector_sightings ss on ss.selector_id = s.id
        join identity_members im on im.vendor_id = ss.vendor_id
        where r.id = any(${from.registrations}::int[])`
      : from.identities
        ? sql`select unnest(${from.identities}::int[]) as identity_id`
        : sql`select distinct identity_id from identity_members`;
  const r = await sql<NewHit>`
    with seed as materialized (${seed}),
    linked as (
      select distinct r.id as reg_id, r.agency_id, im.identity_id
      from seed
      join identity_members im on im.identity_id = seed.identity_id
      join selector_sightings ss on ss.vendor_id = im.vendor_id
      join selectors s on s.id = ss.selector_id
      cross join lateral (
        select r.id, r.agency_id from deconflict_selectors r
        where r.kind = s.kind and r.value = s.value
          and exists (select 1 from cases c where c.id = r.case_id and c.closed_at is null)
        offset 0
      ) r
    )
    insert into deconflict_hits (via, selector_a, selector_b, identity_id)
    select distinct on (least(r1.reg_id, r2.reg_id), greatest(r1.reg_id, r2.reg_id))
      'identity', least(r1.reg_id, r2.reg_id), greatest(r1.reg_id, r2.reg_id), r1.identity_id
    from linked r1
    join linked r2 on r2.identity_id = r1.identity_id and r2.agency_id <> r1.agency_id
    order by least(r1.reg_id, r2.reg_id), greatest(r1.reg_id, r2.reg_id), r1.identity_id
    on conflict (selector_a, selector_b) do nothing
    returning id, selector_a, selector_b`.execute(trx);
  return r.rows;
}

/**
 * One audit entry per agency per call, listing its new hits and the case each concerns. Direct hits carry both
 * sides already; identity hits are read back.
 */
async function hitAuditEntries(trx: DeconflictDb, actorName: string, hits: (NewHit | DirectHit)[]): Promise<AuditEntry[]> {
  if (hits.length === 0) return [];
  const sides: { hit: number; agency_id: number; case_id: number }[] = [];
  const unknown: number[] = [];
  for (const h of hits) {
    if ('mine_id' in h) {
      sides.push({ hit: h.id, agency_id: h.mine_agency, case_id: h.mine_case }, { hit: h.id, agency_id: h.theirs_agency, case_id: h.theirs_case });
    } else unknown.push(h.id);
  }
  if (unknown.length) {
    const read = await sql<{ hit: number; agency_id: number; case_id: number }>`
      select h.id as hit, s.agency_id, s.case_id
      from deconflict_hits h
      join deconflict_selectors s on s.id in (h.selector_a, h.selector_b)
      where h.id = any(${unknown}::int[])`.execute(trx);
    sides.push(...read.rows);
  }
  // Hit order, and within a hit the lower registration's side first, as before.
  sides.sort((x, y) => x.hit - y.hit);
  const perAgency = new Map<number, { hit: number; case_id: number }[]>();
  for (const r of sides) {
    const list = perAgency.get(r.agency_id) ?? [];
    list.push({ hit: r.hit, case_id: r.case_id });
    perAgency.set(r.agency_id, list);
  }
  return [...perAgency].map(([agencyId, list]) => ({
    agencyId,
    userId: null,
    actor: actorName,
    action: 'deconflict.hit',
    objectType: 'deconflict_hit',
    objectId: list.length === 1 ? String(list[0]!.hit) : '',
    detail: { hits: list },
  }));
}

/**
 * A case's own collection hits another agency's registration: a selector the extractor sighted in a capture of an
 * open case (fetched by a crawl job of the case, or attached to it as evidence) that another agency has registered
 * against one of its open cases. The selector is registered against the collecting case (registered_by null, no
 * budget: it was seen, not guessed) and a 'selector' hit joins the two registrations, so both agencies get the
 * ordinary notice (their own case, the other's contact point). Only matched selectors are registered, never the
 * rest of what the crawl saw. Returns the new hits and one registration audit entry per collecting case.
 */
async function insertCaseCaptureHits(trx: DeconflictDb, actorName: string): Promise<{ hits: NewHit[]; registered: AuditEntry[] }> {
  const reg = await sql<{ id: number; case_id: number; agency_id: number }>`
    with seen as (
      select c.id as case_id, c.agency_id, s.kind, s.value
      from cases c
      join crawl_jobs j on j.case_id = c.id
      join captures cap on cap.market_id = j.market_id and cap.job_id = j.id
      join selector_sightings ss on ss.capture_id = cap.id and ss.agency_id = c.agency_id
      join selectors s on s.id = ss.selector_id
      where c.closed_at is null
      union
      select c.id, c.agency_id, s.kind, s.value
      from cases c
      join case_evidence ce on ce.case_id = c.id
      join selector_sightings ss on ss.capture_id = ce.capture_id and ss.agency_id = c.agency_id
      join selectors s on s.id = ss.selector_id
      where c.closed_at is null
    )
    insert into deconflict_selectors (case_id, agency_id, kind, value, registered_by)
    select seen.case_id, seen.agency_id, seen.kind, seen.value, null from seen
    where exists (
      select 1 from deconflict_selectors o join cases oc on oc.id = o.case_id and oc.closed_at is null
      where o.kind = seen.kind and o.value = seen.value and o.agency_id <> seen.agency_id)
    on conflict (case_id, kind, value) do nothing
    returning id, case_id, agency_id`.execute(trx);
  if (reg.rows.length === 0) return { hits: [], registered: [] };
  const hits = await sql<NewHit>`
    insert into deconflict_hits (via, selector_a, selector_b)
    select distinct 'selector', least(m.id, o.id), greatest(m.id, o.id)
    from deconflict_selectors m
    join deconflict_selectors o on o.kind = m.kind and o.value = m.value and o.agency_id <> m.agency_id
    join cases oc on oc.id = o.case_id and oc.closed_at is null
    where m.id = any(${reg.rows.map((r) => r.id)}::int[])
    on conflict (selector_a, selector_b) do nothing
    returning id, selector_a, selector_b`.execute(trx);
  const perCase = new Map<number, { agencyId: number; n: number }>();
  for (const r of reg.rows) perCase.set(r.case_id, { agencyId: r.agency_id, n: (perCase.get(r.case_id)?.n ?? 0) + 1 });
  const registered: AuditEntry[] = [...perCase].map(([caseId, { agencyId, n }]) => ({
    agencyId,
    userId: null,
    actor: actorName,
    action: 'deconflict.register',
    objectType: 'case',
    objectId: String(caseId),
    detail: { registered: n, source: 'case captures' },
  }));
  return { hits: hits.rows, registered };
}

/**
 * Look for hits that collection makes — run after a crawl's extraction or the linker: identity hits (with the
 * identities the run touched, or none to scan them all) and hits of selectors a case's own captures showed (see
 * insertCaseCaptureHits). Returns the number of new hits (audited for both agencies).
 */
export async function detectLinkedHits(database: Kysely<Database>, actorName: string, identityIds?: readonly number[]): Promise<number> {
  return deconflictDb(database)
    .transaction()
    .execute(async (trx) => {
      const crawled = await insertCaseCaptureHits(trx, actorName);
      const hits = await insertIdentityHits(trx, { identities: identityIds ? [...identityIds] : null });
      await appendAuditEntries(coreDb(trx), [...crawled.registered, ...(await hitAuditEntries(trx, actorName, [...crawled.hits, ...hits]))]);
      return crawled.hits.length + hits.length;
    });
}

async function noticesFor(
  db: DeconflictDb,
  agencyId: number,
  filter: { hitIds?: number[]; unacknowledgedOnly?: boolean },
): Promise<HitNotice[]> {
  // The agency's side ("mine") and the other side ("theirs") of each hit; only theirs' agency and the contact
  // point of their case leave this query.
  const rows = await sql<{
    hit_id: number;
    via: 'selector' | 'identity';
    created_at: Date;
    ack_at: Date | null;
    case_id: number;
    case_reference: string;
    kind: RegisteredSelectorKind;
    value: string;
    other_code: string;
    other_name: string;
    other_contact: string;
  }>`
    with sides as (${
      filter.hitIds
        ? sql`
      select h.id, h.via, h.created_at, h.ack_a_at as ack_at, h.selector_a as mine_id, h.selector_b as theirs_id
      from deconflict_hits h where h.id = any(${filter.hitIds}::int[])
      union all
      select h.id, h.via, h.created_at, h.ack_b_at, h.selector_b, h.selector_a
      from deconflict_hits h where h.id = any(${filter.hitIds}::int[])`
        : sql`
      select h.id, h.via, h.created_at, h.ack_a_at as ack_at, mine.id as mine_id, h.selector_b as theirs_id
      from deconflict_selectors mine join deconflict_hits h on h.selector_a = mine.id
      where mine.agency_id = ${agencyId}
      union all
      select h.id, h.via, h.created_at, h.ack_b_at, mine.id, h.selector_a
      from deconflict_selectors mine join deconflict_hits h on h.selector_b = mine.id
      where mine.agency_id = ${agencyId}`
    })
    select h.id as hit_id, h.via, h.created_at, h.ack_at,
           mc.id as case_id, mc.reference as case_reference, mine.kind, mine.value,
           oa.code as other_code, oa.name as other_name,
           coalesce(nullif(oc.contact_point, ''), oa.contact_point) as other_contact
    from sides h
    join deconflict_selectors mine on mine.id = h.mine_id and mine.agency_id = ${agencyId}
    join deconflict_selectors theirs on theirs.id = h.theirs_id
    join cases mc on mc.id = mine.case_id
    join cases oc on oc.id = theirs.case_id
    join agencies oa on oa.id = theirs.agency_id
    where theirs.agency_id <> ${agencyId}
      ${filter.unacknowledgedOnly ? sql`and h.ack_at is null` : sql``}
    order by h.id`.execute(db);
  return rows.rows.map((r) => ({
    hitId: r.hit_id,
    via: r.via,
    yourCase: { id: r.case_id, reference: r.case_reference },
    yourSelector: { kind: r.kind, value: r.value },
    other: { agencyCode: r.other_code, agencyName: r.other_name, contactPoint: r.other_contact },
    createdAt: r.created_at,
    acknowledgedAt: r.ack_at,
  }));
}

/** The actor's agency's hit notices (audited read). */
export async function listNotices(
  database: Kysely<Database>,
  actor: Actor,
  options: { unacknowledgedOnly?: boolean } = {},
): Promise<HitNotice[]> {
  const db = deconflictDb(database);
  const notices = await noticesFor(db, actor.agencyId, options);
  await appendAudit(database, {
    agencyId: actor.agencyId,
    userId: actor.userId,
    actor: actor.actor,
    action: 'deconflict.notices.read',
    detail: { count: notices.length, unacknowledgedOnly: options.unacknowledgedOnly ?? false },
  });
  return notices;
}

/** Acknowledge the actor's agency's side of a hit. Idempotent; refuses hits the agency is not part of. */
export async function acknowledgeHit(database: Kysely<Database>, actor: Actor, hitId: number): Promise<HitNotice> {
  const db = deconflictDb(database);
  return db.transaction().execute(async (trx) => {
    const hit = await trx
      .selectFrom('deconflict_hits as h')
      .innerJoin('deconflict_selectors as a', 'a.id', 'h.selector_a')
      .innerJoin('deconflict_selectors as b', 'b.id', 'h.selector_b')
      .select(['h.id', 'a.agency_id as agency_a', 'b.agency_id as agency_b', 'h.ack_a_at', 'h.ack_b_at'])
      .where('h.id', '=', hitId)
      .executeTakeFirst();
    if (!hit) throw new DeconflictError('not_found', `hit ${hitId} not found`);
    const side = hit.agency_a === actor.agencyId ? 'a' : hit.agency_b === actor.agencyId ? 'b' : null;
    if (!side) throw new DeconflictError('not_found', `hit ${hitId} not found`); // do not reveal other agencies' hits
    const already = side === 'a' ? hit.ack_a_at : hit.ack_b_at;
    if (!already) {
      await trx
        .updateTable('deconflict_hits')
        .set(side === 'a' ? { ack_a_at: new Date(), ack_a_by: actor.userId } : { ack_b_at: new Date(), ack_b_by: actor.userId })
        .where('id', '=', hitId)
        .execute();
      await appendAudit(coreDb(trx), {
        agencyId: actor.agencyId,
        userId: actor.userId,
        actor: actor.actor,
        action: 'deconflict.hit.acknowledge',
        objectType: 'deconflict_hit',
        objectId: String(hitId),
      });
    }
    const [notice] = await noticesFor(trx, actor.agencyId, { hitIds: [hitId] });
    return notice!;
  });
}
