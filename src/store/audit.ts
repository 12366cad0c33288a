import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { canonicalJson } from '../domain/canonical-json.ts';
import type { Database } from './schema.ts';

const AUDIT_LOCK_KEY = 7_304_221_002;
export const AUDIT_GENESIS = '0'.repeat(64);

export interface AuditEntry {
  agencyId: number | null;
  userId: number | null;
  /** Who acted, readable without joins: 'user:alice', 'token:postal-feed', 'system:crawler'. */
  actor: string;
  /** What happened, dotted: 'vendor.read', 'link.confirm', 'package.export'. */
  action: string;
  objectType?: string;
  objectId?: string;
  detail?: Record<string, unknown>;
}

function entryHash(prevHash: string, at: string, e: AuditEntry): string {
  const body = canonicalJson([
    prevHash,
    at,
    e.agencyId,
    e.userId,
    e.actor,
    e.action,
    e.objectType ?? '',
    e.objectId ?? '',
    e.detail ?? {},
  ]);
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Appends one entry to the hash-chained audit log. Appends are serialised by an advisory lock so the chain stays
 * linear across processes; the table itself rejects UPDATE and DELETE.
 */
export async function appendAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  const write = async (trx: Transaction<Database>) => {
    await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(trx);
    const last = await trx.selectFrom('audit_log').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const prev = last?.hash ?? AUDIT_GENESIS;
    const at = new Date().toISOString();
    await trx
      .insertInto('audit_log')
      .values({
        at,
        agency_id: entry.agencyId,
        user_id: entry.userId,
        actor: entry.actor,
        action: entry.action,
        object_type: entry.objectType ?? '',
        object_id: entry.objectId ?? '',
        detail: JSON.stringify(entry.detail ?? {}),
        prev_hash: prev,
        hash: entryHash(prev, at, entry),
      })
      .execute();
  };
  if (db.isTransaction) await write(db as Transaction<Database>);
  else await db.transaction().execute(write);
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The first entry whose hash or link does not match, if any. */
  brokenAt?: { id: number; reason: 'prev_hash' | 'hash' };
}

/** Re-computes the chain from the first entry: any edited, removed or inserted entry shows as a break. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<AuditVerification> {
  let prev = AUDIT_GENESIS;
  let entries = 0;
  let lastId = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(5000)
      .execute();
    if (rows.length === 0) return { ok: true, entries };
    for (const r of rows) {
      if (r.prev_hash !== prev) return { ok: false, entries, brokenAt: { id: r.id, reason: 'prev_hash' } };
      const expected = entryHash(prev, r.at.toISOString(), {
        agencyId: r.agency_id,
        userId: r.user_id,
        actor: r.actor,
        action: r.action,
        objectType: r.object_type,
        objectId: r.object_id,
        detail: r.detail,
      });
      if (expected !== r.hash) return { ok: false, entries, brokenAt: { id: r.id, reason: 'hash' } };
      prev = r.hash;
      entries++;
      lastId = r.id;
    }
  }
}
