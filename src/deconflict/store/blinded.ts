/**
 * The blinded (OPRF) mode of de-confliction on the database: the matcher holds token ids against opaque case
 * handles (`blinded_tokens`), never selectors. Matching follows `BlindedMatcher` (src/deconflict/blinded): a token
 * is keyed by its first 128 bits, and an overlap between two owners yields one hit that each side sees as its own
 * case handle plus the other's agency and contact point. Each side acknowledges its side of a hit on its own; the
 * other side is not told. An owner is a local agency's code, or the agency a federation peer speaks for.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import { appendAudit } from '../../store/index.ts';
import { BlindedMatchError } from '../blinded/matcher.ts';
import { coreDb, deconflictDb } from './schema.ts';
import type { DeconflictDb } from './schema.ts';
import { DeconflictError } from './service.ts';
import type { Actor } from './service.ts';

export const MAX_TOKENS_PER_CALL = 10_000;

/** One owner's view of a blinded hit: its own case handle and token id, the other's agency and contact point. */
export interface BlindedNoticeView {
  hitId: number;
  tokenId: string;
  yourCaseRef: string;
  otherAgency: string;
  otherContact: string;
  createdAt: Date;
  /** When this owner acknowledged its side (the other side's acknowledgement is never shown). */
  acknowledgedAt: Date | null;
}

function tokenIdOf(token: string, i: number): string {
  if (typeof token !== 'string' || !/^[0-9a-f]{128}$/i.test(token)) {
    throw new BlindedMatchError(`tokens[${i}] must be the 128-hex-character OPRF output`);
  }
  return token.slice(0, 32).toLowerCase();
}

/** Register tokens for one owner's case handle; returns that owner's notices for the hits this created. */
export async function registerTokens(
  database: Kysely<Database>,
  r: { owner: string; caseRef: string; contact: string; tokens: readonly string[] },
): Promise<{ registered: number; tokenIds: string[]; notices: BlindedNoticeView[] }> {
  if (r.tokens.length > MAX_TOKENS_PER_CALL) throw new BlindedMatchError(`at most ${MAX_TOKENS_PER_CALL} tokens per call`);
  const ids = [...new Set(r.tokens.map(tokenIdOf))];
  if (ids.length === 0) return { registered: 0, tokenIds: [], notices: [] };
  return deconflictDb(database)
    .transaction()
    .execute(async (trx) => {
      const rows = await trx
        .insertInto('blinded_tokens')
        .values(ids.map((token_id) => ({ owner: r.owner, case_ref: r.caseRef, contact: r.contact, token_id })))
        .onConflict((oc) => oc.columns(['owner', 'case_ref', 'token_id']).doNothing())
        .returning('id')
        .execute();
      const newIds = rows.map((x) => x.id);
      let hitIds: number[] = [];
      if (newIds.length) {
        const hits = await sql<{ id: number }>`
          with n as materialized (select id, owner, token_id from blinded_tokens where id = any(${newIds}::int[]))
          insert into blinded_hits (token_a, token_b)
          select distinct least(n.id, o.id), greatest(n.id, o.id)
          from n join blinded_tokens o on o.token_id = n.token_id and o.owner <> n.owner
          on conflict (token_a, token_b) do nothing
          returning id`.execute(trx);
        hitIds = hits.rows.map((h) => h.id);
      }
      const notices = hitIds.length ? await blindedNotices(trx, r.owner, { hitIds }) : [];
      return { registered: newIds.length, tokenIds: ids, notices };
    });
}

/**
 * The owner's side of its hits (all of them, the given ones, or the ones it has not acknowledged): its case handle,
 * the other's agency and contact, and its own acknowledgement.
 */
export async function blindedNotices(
  database: Kysely<Database> | DeconflictDb,
  owner: string,
  filter: { hitIds?: number[]; unacknowledgedOnly?: boolean } = {},
): Promise<BlindedNoticeView[]> {
  const r = await sql<{ hit_id: number; token_id: string; case_ref: string; other_agency: string; other_contact: string; created_at: Date; ack_at: Date | null }>`
    select hit_id, token_id, case_ref, other_agency, other_contact, created_at, ack_at from (
      select h.id as hit_id, mine.token_id, mine.case_ref, theirs.owner as other_agency, theirs.contact as other_contact, h.created_at,
             case when mine.id = h.token_a then h.ack_a_at else h.ack_b_at end as ack_at
      from blinded_hits h
      join blinded_tokens mine on mine.id in (h.token_a, h.token_b) and mine.owner = ${owner}
      join blinded_tokens theirs on theirs.id in (h.token_a, h.token_b) and theirs.id <> mine.id
      where theirs.owner <> ${owner} ${filter.hitIds ? sql`and h.id = any(${filter.hitIds}::int[])` : sql``}
    ) n
    ${filter.unacknowledgedOnly ? sql`where ack_at is null` : sql``}
    order by hit_id`.execute(database);
  return r.rows.map((x) => ({
    hitId: x.hit_id,
    tokenId: x.token_id,
    yourCaseRef: x.case_ref,
    otherAgency: x.other_agency,
    otherContact: x.other_contact,
    createdAt: x.created_at,
    acknowledgedAt: x.ack_at,
  }));
}

/** The owner a local agency registers blinded tokens as: its code. */
async function ownerOf(db: DeconflictDb, agencyId: number): Promise<string> {
  const a = await db.selectFrom('agencies').select('code').where('id', '=', agencyId).executeTakeFirst();
  if (!a) throw new DeconflictError('not_found', `agency ${agencyId} not found`);
  return a.code;
}

/** The actor's agency's blinded notices (audited read). */
export async function listBlindedNotices(database: Kysely<Database>, actor: Actor, options: { unacknowledgedOnly?: boolean } = {}): Promise<BlindedNoticeView[]> {
  const db = deconflictDb(database);
  const notices = await blindedNotices(db, await ownerOf(db, actor.agencyId), options);
  await appendAudit(database, {
    agencyId: actor.agencyId,
    userId: actor.userId,
    actor: actor.actor,
    action: 'deconflict.blinded.notices.read',
    detail: { count: notices.length, unacknowledgedOnly: options.unacknowledgedOnly ?? false },
  });
  return notices;
}

/**
 * Acknowledge the actor's agency's side of a blinded hit. Idempotent: a second acknowledgement keeps the first
 * time and user and writes no audit entry. A hit the agency is not part of answers like a missing one.
 */
export async function acknowledgeBlindedHit(database: Kysely<Database>, actor: Actor, hitId: number): Promise<BlindedNoticeView> {
  return deconflictDb(database)
    .transaction()
    .execute(async (trx) => {
      const owner = await ownerOf(trx, actor.agencyId);
      const hit = await trx
        .selectFrom('blinded_hits as h')
        .innerJoin('blinded_tokens as a', 'a.id', 'h.token_a')
        .innerJoin('blinded_tokens as b', 'b.id', 'h.token_b')
        .select(['a.owner as owner_a', 'b.owner as owner_b'])
        .where('h.id', '=', hitId)
        .executeTakeFirst();
      const side = hit?.owner_a === owner ? 'a' : hit?.owner_b === owner ? 'b' : null;
      if (!side) throw new DeconflictError('not_found', `blinded hit ${hitId} not found`); // do not reveal other agencies' hits
      const now = new Date();
      const done =
        side === 'a'
          ? await trx.updateTable('blinded_hits').set({ ack_a_at: now, ack_a_by: actor.userId }).where('id', '=', hitId).where('ack_a_at', 'is', null).executeTakeFirst()
          : await trx.updateTable('blinded_hits').set({ ack_b_at: now, ack_b_by: actor.userId }).where('id', '=', hitId).where('ack_b_at', 'is', null).executeTakeFirst();
      if (Number(done.numUpdatedRows) > 0) {
        await appendAudit(coreDb(trx), {
          agencyId: actor.agencyId,
          userId: actor.userId,
          actor: actor.actor,
          action: 'deconflict.blinded.hit.acknowledge',
          objectType: 'blinded_hit',
          objectId: String(hitId),
        });
      }
      const [notice] = await blindedNotices(trx, owner, { hitIds: [hitId] });
      return notice!;
    });
}
