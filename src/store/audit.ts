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
 * Appends one entry to the hash-chained audit log and resolves once it is committed (callers answer only after
 * that: no audit, no answer). Appends are serialised by an advisory lock so the chain stays linear across
 * processes; the table itself rejects UPDATE and DELETE.
 *
 * Group commit: while one batch is being written, entries from concurrent callers queue up and are written by the
 * next transaction together (one lock, one read of the chain head, one multi-row insert), each still chained to
 * the one before it. No timer: a lone call is written at once, so latency never waits for a batch to fill. If a
 * batch fails, its entries are retried one by one, so only a caller whose own entry cannot be written gets an
 * error. Inside a caller's transaction the entry is written in that transaction, so it commits (or rolls back) with
 * the caller's change.
 */
export async function appendAudit(db: Kysely<Database>, given: AuditEntry): Promise<void> {
  const entry = storableEntry(given);
  if (db.isTransaction) {
    await writeBatch(db as Transaction<Database>, [entry]);
    return;
  }
  let q = queues.get(db);
  if (!q) queues.set(db, (q = { pending: [], writing: false }));
  const queue = q;
  await new Promise<void>((resolve, reject) => {
    queue.pending.push({ entry, resolve, reject });
    if (!queue.writing) void drain(db, queue);
  });
}

/**
 * Several entries at once, chained in the order given. Inside a transaction they are written by one lock, one read
 * of the chain head and one multi-row insert (a caller with several entries per transaction saves the round trips);
 * outside, each joins the group-commit queue as appendAudit would.
 */
export async function appendAuditEntries(db: Kysely<Database>, given: readonly AuditEntry[]): Promise<void> {
  if (given.length === 0) return;
  if (db.isTransaction) {
    await writeBatch(db as Transaction<Database>, given.map(storableEntry));
    return;
  }
  await Promise.all(given.map((e) => appendAudit(db, e)));
}

/**
 * PostgreSQL text and jsonb cannot hold NUL; an entry about a hostile request (a NUL in a path parameter, say) must
 * still be written, so NUL becomes U+2400 SYMBOL FOR NULL, visibly, before the entry is hashed and stored.
 */
const NUL_SIGN = '\u2400';
function storableText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', NUL_SIGN) : s;
}
/** A JSON value (as JSON.parse makes it) with NUL replaced in every string and key. */
function storableJson(v: unknown): unknown {
  if (typeof v === 'string') return storableText(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(storableJson);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k), storableJson(x)]));
}
function storableDetail(d: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(d);
  // The common case costs one stringify; only a detail holding NUL is rebuilt, from the JSON it is stored as.
  return json.includes('\\u0000') ? (storableJson(JSON.parse(json)) as Record<string, unknown>) : d;
}
export function storableEntry(e: AuditEntry): AuditEntry {
  return {
    ...e,
    actor: storableText(e.actor),
    action: storableText(e.action),
    ...(e.objectType !== undefined ? { objectType: storableText(e.objectType) } : {}),
    ...(e.objectId !== undefined ? { objectId: storableText(e.objectId) } : {}),
    ...(e.detail !== undefined ? { detail: storableDetail(e.detail) } : {}),
  };
}

/** At most this many entries per transaction (10 parameters each, far below PostgreSQL's 65,535). */
const MAX_BATCH = 500;

interface Waiting {
  entry: AuditEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}
interface AuditQueue {
  pending: Waiting[];
  writing: boolean;
}
const queues = new WeakMap<Kysely<Database>, AuditQueue>();

async function drain(db: Kysely<Database>, q: AuditQueue): Promise<void> {
  q.writing = true;
  try {
    while (q.pending.length > 0) {
      const batch = q.pending.splice(0, MAX_BATCH);
      try {
        await db.transaction().execute((trx) => writeBatch(trx, batch.map((w) => w.entry)));
        for (const w of batch) w.resolve();
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        // One bad entry (say, an unknown agency) must not fail its neighbours: retry them one by one.
        else
          for (const w of batch)
            await db
              .transaction()
              .execute((trx) => writeBatch(trx, [w.entry]))
              .then(w.resolve, w.reject);
      }
    }
  } finally {
    q.writing = false;
  }
}

async function writeBatch(trx: Transaction<Database>, entries: AuditEntry[]): Promise<void> {
  await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(trx);
  const last = await trx.selectFrom('audit_log').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
  let prev = last?.hash ?? AUDIT_GENESIS;
  const rows = entries.map((entry) => {
    const at = new Date().toISOString();
    const hash = entryHash(prev, at, entry);
    const row = {
      at,
      agency_id: entry.agencyId,
      user_id: entry.userId,
      actor: entry.actor,
      action: entry.action,
      object_type: entry.objectType ?? '',
      object_id: entry.objectId ?? '',
      detail: JSON.stringify(entry.detail ?? {}),
      prev_hash: prev,
      hash,
    };
    prev = hash;
    return row;
  });
  // One multi-row insert: identity values are assigned in VALUES order, so ids follow the chain.
  await trx.insertInto('audit_log').values(rows).execute();
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
