/**
 * The blinded (OPRF) mode of de-confliction on the database. This installation is the evaluator (it holds the
 * OPRF key, in `federation_self`) and the matcher (it holds token ids against opaque case handles, in
 * `blinded_tokens`); it never receives a selector. Matching follows `BlindedMatcher` (src/deconflict): a token is
 * keyed by its first 128 bits, and an overlap between two owners yields one hit that each side sees as its own
 * case handle plus the other's agency and contact point.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { BlindedMatchError, OprfEvaluator, SUITE_ID, generateKeyPair } from '../../deconflict/index.ts';
import type { RateLimit } from '../../deconflict/index.ts';
import type { Database } from '../../store/index.ts';
import { exchangeDb } from './schema.ts';
import type { ExchangeDb } from './schema.ts';

export const MAX_TOKENS_PER_CALL = 10_000;

/** Default per-client OPRF budget: a burst of 2,000 evaluations, then one a second (86,400 a day). */
export const DEFAULT_OPRF_RATE_LIMIT: RateLimit = { capacity: 2000, refillPerSecond: 1 };

export interface InstallationIdentity {
  installationId: string;
  oprfSecretKey: Uint8Array;
}

/** This installation's federation id and OPRF key, created on first use (the given id, or a random one). */
export async function installationIdentity(database: Kysely<Database>, preferredId?: string): Promise<InstallationIdentity> {
  const db = exchangeDb(database);
  let row = await db.selectFrom('federation_self').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) {
    await db
      .insertInto('federation_self')
      .values({
        id: 1,
        installation_id: preferredId ?? `dp-${randomBytes(8).toString('hex')}`,
        oprf_secret_key: Buffer.from(generateKeyPair().secretKey),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    row = await db.selectFrom('federation_self').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  }
  return { installationId: row.installation_id, oprfSecretKey: new Uint8Array(row.oprf_secret_key) };
}

/** One OprfEvaluator per server, keyed from the database on first use; rate limits are per client id. */
export class EvaluatorHolder {
  private evaluator: Promise<OprfEvaluator> | undefined;
  constructor(
    private readonly database: Kysely<Database>,
    private readonly rateLimit: RateLimit,
    private readonly preferredId?: string,
  ) {}

  get(): Promise<OprfEvaluator> {
    this.evaluator ??= installationIdentity(this.database, this.preferredId).then(
      (id) => new OprfEvaluator({ secretKey: id.oprfSecretKey, rateLimit: this.rateLimit, maxBatch: 1000 }),
    );
    return this.evaluator;
  }

  async evaluate(clientId: string, blindedElements: readonly string[]): Promise<{ suite: string; mode: 'oprf'; evaluatedElements: string[] }> {
    const e = await this.get();
    return { suite: SUITE_ID, mode: 'oprf', evaluatedElements: e.evaluate(clientId, blindedElements) };
  }
}

export interface BlindedNoticeView {
  hitId: number;
  tokenId: string;
  yourCaseRef: string;
  otherAgency: string;
  otherContact: string;
  createdAt: Date;
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
  return exchangeDb(database)
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
      const notices = hitIds.length ? await blindedNotices(trx, r.owner, hitIds) : [];
      return { registered: newIds.length, tokenIds: ids, notices };
    });
}

/** The owner's side of its hits (all of them, or the given ones): its case handle, the other's agency and contact. */
export async function blindedNotices(database: Kysely<Database> | ExchangeDb, owner: string, hitIds?: number[]): Promise<BlindedNoticeView[]> {
  const r = await sql<{ hit_id: number; token_id: string; case_ref: string; other_agency: string; other_contact: string; created_at: Date }>`
    select h.id as hit_id, mine.token_id, mine.case_ref, theirs.owner as other_agency, theirs.contact as other_contact, h.created_at
    from blinded_hits h
    join blinded_tokens mine on mine.id in (h.token_a, h.token_b) and mine.owner = ${owner}
    join blinded_tokens theirs on theirs.id in (h.token_a, h.token_b) and theirs.id <> mine.id
    where theirs.owner <> ${owner} ${hitIds ? sql`and h.id = any(${hitIds}::int[])` : sql``}
    order by h.id`.execute(database);
  return r.rows.map((x) => ({ hitId: x.hit_id, tokenId: x.token_id, yourCaseRef: x.case_ref, otherAgency: x.other_agency, otherContact: x.other_contact, createdAt: x.created_at }));
}
