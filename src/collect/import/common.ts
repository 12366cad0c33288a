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
  const handle = v.handle.slice(0, 200) || '(unnamed)';
  const row = await trx
    .insertInto('vendors')
    .values({
      agency_id: v.agencyId,
      tlp: v.tlp,
      market_id: v.marketId,
      handle,
      handle_norm: normHandle(handle),
      external_id: v.externalId ?? null,
      profile_text: v.profile ?? '',
      first_seen: v.at,
      last_seen: v.at,
      capture_id: v.captureId,
      adapter: 'import',
    })
    .onConflict((oc) =>
      oc.columns(['market_id', 'handle_norm']).doUpdateSet((eb) => ({
        first_seen: sql<Date>`least(${eb.ref('vendors.first_seen')}, excluded.first_seen)`,
        last_seen: sql<Date>`greatest(${eb.ref('vendors.last_seen')}, excluded.last_seen)`,
        profile_text: sql<string>`case when excluded.profile_text <> '' then excluded.profile_text else ${eb.ref('vendors.profile_text')} end`,
        external_id: sql<string>`coalesce(excluded.external_id, ${eb.ref('vendors.external_id')})`,
      })),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
