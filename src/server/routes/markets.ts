import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { EVENT_STATUS, MARKET_EVENT_KINDS, MARKET_STATUSES, SOURCE_KINDS } from '../../domain/market.ts';
import { NoClosureError, takedownMigration } from '../../analyse/index.ts';
import { withVisibleRows } from '../services/scope.ts';
import { marketCountsAge, refreshMarketCounts, type Database } from '../../store/index.ts';
import { ACCESS, canWriteRow, visibleSql } from '../access/policy.ts';
import { hideInvisibleRefs } from '../access/refs.ts';
import type { Principal } from '../auth/principal.ts';
import { forbidden } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, tlpEnum, toPage, visibleOr404, who } from './common.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/markets',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'market.list' } },
      schema: { tags: ['markets'], summary: 'Markets and other sources, with vendor and listing counts', querystring: z.object({ ...page, status: z.enum(MARKET_STATUSES).optional(), kind: z.enum(SOURCE_KINDS).optional(), q: z.string().max(100).optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      let sel = db
        .selectFrom('markets as m')
        .select(['m.id', 'm.slug', 'm.name', 'm.kind', 'm.status', 'm.tlp', 'm.agency_id', 'm.first_seen', 'm.last_seen'])
        .where(visibleSql(p, 'm'));
      if (q.status) sel = sel.where('m.status', '=', q.status);
      if (q.kind) sel = sel.where('m.kind', '=', q.kind);
      if (q.q) sel = sel.where((eb) => eb.or([eb('m.name', 'ilike', `%${escapeLike(q.q!)}%`), eb('m.slug', 'ilike', `%${escapeLike(q.q!)}%`)]));
      const page = toPage(await sel.orderBy('m.name').orderBy('m.id').limit(q.limit + 1).offset(q.offset).execute(), q.limit, q.offset);
      const { counts, asOf } = await marketCounts(db, p, page.items.map((m) => m.id));
      return { ...page, countsAsOf: asOf, items: page.items.map((m) => ({ ...m, vendors: counts.get(m.id)?.vendors ?? 0, listings: counts.get(m.id)?.listings ?? 0 })) };
    },
  );

  app.get('/markets/:id', { config: { access: { ...ACCESS.intelRead, audit: 'market.read' } }, schema: { tags: ['markets'], summary: 'A market: onions, lifecycle events, counts', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const m = visibleOr404(p, await db.selectFrom('markets').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'market', req.params.id);
    const [onions, events, counts] = await Promise.all([
      db.selectFrom('market_onions').selectAll().where('market_id', '=', m.id).orderBy('first_seen').execute(),
      db.selectFrom('market_events as e').selectAll().where('e.market_id', '=', m.id).where(visibleSql(p, 'e')).orderBy('observed_at').limit(1000).execute().then((rows) => hideInvisibleRefs(db, p, rows, { capture_id: 'captures' })),
      marketCounts(db, p, [m.id]),
    ]);
    req.auditObject = { type: 'market', id: String(m.id) };
    return { market: m, onions, events, counts: { ...(counts.counts.get(m.id) ?? { vendors: 0, listings: 0, feedback: 0 }), asOf: counts.asOf } };
  });

  app.post(
    '/markets/:id/events',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'market.event.create' } },
      schema: { tags: ['markets'], summary: 'Record a lifecycle event (e.g. seized) and update the market status', params: idParams, body: z.object({ kind: z.enum(MARKET_EVENT_KINDS), observedAt: z.iso.datetime().optional(), detail: z.string().max(2000).default(''), tlp: tlpEnum.optional() }) },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const m = visibleOr404(p, await db.selectFrom('markets').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'market', req.params.id);
      if (!canWriteRow(p, m)) throw forbidden('only the owning agency records events on this market');
      const b = req.body;
      const ev = await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('market_events')
          .values({ agency_id: p.agencyId, tlp: b.tlp ?? m.tlp, market_id: m.id, kind: b.kind, observed_at: b.observedAt ?? new Date(), detail: b.detail })
          .returningAll()
          .executeTakeFirstOrThrow();
        const status = EVENT_STATUS[b.kind];
        if (status) await trx.updateTable('markets').set({ status }).where('id', '=', m.id).execute();
        return row;
      });
      req.auditObject = { type: 'market', id: String(m.id), detail: { event: b.kind } };
      return reply.code(201).send(ev);
    },
  );

  // Where did this market's vendors go? src/analyse's takedown migration (the CLI's `report migration`), computed on
  // the rows the caller may see: one computation for console, API and CLI.
  app.get('/markets/:id/migration', { config: { access: { ...ACCESS.intelRead, audit: 'market.migration' } }, schema: { tags: ['markets'], summary: 'Takedown migration (src/analyse, as `darkpatrol report migration`): where this market\'s identities were first active after its seizure, exit scam or closure', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const m = visibleOr404(p, await db.selectFrom('markets').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'market', req.params.id);
    req.auditObject = { type: 'market', id: String(m.id) };
    const market = { id: m.id, name: m.name, slug: m.slug, status: m.status };
    return withVisibleRows(db, p, async (scoped) => {
      const report = await takedownMigration(scoped, { id: m.id }).catch((e: unknown) => {
        if (e instanceof NoClosureError) return null;
        throw e;
      });
      if (!report) return { market, closure: null, identities: 0, reappeared: 0, flows: [] };
      const slugs = report.flows.flatMap((f) => (f.to ? [f.to] : []));
      const dest = slugs.length ? await scoped.selectFrom('markets').select(['id', 'slug', 'name']).where('slug', 'in', slugs).execute() : [];
      const bySlug = new Map(dest.map((d) => [d.slug, d]));
      return {
        market,
        closure: { kind: report.closure.kind, at: report.closure.at },
        identities: report.identities.length,
        reappeared: report.reappeared,
        flows: report.flows.map((f) => ({ to: f.to, market_id: f.to ? (bySlug.get(f.to)?.id ?? null) : null, name: f.to ? (bySlug.get(f.to)?.name ?? f.to) : null, identities: f.identities, medianDays: f.medianDays })),
      };
    });
  });
}

export function escapeLike(s: string): string {
  return s.replace(/[%_\\]/g, '\\$&');
}

/** Counts older than this are refreshed in the background (the answer still carries the older ones). */
const COUNTS_MAX_AGE_MS = 60_000;
const refreshing = new WeakSet<Kysely<Database>>();

interface Counts {
  vendors: number;
  listings: number;
  feedback: number;
}

/**
 * Vendor, listing and feedback counts of these markets that p may see, from the materialised market_counts
 * (migration 0501): a few rows per market instead of a scan of every listing per request. Never refreshed yet:
 * refreshed now; older than a minute: refreshed in the background, once at a time per store.
 */
export async function marketCounts(db: Kysely<Database>, p: Principal, ids: number[]): Promise<{ counts: Map<number, Counts>; asOf: Date | null }> {
  let asOf = await marketCountsAge(db);
  if (!asOf) asOf = await refreshMarketCounts(db);
  else if (Date.now() - asOf.getTime() > COUNTS_MAX_AGE_MS && !refreshing.has(db)) {
    refreshing.add(db);
    refreshMarketCounts(db)
      .catch(() => undefined) // the next request tries again; the answer never depended on it
      .finally(() => refreshing.delete(db));
  }
  if (ids.length === 0) return { counts: new Map(), asOf };
  const r = await sql<{ market_id: number } & Counts>`
    select market_id, sum(vendors)::int as vendors, sum(listings)::int as listings, sum(feedback)::int as feedback
    from market_counts c where market_id = any(${ids}::int[]) and ${visibleSql(p, 'c')} group by market_id`.execute(db);
  return { counts: new Map(r.rows.map(({ market_id, ...c }) => [market_id, c])), asOf };
}
