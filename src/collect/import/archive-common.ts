/** What the page-archive importers (`import pages`, `import warc`) share: the source a page belongs to, checkpoints. */
import { sql, type Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import { adapterForUrl } from '../../extract/index.ts';
import type { Database, ImportKind } from '../../store/index.ts';

export function slugOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'archive';
}

/**
 * The markets pages are filed under, created on first use: by the slug given, else by the page's host (a market
 * known by that onion, or a new source named after the host). The adapter serving the host is set on new markets.
 */
export class ArchiveMarkets {
  readonly #ids = new Map<string, number>();
  constructor(
    private readonly db: Kysely<Database>,
    private readonly owner: { agencyId: number; tlp?: Tlp },
  ) {}

  get ids(): number[] {
    return [...new Set(this.#ids.values())];
  }

  async forSlug(slug: string, name: string, url?: string, adapter?: string | null): Promise<number> {
    const key = `slug:${slug}`;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const existing = await this.db.selectFrom('markets').select('id').where('agency_id', '=', this.owner.agencyId).where('slug', '=', slug).executeTakeFirst();
    const id =
      existing?.id ??
      (await this.db
        .insertInto('markets')
        .values({ agency_id: this.owner.agencyId, tlp: this.owner.tlp, slug, name: name.slice(0, 200), kind: 'market', adapter: adapter ?? (url ? (adapterForUrl(url)?.id ?? null) : null) })
        .returning('id')
        .executeTakeFirstOrThrow()).id;
    this.#ids.set(key, id);
    return id;
  }

  async forUrl(url: string): Promise<number> {
    let host: string;
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch {
      host = 'unknown-host';
    }
    const key = `host:${host}`;
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    const byOnion = await this.db
      .selectFrom('market_onions as o')
      .innerJoin('markets as m', 'm.id', 'o.market_id')
      .select('m.id')
      .where('o.onion', '=', host)
      .where('m.agency_id', '=', this.owner.agencyId)
      .executeTakeFirst();
    const id = byOnion?.id ?? (await this.forSlug(slugOf(host.replace(/\.onion$/, '')), host, url));
    this.#ids.set(key, id);
    return id;
  }
}

export interface ArchiveCheckpoint {
  id: number;
  position: number;
  rows: number;
  done: boolean;
}

/** The checkpoint of one archive (a WARC file by its SHA-256, a page folder by its path) into one target. */
export async function archiveCheckpoint(db: Kysely<Database>, kind: ImportKind, key: string, target: string, options: Record<string, unknown>): Promise<ArchiveCheckpoint> {
  const row =
    (await db.selectFrom('import_checkpoints').selectAll().where('kind', '=', kind).where('file_sha256', '=', key).where('target', '=', target).executeTakeFirst()) ??
    (await db.insertInto('import_checkpoints').values({ kind, file_sha256: key, target, options: JSON.stringify(options) }).returning(['id', 'position', 'rows', 'state']).executeTakeFirstOrThrow());
  return { id: row.id, position: row.position, rows: row.rows, done: row.state === 'done' };
}

export async function saveArchiveCheckpoint(db: Kysely<Database>, id: number, position: number, rows: number, state: 'running' | 'done' | 'failed', error: string | null = null): Promise<void> {
  await db.updateTable('import_checkpoints').set({ position, rows, state, error, updated_at: sql<Date>`now()` }).where('id', '=', id).execute();
}
