/**
 * Pulling a partner's TAXII collection into the import pipeline: the objects added since the last pull become one
 * unverified third-party import (intel_imports, via `taxii`, source = the collection URL), and the subscription
 * remembers the last date_added it got, so the next pull asks only for what is new.
 */
import type { Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import { appendAudit, type Database } from '../../store/index.ts';
import { randomId } from '../stix/ids.ts';
import { readThirdParty, storeThirdParty } from '../intel/third-party.ts';
import { TaxiiClient } from './client.ts';
import type { TaxiiAuth } from './client.ts';
import { taxiiDb } from './schema.ts';

export interface PullIntoImportsInput {
  agencyId: number;
  collectionUrl: string;
  auth: TaxiiAuth;
  tlp: Tlp;
  addedAfter?: string;
  limit?: number;
  actor: string;
}

export interface PullIntoImportsResult {
  objects: number;
  pages: number;
  importId?: number;
  tlp?: Tlp;
  lastDateAdded?: string;
  truncated: boolean;
}

export async function pullIntoImports(db: Kysely<Database>, o: PullIntoImportsInput): Promise<PullIntoImportsResult> {
  const client = new TaxiiClient({ auth: o.auth });
  const pulled = await client.pull(o.collectionUrl, { ...(o.addedAfter ? { addedAfter: o.addedAfter } : {}), ...(o.limit ? { limit: o.limit } : {}) });
  const base = { objects: pulled.objects.length, pages: pulled.pages, truncated: pulled.truncated, ...(pulled.lastDateAdded ? { lastDateAdded: pulled.lastDateAdded } : {}) };
  if (pulled.objects.length === 0) {
    await appendAudit(db, { agencyId: o.agencyId, userId: null, actor: o.actor, action: 'taxii.pull', objectType: 'taxii_collection', objectId: o.collectionUrl.slice(0, 500), detail: { objects: 0, addedAfter: o.addedAfter ?? null } });
    return base;
  }
  const read = readThirdParty({ type: 'bundle', id: randomId('bundle'), objects: pulled.objects }, { tlp: o.tlp });
  const stored = await storeThirdParty(db, { agencyId: o.agencyId, source: o.collectionUrl, via: 'taxii', read });
  await appendAudit(db, {
    agencyId: o.agencyId,
    userId: null,
    actor: o.actor,
    action: 'taxii.pull',
    objectType: 'intel_import',
    objectId: String(stored.id),
    detail: { source: o.collectionUrl.slice(0, 500), objects: stored.objects, tlp: stored.tlp, addedAfter: o.addedAfter ?? null, lastDateAdded: pulled.lastDateAdded ?? null, sha256: read.sha256 },
  });
  return { ...base, importId: stored.id, tlp: stored.tlp };
}

export interface Subscription {
  id: number;
  agencyId: number;
  name: string;
  collectionUrl: string;
  username: string | null;
  secret: string;
  tlp: Tlp;
  intervalMinutes: number;
  addedAfter: string | null;
  lastRunAt: Date | null;
}

export function subscriptionAuth(s: { username: string | null; secret: string }): TaxiiAuth {
  return s.username ? { kind: 'basic', username: s.username, password: s.secret } : { kind: 'bearer', token: s.secret };
}

export interface SubscriptionRun {
  subscription: string;
  ok: boolean;
  objects?: number;
  importId?: number;
  error?: string;
}

/**
 * Run every subscription that is due (never run, or last run at least its interval ago). A failed pull is recorded
 * on the subscription (last_error) and does not advance added_after, so nothing is skipped.
 */
export async function runDueSubscriptions(db: Kysely<Database>, o: { now?: Date; agencyId?: number } = {}): Promise<SubscriptionRun[]> {
  const now = o.now ?? new Date();
  const t = taxiiDb(db);
  let q = t.selectFrom('taxii_subscriptions').selectAll().orderBy('id');
  if (o.agencyId !== undefined) q = q.where('agency_id', '=', o.agencyId);
  const subs = await q.execute();
  const runs: SubscriptionRun[] = [];
  for (const s of subs) {
    if (s.last_run_at && new Date(s.last_run_at).getTime() + s.interval_minutes * 60_000 > now.getTime()) continue;
    try {
      const r = await pullIntoImports(db, {
        agencyId: s.agency_id,
        collectionUrl: s.collection_url,
        auth: subscriptionAuth(s),
        tlp: s.tlp,
        ...(s.added_after ? { addedAfter: s.added_after } : {}),
        actor: `taxii-subscription:${s.name}`,
      });
      await t.updateTable('taxii_subscriptions').set({ last_run_at: now, last_error: null, added_after: r.lastDateAdded ?? s.added_after }).where('id', '=', s.id).execute();
      runs.push({ subscription: s.name, ok: true, objects: r.objects, ...(r.importId ? { importId: r.importId } : {}) });
    } catch (e) {
      const error = (e as Error).message.slice(0, 1000);
      await t.updateTable('taxii_subscriptions').set({ last_run_at: now, last_error: error }).where('id', '=', s.id).execute();
      await appendAudit(db, { agencyId: s.agency_id, userId: null, actor: `taxii-subscription:${s.name}`, action: 'taxii.pull.failed', objectType: 'taxii_subscription', objectId: String(s.id), detail: { error } });
      runs.push({ subscription: s.name, ok: false, error });
    }
  }
  return runs;
}
