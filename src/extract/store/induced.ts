// Saved induced adapters (migration 0250): versioned per agency and adapter id, audited, and found again by the
// market whose captures they read (`extract --reparse`).
import type { Kysely } from 'kysely';
import { appendAudit, type Database } from '../../store/index.ts';
import type { Adapter } from '../adapter/types.ts';
import { compareVersions } from '../adapter/validate.ts';
import { adapterFromJson, adapterToJson } from '../induce/serialize.ts';

export interface AdapterOwner {
  agencyId: number;
  userId: number | null;
  /** 'user:anna', 'cli:root'. */
  actor: string;
}

export interface SavedAdapter {
  id: number;
  adapterId: string;
  version: string;
  market: string;
  marketId: number | null;
  hosts: string[];
  labels: number | null;
  createdBy: string;
  createdAt: string;
}

function nextPatch(v: string): string {
  const [a, b, c] = v.split(/[-+]/)[0]!.split('.').map(Number);
  return `${a ?? 1}.${b ?? 0}.${(c ?? 0) + 1}`;
}

/**
 * Saves an adapter as the next version of its id for the agency: its own version when that is newer than every
 * saved one, else the next patch version after the latest. The market is the given slug or, failing that, the
 * agency's market whose onion is one of the adapter's hosts.
 */
export async function saveInducedAdapter(
  db: Kysely<Database>,
  owner: AdapterOwner,
  adapter: Adapter,
  opts: { marketSlug?: string; labels?: number } = {},
): Promise<{ id: number; version: string; market: string | null }> {
  return db.transaction().execute(async (trx) => {
    const prev = await trx.selectFrom('induced_adapters').select(['version', 'seq']).where('agency_id', '=', owner.agencyId).where('adapter_id', '=', adapter.id).execute();
    const latest = prev.reduce<string | null>((m, r) => (m === null || compareVersions(r.version, m) > 0 ? r.version : m), null);
    const version = latest === null || compareVersions(adapter.version, latest) > 0 ? adapter.version : nextPatch(latest);
    const seq = prev.reduce((m, r) => Math.max(m, r.seq), 0) + 1;
    let market: { id: number; slug: string } | undefined;
    if (opts.marketSlug) {
      market = await trx.selectFrom('markets').select(['id', 'slug']).where('agency_id', '=', owner.agencyId).where('slug', '=', opts.marketSlug).executeTakeFirst();
      if (!market) throw new Error(`no market with slug "${opts.marketSlug}" in this agency`);
    } else if ((adapter.hosts ?? []).length > 0) {
      market = await trx
        .selectFrom('market_onions as o')
        .innerJoin('markets as m', 'm.id', 'o.market_id')
        .select(['m.id', 'm.slug'])
        .where('m.agency_id', '=', owner.agencyId)
        .where('o.onion', 'in', adapter.hosts!.map((h) => h.toLowerCase()))
        .orderBy('m.id')
        .executeTakeFirst();
    }
    const stored: Adapter = { ...adapter, version };
    const row = await trx
      .insertInto('induced_adapters')
      .values({
        agency_id: owner.agencyId,
        adapter_id: adapter.id,
        version,
        seq,
        market: adapter.market,
        market_id: market?.id ?? null,
        hosts: (adapter.hosts ?? []).map((h) => h.toLowerCase()),
        body: adapterToJson(stored),
        labels: opts.labels ?? null,
        created_by: owner.actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      agencyId: owner.agencyId,
      userId: owner.userId,
      actor: owner.actor,
      action: 'adapter.save',
      objectType: 'induced_adapter',
      objectId: `${adapter.id}@${version}`,
      detail: { market: market?.slug ?? null, hosts: adapter.hosts ?? [], labels: opts.labels ?? null },
    });
    return { id: Number(row.id), version, market: market?.slug ?? null };
  });
}

function rowToSaved(r: { id: number; adapter_id: string; version: string; market: string; market_id: number | null; hosts: string[]; labels: number | null; created_by: string; created_at: Date }): SavedAdapter {
  return {
    id: Number(r.id),
    adapterId: r.adapter_id,
    version: r.version,
    market: r.market,
    marketId: r.market_id,
    hosts: r.hosts,
    labels: r.labels,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export async function listInducedAdapters(db: Kysely<Database>, agencyId: number): Promise<SavedAdapter[]> {
  const rows = await db
    .selectFrom('induced_adapters')
    .select(['id', 'adapter_id', 'version', 'market', 'market_id', 'hosts', 'labels', 'created_by', 'created_at'])
    .where('agency_id', '=', agencyId)
    .orderBy('adapter_id')
    .orderBy('seq')
    .execute();
  return rows.map(rowToSaved);
}

const bodyText = (b: unknown) => (typeof b === 'string' ? b : JSON.stringify(b));

/** A saved adapter by 'id' (latest version) or 'id@version'. */
export async function loadInducedAdapter(db: Kysely<Database>, agencyId: number, ref: string): Promise<{ saved: SavedAdapter; adapter: Adapter } | null> {
  const [id, version] = ref.split('@');
  const row = await db
    .selectFrom('induced_adapters')
    .selectAll()
    .where('agency_id', '=', agencyId)
    .where('adapter_id', '=', id!)
    .$if(version !== undefined, (q) => q.where('version', '=', version!))
    .orderBy('seq', 'desc')
    .executeTakeFirst();
  if (!row) return null;
  return { saved: rowToSaved(row), adapter: adapterFromJson(bodyText(row.body)) };
}

/**
 * The latest induced adapter per agency and market (and per agency and host, for captures of markets saved
 * without one), for `extractCaptures`. Keys: `m:<agency>:<market id>` and `h:<agency>:<host>`.
 */
export async function inducedAdapterIndex(db: Kysely<Database>): Promise<Map<string, Adapter>> {
  const rows = await db.selectFrom('induced_adapters').select(['agency_id', 'adapter_id', 'market_id', 'hosts', 'body', 'seq']).orderBy('seq').execute();
  const out = new Map<string, Adapter>();
  for (const r of rows) {
    let adapter: Adapter;
    try {
      adapter = adapterFromJson(bodyText(r.body));
    } catch {
      continue; // a row that no longer validates is skipped, never run
    }
    if (r.market_id !== null) out.set(`m:${r.agency_id}:${r.market_id}`, adapter);
    for (const h of r.hosts) out.set(`h:${r.agency_id}:${h}`, adapter);
  }
  return out;
}
