import { sql } from 'kysely';
import { z } from 'zod';
import {
  adapterFromJson,
  adapterToJson,
  AdapterError,
  coverageReport,
  induceAdapter,
  LabelError,
  pageStructure,
  parseLabels,
  resolvePaths,
  StructureError,
  type InduceFieldKey,
  type PageInput,
} from '../../extract/index.ts';
import { PAGE_TYPES } from '../../extract/types.ts';
import { listInducedAdapters, loadInducedAdapter, saveInducedAdapter } from '../../extract/store/induced.ts';
import type { Capture } from '../../store/index.ts';
import { ACCESS, canWriteRow, visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError, badRequest, forbidden, notFound } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, toPage, visibleOr404, who } from './common.ts';

/**
 * Adapter induction in the console: the same functions as `darkpatrol adapter induce/apply/save/list/show`
 * (src/extract/induce, src/extract/store/induced.ts) on a market's stored captures. The analyst picks a few captured
 * pages, sees each as an inert element tree (never the page itself), clicks the element that shows each field, and
 * gets the induced adapter with its per-field coverage on the market's other captures; saving is versioned and
 * audited as the CLI's save is.
 */

/** The fields the screen offers, by the names the analyst sees, and the induction field each one labels. */
export const SCREEN_FIELDS = {
  title: 'listing.title',
  price: 'listing.price',
  vendor: 'listing.vendorHandle',
  ships_from: 'listing.shipsFrom',
  ships_to: 'listing.shipsTo',
  category: 'listing.category',
  description: 'listing.description',
  handle: 'vendor.handle',
  rating: 'vendor.rating',
  level: 'vendor.level',
} as const satisfies Record<string, InduceFieldKey>;
/** `currency` is not a field of its own: clicked apart from the price, the price is read from their common block. */
const FIELD_NAMES = [...Object.keys(SCREEN_FIELDS), 'currency'];
const TEXT_FIELDS = new Set(['title', 'vendor', 'handle', 'level']);

/** Most captures the coverage report reads (bytes from the WARC files, parsed, the adapter run on each). */
export const COVERAGE_MAX_CAPTURES = 400;
const MAX_EXAMPLES = 20;

const pathValue = z.union([z.string().min(1).max(2000), z.array(z.string().min(1).max(2000)).min(1).max(50)]);
const example = z.object({
  captureId: z.number().int().positive().max(2 ** 31 - 1),
  pageType: z.enum(PAGE_TYPES),
  fields: z.record(z.string().max(40), pathValue).default({}),
  /** The rating scale when the page prints none (e.g. 5 for "4.96"). */
  ratingMax: z.number().positive().max(1000).optional(),
});
const adapterIdParams = z.object({ id: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'an adapter id: lowercase letters, digits, - and _') });

export function register({ app, opts, captureBodies }: RouteContext): void {
  const db = opts.store.db;

  /** The captures an adapter reads: the market's own HTML pages with a payload (as `extract` reads them). */
  const pageCaptures = (p: Principal, marketId: number) =>
    db
      .selectFrom('captures as c')
      .leftJoin('capture_parses as cp', 'cp.capture_id', 'c.id')
      .select(['c.id', 'c.url', 'c.fetched_at', 'c.payload_size', 'cp.page_type', 'cp.adapter'])
      .where(visibleSql(p, 'c'))
      .where('c.market_id', '=', marketId)
      .where('c.warc_file', 'is not', null)
      .where('c.refers_to', 'is', null)
      .where((eb) => eb.or([eb.and([eb('c.kind', '=', 'http'), eb('c.http_status', '=', 200)]), eb.and([eb('c.kind', '=', 'archive'), eb.or([eb('c.http_status', 'is', null), eb('c.http_status', '=', 200)])])]))
      .where(sql<boolean>`coalesce(c.content_type, 'text/html') ilike '%html%'`);

  const market = async (p: Principal, id: number) => visibleOr404(p, await db.selectFrom('markets').selectAll().where('id', '=', id).executeTakeFirst(), 'market', id);
  const capture = async (p: Principal, id: number) => visibleOr404(p, await db.selectFrom('captures').selectAll().where('id', '=', id).executeTakeFirst(), 'capture', id);

  /** A capture's payload as the extractor's input; a clear 404 when its bytes are not here. */
  const input = async (c: Capture): Promise<PageInput> => {
    const b = await captureBodies.read(c);
    if (!b) throw new ApiError(404, 'no_payload', `the bytes of capture ${c.id} are not available here (WARC file missing or too large)`);
    return { url: c.url, html: new Uint8Array(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength), capturedAt: c.fetched_at, captureDigest: `sha256:${c.payload_sha256}`, ...(b.contentType ? { contentType: b.contentType } : {}) };
  };

  app.get(
    '/adapters/pages',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'adapter.pages' } },
      schema: { tags: ['adapters'], summary: "A market's captured HTML pages to label for adapter induction: capture id, URL, and the page type its last parse found", querystring: z.object({ ...page, marketId: z.coerce.number().int().positive().max(2 ** 31 - 1) }) },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      const m = await market(p, q.marketId);
      const rows = await pageCaptures(p, m.id).orderBy('c.id').limit(q.limit + 1).offset(q.offset).execute();
      req.auditObject = { type: 'market', id: String(m.id) };
      const pg = toPage(rows, q.limit, q.offset);
      return { ...pg, market: { id: m.id, slug: m.slug, name: m.name }, items: pg.items.map((r) => ({ captureId: r.id, url: r.url, fetchedAt: r.fetched_at, size: r.payload_size, pageType: r.page_type ?? null, parsedBy: r.adapter ?? null })) };
    },
  );

  app.get(
    '/captures/:id/structure',
    { config: { access: { ...ACCESS.intelRead, audit: 'capture.structure' } }, schema: { tags: ['adapters'], summary: 'The captured page as an inert element tree (tag, id, classes, own text, a CSS path per element) for labelling; at most 4000 elements, no page content is ever run', params: idParams } },
    async (req) => {
      const c = await capture(who(req.principal), req.params.id);
      req.auditObject = { type: 'capture', id: String(c.id) };
      let s;
      try {
        s = pageStructure(await input(c));
      } catch (e) {
        if (e instanceof StructureError) throw new ApiError(422, 'unreadable', `capture ${c.id} cannot be read as a page: ${e.message}`);
        throw e;
      }
      return { captureId: c.id, marketId: c.market_id, url: c.url, ...s };
    },
  );

  app.post(
    '/adapters/induce',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'adapter.induce' } },
      schema: {
        tags: ['adapters'],
        summary: `Induce an adapter from labelled captures (clicked element paths per field) and report its per-field coverage on the market's other captures (at most ${COVERAGE_MAX_CAPTURES})`,
        body: z.object({ marketId: z.number().int().positive().max(2 ** 31 - 1), examples: z.array(example).min(1, 'give at least one labelled page').max(MAX_EXAMPLES), version: z.string().regex(/^\d+\.\d+\.\d+$/).default('1.0.0') }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const b = req.body;
      const m = await market(p, b.marketId);
      const seen = new Set<number>();
      const pages: { label: unknown; input: PageInput }[] = [];
      for (const [i, ex] of b.examples.entries()) {
        if (seen.has(ex.captureId)) throw badRequest(`examples[${i}]: capture ${ex.captureId} is labelled twice`);
        seen.add(ex.captureId);
        const c = await capture(p, ex.captureId);
        if (c.market_id !== m.id) throw badRequest(`examples[${i}]: capture ${c.id} is not a capture of market ${m.slug}`);
        const unknown = Object.keys(ex.fields).filter((f) => !FIELD_NAMES.includes(f));
        if (unknown.length > 0) throw badRequest(`examples[${i}]: unknown field '${unknown[0]}' (known: ${FIELD_NAMES.join(', ')})`);
        const pin = await input(c);
        const allPaths = Object.values(ex.fields).flat();
        let r: ReturnType<typeof resolvePaths>;
        try {
          r = resolvePaths(pin, allPaths);
        } catch (e) {
          if (e instanceof StructureError) throw badRequest(`examples[${i}]: capture ${c.id} cannot be read as a page: ${e.message}`);
          throw e;
        }
        if (r.missing !== null) throw badRequest(`examples[${i}]: no element at '${r.missing.slice(0, 200)}' on capture ${c.id}`);
        const fields: Record<string, { css: string | string[] } | string> = {};
        for (const [name, key] of Object.entries(SCREEN_FIELDS)) {
          const v = ex.fields[name];
          if (v === undefined) continue;
          // A name clicked in an element that also holds other things ("JoyInc (680) (4.96)"): its own text is the value.
          const t = typeof v === 'string' && TEXT_FIELDS.has(name) ? r.texts(v) : null;
          fields[key] = t && t.own !== '' && t.own !== t.all ? t.own : { css: v };
        }
        const cur = ex.fields.currency;
        if (cur !== undefined) {
          const price = ex.fields.price;
          if (price === undefined) throw badRequest(`examples[${i}]: currency is read with the price: click the price too`);
          const a = Array.isArray(price) ? price[0]! : price;
          const both = r.common(a, Array.isArray(cur) ? cur[0]! : cur);
          if (both) fields['listing.price'] = { css: both };
        }
        pages.push({ label: { file: `capture:${c.id}`, url: c.url, pageType: ex.pageType, fields, ...(ex.ratingMax ? { ratingMax: ex.ratingMax } : {}) }, input: pin });
      }
      let labels;
      try {
        labels = parseLabels({ market: m.name, id: `induced-${m.slug}`.slice(0, 63).replace(/[^a-z0-9_-]/g, '-'), pages: pages.map((x) => x.label) });
      } catch (e) {
        if (e instanceof LabelError) throw badRequest(e.message);
        throw e;
      }
      let r;
      try {
        r = induceAdapter(labels, labels.pages.map((label, i) => ({ label, input: pages[i]!.input })), { version: b.version });
      } catch (e) {
        if (e instanceof AdapterError) throw new ApiError(422, 'unusable_adapter', `induction produced an unusable adapter: ${e.message}`);
        throw e;
      }
      // Coverage on the rest of the market's captures, a bounded number of them.
      const rest = await pageCaptures(p, m.id)
        .where('c.id', 'not in', [...seen])
        .orderBy('c.id')
        .limit(COVERAGE_MAX_CAPTURES + 1)
        .execute();
      const truncated = rest.length > COVERAGE_MAX_CAPTURES;
      const inputs: { ref: string; input: PageInput }[] = [];
      let unreadable = 0;
      for (const row of rest.slice(0, COVERAGE_MAX_CAPTURES)) {
        const c = await db.selectFrom('captures').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        const b2 = await captureBodies.read(c);
        if (!b2) {
          unreadable++;
          continue;
        }
        inputs.push({ ref: `capture:${c.id}`, input: { url: c.url, html: new Uint8Array(b2.bytes.buffer, b2.bytes.byteOffset, b2.bytes.byteLength), capturedAt: c.fetched_at, captureDigest: `sha256:${c.payload_sha256}`, ...(b2.contentType ? { contentType: b2.contentType } : {}) } });
      }
      const { results: _results, ...coverage } = coverageReport(r.adapter, inputs);
      req.auditObject = { type: 'market', id: String(m.id), detail: { adapter: `${r.adapter.id}@${r.adapter.version}`, examples: b.examples.length, coverageCaptures: inputs.length } };
      return {
        adapter: JSON.parse(adapterToJson(r.adapter)) as unknown,
        fields: r.fields.map((f) => ({ pageType: f.pageType, field: f.field, labelled: f.labelled, correct: f.correct, candidates: f.candidates, chosen: f.chosen.map((c) => c.selector ?? null), problems: f.problems })),
        pageTypeRules: r.pageTypeRules.map((x) => ({ pageType: x.pageType, rule: x.rule ? { selector: x.rule.selector, text: x.rule.text === undefined ? null : String(x.rule.text) } : null, problem: x.problem ?? null })),
        warnings: r.warnings,
        coverage: { ...coverage, failed: coverage.failed.slice(0, 50) },
        coverageCaptures: { read: inputs.length, unreadable, truncated, limit: COVERAGE_MAX_CAPTURES },
      };
    },
  );

  app.post(
    '/adapters',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'adapter.create' } },
      schema: {
        tags: ['adapters'],
        summary: 'Save an induced adapter as the next version of its id for your agency (validated, audited as adapter.save; `extract --reparse` then reads the market with it)',
        body: z.object({ marketId: z.number().int().positive().max(2 ** 31 - 1), adapter: z.record(z.string(), z.unknown()), labels: z.number().int().min(0).max(1000).optional() }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const m = await market(p, req.body.marketId);
      if (!canWriteRow(p, m)) throw forbidden(`only the agency that owns market ${m.slug} saves adapters for it`);
      let adapter;
      try {
        adapter = adapterFromJson(JSON.stringify(req.body.adapter));
      } catch (e) {
        if (e instanceof AdapterError) throw badRequest(`not a usable adapter: ${e.message}`);
        throw e;
      }
      const saved = await saveInducedAdapter(db, { agencyId: p.agencyId, userId: p.userId, actor: p.actor }, adapter, { marketSlug: m.slug, ...(req.body.labels !== undefined ? { labels: req.body.labels } : {}) });
      req.auditObject = { type: 'induced_adapter', id: `${adapter.id}@${saved.version}`, detail: { market: m.slug } };
      return reply.code(201).send({ id: saved.id, adapterId: adapter.id, version: saved.version, market: saved.market });
    },
  );

  app.get('/adapters', { config: { access: { ...ACCESS.intelRead, audit: 'adapter.list' } }, schema: { tags: ['adapters'], summary: "Your agency's induced adapters, every version" } }, async (req) => {
    const p = who(req.principal);
    return { items: await listInducedAdapters(db, p.agencyId) };
  });

  app.get(
    '/adapters/:id',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'adapter.read' } },
      schema: { tags: ['adapters'], summary: 'A saved induced adapter: its versions and the body of the latest (or ?version=)', params: adapterIdParams, querystring: z.object({ version: z.string().regex(/^[0-9A-Za-z.+-]{1,40}$/).optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const id = req.params.id;
      const versions = (await listInducedAdapters(db, p.agencyId)).filter((a) => a.adapterId === id);
      const got = await loadInducedAdapter(db, p.agencyId, req.query.version ? `${id}@${req.query.version}` : id);
      if (!got) throw notFound('adapter', req.query.version ? `${id}@${req.query.version}` : id);
      req.auditObject = { type: 'induced_adapter', id: `${id}@${got.saved.version}` };
      return { versions, saved: got.saved, adapter: JSON.parse(adapterToJson(got.adapter)) as unknown };
    },
  );
}
