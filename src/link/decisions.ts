/**
 * Analysts' decisions. Each is kept as pairwise rulings in `link_decisions` ('must' = always linked, 'cannot' =
 * never linked; the latest ruling on a pair wins), audited with `appendAudit`, applied to the identities at once,
 * and respected by every later `runLinking` (union-find honours them before any evidence). They are also extra
 * training labels for `trainOnSim({ decisionsFrom })`.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { appendAudit, type Database, type LinkDecisionOrigin, type LinkRuling } from '../store/index.ts';

export class LinkDecisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkDecisionError';
  }
}

export interface DecisionActor {
  /** Who decided, readable without joins: 'user:alice', 'cli:analyst'. */
  actor: string;
  userId?: number | null;
  reason?: string;
}

type Db = Kysely<Database> | Transaction<Database>;

async function record(trx: Db, agencyId: number, pairs: Array<[number, number]>, ruling: LinkRuling, origin: LinkDecisionOrigin,
  who: DecisionActor, linkId: number | null): Promise<void> {
  const rows = pairs.filter(([a, b]) => a !== b).map(([a, b]) => ({ agency_id: agencyId, vendor_a: Math.min(a, b), vendor_b: Math.max(a, b),
    ruling, origin, link_id: linkId, decided_by: who.userId ?? null, actor: who.actor, reason: who.reason ?? '' }));
  for (let i = 0; i < rows.length; i += 2000) await trx.insertInto('link_decisions').values(rows.slice(i, i + 2000)).execute();
}

async function identityOf(trx: Db, vendorId: number): Promise<number | null> {
  const r = await trx.selectFrom('identity_members').select('identity_id').where('vendor_id', '=', vendorId).executeTakeFirst();
  return r?.identity_id ?? null;
}

async function membersOf(trx: Db, identityId: number): Promise<number[]> {
  const rows = await trx.selectFrom('identity_members').select('vendor_id').where('identity_id', '=', identityId).orderBy('vendor_id').execute();
  return rows.map((r) => r.vendor_id);
}

async function newIdentity(trx: Db, agencyId: number, vendorIds: number[], label: string): Promise<number> {
  const id = (await trx.insertInto('identities').values({ agency_id: agencyId, label }).returning('id').executeTakeFirstOrThrow()).id;
  await trx.deleteFrom('identity_members').where('vendor_id', 'in', vendorIds).execute();
  await trx.insertInto('identity_members').values(vendorIds.map((v) => ({ identity_id: id, vendor_id: v }))).execute();
  return id;
}

async function dropEmpty(trx: Db, identityIds: number[]): Promise<void> {
  if (identityIds.length === 0) return;
  await sql`delete from identities i where i.id in (${sql.join(identityIds)})
    and not exists (select 1 from identity_members m where m.identity_id = i.id)`.execute(trx);
}

async function getLink(trx: Db, linkId: number) {
  const link = await trx.selectFrom('links').selectAll().where('id', '=', linkId).executeTakeFirst();
  if (!link) throw new LinkDecisionError(`link ${linkId} does not exist`);
  return link;
}

/** Confirms a link: the two accounts are one identity now and in every later run. */
export async function confirmLink(db: Kysely<Database>, linkId: number, who: DecisionActor): Promise<{ identityId: number }> {
  return db.transaction().execute(async (trx) => {
    const link = await getLink(trx, linkId);
    await trx.updateTable('links').set({ status: 'confirmed', decided_by: who.userId ?? null, decided_at: new Date() })
      .where('id', '=', linkId).execute();
    await record(trx, link.agency_id, [[link.vendor_a, link.vendor_b]], 'must', 'confirm', who, linkId);
    const ia = await identityOf(trx, link.vendor_a);
    const ib = await identityOf(trx, link.vendor_b);
    let identityId: number;
    if (ia !== null && ia === ib) identityId = ia;
    else if (ia !== null && ib !== null) {
      await trx.updateTable('identity_members').set({ identity_id: ia }).where('identity_id', '=', ib).execute();
      await dropEmpty(trx, [ib]);
      identityId = ia;
    } else if (ia !== null || ib !== null) {
      identityId = (ia ?? ib) as number;
      const lone = ia === null ? link.vendor_a : link.vendor_b;
      await trx.insertInto('identity_members').values({ identity_id: identityId, vendor_id: lone }).execute();
    } else {
      identityId = await newIdentity(trx, link.agency_id, [link.vendor_a, link.vendor_b], `identity of vendor ${link.vendor_a}`);
    }
    await appendAudit(trx, { agencyId: link.agency_id, userId: who.userId ?? null, actor: who.actor, action: 'link.confirm',
      objectType: 'link', objectId: String(linkId), detail: { vendorA: link.vendor_a, vendorB: link.vendor_b, identityId, reason: who.reason ?? '' } });
    return { identityId };
  });
}

/** Rejects a link: the two accounts are never put in one identity again. If they are together now, B leaves. */
export async function rejectLink(db: Kysely<Database>, linkId: number, who: DecisionActor): Promise<{ split: boolean }> {
  return db.transaction().execute(async (trx) => {
    const link = await getLink(trx, linkId);
    await trx.updateTable('links').set({ status: 'rejected', decided_by: who.userId ?? null, decided_at: new Date() })
      .where('id', '=', linkId).execute();
    await record(trx, link.agency_id, [[link.vendor_a, link.vendor_b]], 'cannot', 'reject', who, linkId);
    const ia = await identityOf(trx, link.vendor_a);
    const split = ia !== null && ia === (await identityOf(trx, link.vendor_b));
    if (split) await newIdentity(trx, link.agency_id, [link.vendor_b], `vendor ${link.vendor_b}`);
    await appendAudit(trx, { agencyId: link.agency_id, userId: who.userId ?? null, actor: who.actor, action: 'link.reject',
      objectType: 'link', objectId: String(linkId), detail: { vendorA: link.vendor_a, vendorB: link.vendor_b, split, reason: who.reason ?? '' } });
    return { split };
  });
}

/** Moves `vendorIds` out of an identity into a new one; none of them is ever again linked to those left behind. */
export async function splitIdentity(db: Kysely<Database>, identityId: number, vendorIds: number[], who: DecisionActor):
  Promise<{ newIdentityId: number }> {
  return db.transaction().execute(async (trx) => {
    const ident = await trx.selectFrom('identities').select(['id', 'agency_id', 'label']).where('id', '=', identityId).executeTakeFirst();
    if (!ident) throw new LinkDecisionError(`identity ${identityId} does not exist`);
    const members = await membersOf(trx, identityId);
    const moving = [...new Set(vendorIds)];
    const strangers = moving.filter((v) => !members.includes(v));
    if (strangers.length > 0) throw new LinkDecisionError(`vendor(s) ${strangers.join(', ')} are not members of identity ${identityId}`);
    const staying = members.filter((v) => !moving.includes(v));
    if (moving.length === 0 || staying.length === 0) throw new LinkDecisionError('a split must leave at least one account on each side');
    const pairs: Array<[number, number]> = [];
    for (const a of moving) for (const b of staying) pairs.push([a, b]);
    await record(trx, ident.agency_id, pairs, 'cannot', 'split', who, null);
    const newIdentityId = await newIdentity(trx, ident.agency_id, moving, `${ident.label} (split)`);
    await appendAudit(trx, { agencyId: ident.agency_id, userId: who.userId ?? null, actor: who.actor, action: 'identity.split',
      objectType: 'identity', objectId: String(identityId), detail: { moved: moving, newIdentityId, reason: who.reason ?? '' } });
    return { newIdentityId };
  });
}

/** Merges identity B into A; they stay merged in every later run. */
export async function mergeIdentities(db: Kysely<Database>, identityA: number, identityB: number, who: DecisionActor):
  Promise<{ identityId: number; members: number }> {
  if (identityA === identityB) throw new LinkDecisionError('cannot merge an identity with itself');
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('identities').select(['id', 'agency_id']).where('id', 'in', [identityA, identityB]).execute();
    const a = rows.find((r) => r.id === identityA);
    const b = rows.find((r) => r.id === identityB);
    if (!a) throw new LinkDecisionError(`identity ${identityA} does not exist`);
    if (!b) throw new LinkDecisionError(`identity ${identityB} does not exist`);
    if (a.agency_id !== b.agency_id) throw new LinkDecisionError('identities of different agencies cannot be merged');
    const ma = await membersOf(trx, identityA);
    const mb = await membersOf(trx, identityB);
    // One ruling per account of B to A's first account keeps them together whatever the evidence says.
    const anchor = ma[0];
    if (anchor !== undefined) await record(trx, a.agency_id, mb.map((v) => [anchor, v] as [number, number]), 'must', 'merge', who, null);
    await trx.updateTable('identity_members').set({ identity_id: identityA }).where('identity_id', '=', identityB).execute();
    await dropEmpty(trx, [identityB]);
    await appendAudit(trx, { agencyId: a.agency_id, userId: who.userId ?? null, actor: who.actor, action: 'identity.merge',
      objectType: 'identity', objectId: String(identityA), detail: { merged: identityB, accounts: mb, reason: who.reason ?? '' } });
    return { identityId: identityA, members: ma.length + mb.length };
  });
}
