import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../store/index.ts';
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
}

export interface ImportSummary {
  kind: 'telegram' | 'dump' | 'csv';
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
export async function beginImport(kind: ImportSummary['kind'], o: ImportOptions, marketKind: SourceKind, defaultSlug: string, contentType: string): Promise<ImportRun> {
  const totalBytes = statSync(o.file).size;
  const fileSha256 = await sha256File(o.file);
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
      .values({ kind, file_sha256: fileSha256, target: slug, capture_id: rec.captureId })
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
  externalId?: string | null;
  profile?: string;
}

/**
 * Accounts on one imported source in one statement per chunk; returns id by normalised handle. Accounts whose
 * handles normalise alike are one account (a statement may not update the same row twice, so they are merged
 * first: the last non-empty profile and external id win, as row-by-row upserts would have it).
 */
export async function upsertVendors(
  trx: Kysely<Database> | Transaction<Database>,
  common: { agencyId: number; tlp?: Tlp; marketId: number; at: Date; captureId: number },
  accounts: readonly ImportedAccount[],
): Promise<Map<string, number>> {
  const byNorm = new Map<string, { handle: string; externalId: string | null; profile: string }>();
  for (const a of accounts) {
    const handle = a.handle.slice(0, 200) || '(unnamed)';
    const norm = normHandle(handle);
    const prev = byNorm.get(norm);
    byNorm.set(norm, { handle: prev?.handle ?? handle, externalId: a.externalId ?? prev?.externalId ?? null, profile: a.profile || prev?.profile || '' });
  }
  const values = [...byNorm].map(([norm, a]) => ({
    agency_id: common.agencyId,
    tlp: common.tlp,
    market_id: common.marketId,
    handle: a.handle,
    handle_norm: norm,
    external_id: a.externalId,
    profile_text: a.profile,
    first_seen: common.at,
    last_seen: common.at,
    capture_id: common.captureId,
    adapter: 'import',
  }));
  const ids = new Map<string, number>();
  for (const chunk of paramSafeChunks(values)) {
    const rows = await trx
      .insertInto('vendors')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['market_id', 'handle_norm']).doUpdateSet((eb) => ({
          first_seen: sql<Date>`least(${eb.ref('vendors.first_seen')}, excluded.first_seen)`,
          last_seen: sql<Date>`greatest(${eb.ref('vendors.last_seen')}, excluded.last_seen)`,
          profile_text: sql<string>`case when excluded.profile_text <> '' then excluded.profile_text else ${eb.ref('vendors.profile_text')} end`,
          external_id: sql<string>`coalesce(excluded.external_id, ${eb.ref('vendors.external_id')})`,
        })),
      )
      .returning(['id', 'handle_norm'])
      .execute();
    for (const r of rows) ids.set(r.handle_norm, r.id);
  }
  return ids;
}

/**
 * One mysqldump INSERT can hold thousands of rows; PostgreSQL's wire protocol allows at most 65,535 parameters per
 * statement, so multi-row inserts are split to stay well under it.
 */
export function paramSafeChunks<T extends object>(rows: readonly T[], maxParams = 30_000): T[][] {
  if (rows.length === 0) return [];
  const perRow = Math.max(1, Object.keys(rows[0]!).length);
  const size = Math.max(1, Math.floor(maxParams / perRow));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
