import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { bulkInsert, type BulkColumn, type BulkOptions, type Database, type ImportKind } from '../../store/index.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { SourceKind } from '../../domain/market.ts';
import { EvidenceRecorder } from '../../evidence/index.ts';

export interface ImportOptions {
  db: Kysely<Database>;
  evidenceDir: string;
  agencyId: number;
  tlp?: Tlp;
  file: string;
  /** Target market slug (default derived from the file). */
  market?: string;
  marketName?: string;
  /** Rows per transaction (and checkpoint). */
  batchSize?: number;
  onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
  /**
   * Re-derive an import already made, from its preserved copy (`file` is then the copy read back from the
   * evidence): nothing is preserved again, rows are upserted and selectors re-extracted into the same capture.
   */
  rederive?: { captureId: number; marketId: number; checkpointId: number; slug: string };
}

export interface ImportSummary {
  kind: ImportKind;
  file: string;
  fileSha256: string;
  marketId: number;
  market: string;
  captureId: number;
  rows: number;
  counts: Record<string, number>;
  resumedFrom: number;
  alreadyImported: boolean;
  durationMs: number;
  bytes: number;
}

export interface ImportRun {
  marketId: number;
  captureId: number;
  checkpointId: number;
  position: number;
  rows: number;
  fileSha256: string;
  totalBytes: number;
  done: boolean;
  slug: string;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function normHandle(handle: string): string {
  return handle.normalize('NFKC').trim().toLowerCase();
}

/**
 * Starts or resumes an import: preserves the file as evidence (once), creates the target market and finds the
 * checkpoint of an interrupted run of the same file into the same market.
 */
export async function beginImport(
  kind: ImportSummary['kind'],
  o: ImportOptions,
  marketKind: SourceKind,
  defaultSlug: string,
  contentType: string,
  options: Record<string, unknown> = {},
): Promise<ImportRun> {
  const totalBytes = statSync(o.file).size;
  const fileSha256 = await sha256File(o.file);
  if (o.rederive) {
    const r = o.rederive;
    return { marketId: r.marketId, captureId: r.captureId, checkpointId: r.checkpointId, position: 0, rows: 0, fileSha256, totalBytes, done: false, slug: r.slug };
  }
  const slug = (o.market ?? defaultSlug).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || kind;
  const existing = await o.db.selectFrom('markets').select('id').where('agency_id', '=', o.agencyId).where('slug', '=', slug).executeTakeFirst();
  const marketId =
    existing?.id ??
    (await o.db.insertInto('markets').values({ agency_id: o.agencyId, tlp: o.tlp, slug, name: o.marketName ?? slug, kind: marketKind }).returning('id').executeTakeFirstOrThrow()).id;
  const cp = await o.db.selectFrom('import_checkpoints').selectAll().where('kind', '=', kind).where('file_sha256', '=', fileSha256).where('target', '=', slug).executeTakeFirst();
  if (cp && cp.capture_id !== null) {
    return { marketId, captureId: cp.capture_id, checkpointId: cp.id, position: cp.position, rows: cp.rows, fileSha256, totalBytes, done: cp.state === 'done', slug };
  }
  const recorder = new EvidenceRecorder(o.db, { dir: o.evidenceDir, info: { import: kind } });
  try {
    const rec = await recorder.recordFile(o.file, {
      agencyId: o.agencyId,
      tlp: o.tlp,
      marketId,
      targetUri: `file:///${encodeURIComponent(path.basename(o.file))}`,
      contentType,
    });
    const row = await o.db
      .insertInto('import_checkpoints')
      .values({ kind, file_sha256: fileSha256, target: slug, capture_id: rec.captureId, options: JSON.stringify(options) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { marketId, captureId: rec.captureId, checkpointId: row.id, position: 0, rows: 0, fileSha256, totalBytes, done: false, slug };
  } finally {
    await recorder.close();
  }
}

export async function saveCheckpoint(trx: Kysely<Database> | Transaction<Database>, id: number, position: number, rows: number, state: 'running' | 'done' | 'failed' = 'running', error: string | null = null): Promise<void> {
  await trx.updateTable('import_checkpoints').set({ position, rows, state, error, updated_at: sql<Date>`now()` }).where('id', '=', id).execute();
}

/**
 * Records that accounts were active over [first, last] (a batch of messages or rows): first_seen only moves back,
 * last_seen only forward, whatever order the rows come in.
 */
export async function advanceSeen(trx: Kysely<Database> | Transaction<Database>, seen: ReadonlyMap<number, { first: Date; last: Date }>): Promise<void> {
  if (seen.size === 0) return;
  const rows = [...seen].map(([id, s]) => sql`(${id}::int, ${s.first.toISOString()}::timestamptz, ${s.last.toISOString()}::timestamptz)`);
  for (let i = 0; i < rows.length; i += 5000) {
    await sql`update vendors v set first_seen = least(v.first_seen, x.f), last_seen = greatest(v.last_seen, x.l)
      from (values ${sql.join(rows.slice(i, i + 5000))}) as x(id, f, l) where v.id = x.id`.execute(trx);
  }
}

/** Widens an account's activity window in a batch map. */
export function noteSeen(seen: Map<number, { first: Date; last: Date }>, id: number, at: Date): void {
  const s = seen.get(id);
  if (!s) seen.set(id, { first: at, last: at });
  else {
    if (at < s.first) s.first = at;
    if (at > s.last) s.last = at;
  }
}

/** An account on the imported source; returns its id (created or found by normalised handle). */
export async function upsertVendor(
  trx: Kysely<Database> | Transaction<Database>,
  v: { agencyId: number; tlp?: Tlp; marketId: number; handle: string; externalId?: string | null; at: Date; captureId: number; profile?: string },
): Promise<number> {
  const ids = await upsertVendors(trx, v, [v]);
  return ids.get(normHandle(v.handle.slice(0, 200) || '(unnamed)'))!;
}

export interface ImportedAccount {
  handle: string;
  /** The account's key among the source's accounts (default: the normalised handle). */
  key?: string;
  externalId?: string | null;
  profile?: string;
  /** When the row shows the account active (default: the common `at`). */
  seen?: Date;
}

/**
 * Accounts on one imported source, as one set-based upsert (store/bulk.ts: bulkInsert, with the caller's `options`:
 * COPY and batched key checks inside an import's transaction); returns id by normalised handle. Accounts whose
 * handles normalise alike are one account (a statement may not update the same row twice, so they are merged
 * first: the last non-empty profile and external id win, as row-by-row upserts would have it).
 */
export async function upsertVendors(
  trx: Kysely<Database> | Transaction<Database>,
  common: { agencyId: number; tlp?: Tlp; marketId: number; at: Date; captureId: number },
  accounts: readonly ImportedAccount[],
  options: BulkOptions = {},
): Promise<Map<string, number>> {
  const byNorm = new Map<string, { handle: string; externalId: string | null; profile: string; first: Date; last: Date }>();
  for (const a of accounts) {
    const handle = a.handle.slice(0, 200) || '(unnamed)';
    const norm = a.key ?? normHandle(handle);
    const prev = byNorm.get(norm);
    const at = a.seen ?? common.at;
    byNorm.set(norm, {
      handle: prev?.handle ?? handle,
      externalId: a.externalId ?? prev?.externalId ?? null,
      profile: a.profile || prev?.profile || '',
      first: prev && prev.first < at ? prev.first : at,
      last: prev && prev.last > at ? prev.last : at,
    });
  }
  // tlp left to the column default when the import names none.
  const c = (name: string, type: BulkColumn['type']): BulkColumn => ({ name, type });
  const owned = common.tlp ? [common.agencyId, common.tlp] : [common.agencyId];
  const columns = [
    ...(common.tlp ? [c('agency_id', 'int'), c('tlp', 'text')] : [c('agency_id', 'int')]),
    c('market_id', 'int'), c('handle', 'text'), c('handle_norm', 'text'), c('external_id', 'text'), c('profile_text', 'text'),
    c('first_seen', 'timestamptz'), c('last_seen', 'timestamptz'), c('capture_id', 'int'), c('adapter', 'text'),
  ];
  const rows = [...byNorm].map(([norm, a]) => [...owned, common.marketId, a.handle, norm, a.externalId, a.profile, a.first, a.last, common.captureId, 'import']);
  const saved = await bulkInsert<{ id: number; handle_norm: string }>(trx, 'vendors', columns, rows, sql`on conflict (market_id, handle_norm) do update set
    first_seen = least(vendors.first_seen, excluded.first_seen),
    last_seen = greatest(vendors.last_seen, excluded.last_seen),
    profile_text = case when excluded.profile_text <> '' then excluded.profile_text else vendors.profile_text end,
    external_id = coalesce(excluded.external_id, vendors.external_id)
    returning id, handle_norm`, options);
  return new Map(saved.map((r) => [r.handle_norm, r.id]));
}
