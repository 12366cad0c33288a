import { sql } from 'kysely';
import { z } from 'zod';
import { ChainSourceError, draftExchangeRequest, MoneyInputError, runMoneyTrace, type CashOutReport } from '../../money/index.ts';
import { exchangeDb } from '../exchange/index.ts';
import { ACCESS, canWriteRow, visibleSql } from '../access/policy.ts';
import { ApiError, badRequest, conflict, forbidden } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, visibleOr404, who } from './common.ts';

/**
 * Follow the money for an identity (docs/money.md): the bitcoin addresses its accounts showed, the latest cash-out
 * report traced from them (src/money `runMoneyTrace`, the same computation as `darkpatrol money trace`), draft
 * requests to the exchanges, and the financial partner feed that delivers a draft to the partner it is addressed to.
 */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  const identityOf = async (req: { principal: Parameters<typeof who>[0]; params: { id: number } }) => {
    const p = who(req.principal);
    const i = visibleOr404(p, await db.selectFrom('identities').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'identity', req.params.id);
    return { p, i };
  };

  /** The identity's bitcoin addresses as the caller sees them, each with the sightings (vendor, market, capture). */
  const addressesOf = async (p: ReturnType<typeof who>, identityId: number) => {
    const rows = await sql<{ address: string; vendor_id: number; handle: string; market: string | null; source: string; capture_id: number | null; url: string | null; observed_at: Date }>`
      select s.value as address, v.id as vendor_id, v.handle, m.name as market, ss.source, ss.capture_id, c.url, ss.observed_at
      from identity_members im join vendors v on v.id = im.vendor_id left join markets m on m.id = v.market_id and ${visibleSql(p, 'm')}
      join selector_sightings ss on ss.vendor_id = v.id join selectors s on s.id = ss.selector_id
      left join captures c on c.id = ss.capture_id and ${visibleSql(p, 'c')}
      where im.identity_id = ${identityId} and s.kind = 'btc_address' and ${visibleSql(p, 'v')} and ${visibleSql(p, 'ss')} and ${visibleSql(p, 's')}
      order by s.value, ss.observed_at limit 2000`.execute(db);
    const byAddress = new Map<string, { address: string; sightings: Array<{ vendorId: number; handle: string; market: string | null; source: string; captureId: number | null; url: string | null; observedAt: string }> }>();
    for (const r of rows.rows) {
      const a = byAddress.get(r.address) ?? byAddress.set(r.address, { address: r.address, sightings: [] }).get(r.address)!;
      a.sightings.push({ vendorId: r.vendor_id, handle: r.handle, market: r.market, source: r.source, captureId: r.capture_id, url: r.url, observedAt: new Date(r.observed_at).toISOString() });
    }
    return [...byAddress.values()];
  };

  const latestReport = async (p: ReturnType<typeof who>, identityId: number) =>
    db.selectFrom('money_reports as r').selectAll('r').where('r.identity_id', '=', identityId).where(visibleSql(p, 'r')).orderBy('r.id', 'desc').limit(1).executeTakeFirst();

  app.get(
    '/identities/:id/money',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'money.read' } },
      schema: { tags: ['money'], summary: "Follow the money: the identity's bitcoin addresses with their market evidence, and the latest cash-out report (clusters, exchanges with deposit addresses, BTC/USD/EUR, dates, txids, paths)", params: idParams },
    },
    async (req) => {
      const { p, i } = await identityOf(req);
      const [addresses, row] = await Promise.all([addressesOf(p, i.id), latestReport(p, i.id)]);
      const requests = row
        ? await db.selectFrom('money_requests as q').leftJoin('agencies as a', 'a.id', 'q.partner_agency_id')
            .select(['q.id', 'q.exchange', 'q.case_ref', 'q.created_at', 'q.created_by', 'a.code as partner_agency'])
            .where('q.identity_id', '=', i.id).where(visibleSql(p, 'q')).orderBy('q.id').execute()
        : [];
      req.auditObject = { type: 'identity', id: String(i.id), detail: { report: row?.id ?? null } };
      return {
        identity: { id: i.id, label: i.label, tlp: i.tlp },
        sourceConfigured: Boolean(opts.chain?.esplora || opts.chain?.rpc),
        addresses,
        report: row ? { id: row.id, source: row.source, createdAt: new Date(row.created_at).toISOString(), createdBy: row.created_by, preserved: { captures: row.preserved_captures, txs: row.preserved_txs }, ...(row.report as CashOutReport) } : null,
        requests,
      };
    },
  );

  app.post(
    '/identities/:id/money/trace',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'money.trace' } },
      schema: {
        tags: ['money'],
        summary: "Trace value from the identity's bitcoin addresses with the configured chain source (serve --chain-esplora / --chain-rpc) and keep the cash-out report; 409 without a source, 502 when the source fails (nothing is kept)",
        params: idParams,
        body: z
          .object({
            hops: z.number().int().min(1).max(50).default(6),
            from: z.number().int().min(0).optional().describe('first block to ingest (Bitcoin Core RPC only; default tip − 143)'),
            to: z.number().int().min(0).optional().describe('last block to ingest (Bitcoin Core RPC only; default the tip)'),
          })
          .strict()
          .default({ hops: 6 }),
      },
    },
    async (req, reply) => {
      const { p, i } = await identityOf(req);
      if (!canWriteRow(p, i)) throw forbidden('only the owning agency may trace this identity');
      const chain = opts.chain;
      if (!chain?.esplora && !chain?.rpc) throw conflict('no chain source is configured: start the server with --chain-esplora URL or --chain-rpc URL');
      const addresses = (await addressesOf(p, i.id)).map((a) => a.address);
      if (addresses.length === 0) throw conflict(`identity ${i.id} has no bitcoin address in the store: nothing to trace`);
      const body = req.body ?? { hops: 6 };
      let result: Awaited<ReturnType<typeof runMoneyTrace>>;
      const source = chain.esplora ? `esplora ${chain.esplora}` : `bitcoin-core ${chain.rpc!.url}`;
      try {
        result = await runMoneyTrace(db, {
          agencyId: p.agencyId, addresses, subject: `identity ${i.id} (${i.label})`, maxHops: body.hops, timeoutMs: chain.timeoutMs, evidenceDir: chain.evidenceDir,
          ...(chain.esplora ? { esplora: chain.esplora } : { rpc: { ...chain.rpc!, from: body.from, to: body.to } }),
        });
      } catch (e) {
        if (e instanceof ChainSourceError) throw new ApiError(502, 'chain_source_failed', `the chain source (${source}) failed (${e.kind}): ${e.message}; nothing was kept`);
        if (e instanceof MoneyInputError) throw badRequest(e.message);
        throw e;
      }
      const row = await db
        .insertInto('money_reports')
        .values({ agency_id: p.agencyId, tlp: i.tlp, identity_id: i.id, source, report: JSON.stringify(result.report), preserved_captures: result.preserved.captures, preserved_txs: result.preserved.txs, created_by: p.actor })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      const r = result.report;
      req.auditObject = { type: 'identity', id: String(i.id), detail: { report: row.id, source, start: addresses.length, exchanges: r.exchanges.map((x) => x.label), preserved: result.preserved } };
      return reply.code(201).send({ id: row.id, source, createdAt: new Date(row.created_at).toISOString(), createdBy: p.actor, preserved: result.preserved, ...r });
    },
  );

  app.post(
    '/identities/:id/money/requests',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'money.request' } },
      schema: {
        tags: ['money'],
        summary: 'Draft a preservation/production request to each exchange (or one) of the latest cash-out report; optionally addressed to a financial partner agency, which then receives it on GET /api/feed/financial/requests',
        params: idParams,
        body: z
          .object({
            exchange: z.string().min(1).max(200).optional().describe('the exchange label in the report; default every exchange'),
            caseRef: z.string().min(1).max(200).optional(),
            partnerAgency: z.string().min(1).max(32).optional().describe('code of the financial partner agency the draft is addressed to'),
          })
          .strict()
          .default({}),
      },
    },
    async (req, reply) => {
      const { p, i } = await identityOf(req);
      if (!canWriteRow(p, i)) throw forbidden('only the owning agency may draft requests for this identity');
      const row = await latestReport(p, i.id);
      if (!row || row.agency_id !== p.agencyId) throw conflict(`identity ${i.id} has no cash-out report yet: run a trace first`);
      const report = row.report as CashOutReport;
      const body = req.body ?? {};
      const exchanges = body.exchange ? report.exchanges.filter((x) => x.label === body.exchange) : report.exchanges;
      if (body.exchange && exchanges.length === 0) throw badRequest(`exchange ${JSON.stringify(body.exchange)} is not in report ${row.id} (${report.exchanges.map((x) => x.label).join(', ') || 'no exchange'})`);
      if (exchanges.length === 0) throw conflict(`report ${row.id} names no exchange: nothing to request`);
      let partner: { id: number; code: string } | undefined;
      if (body.partnerAgency) {
        partner = await exchangeDb(db).selectFrom('agencies').select(['id', 'code']).where('code', '=', body.partnerAgency.toUpperCase()).executeTakeFirst();
        if (!partner) throw badRequest(`no agency with code ${JSON.stringify(body.partnerAgency)}`);
      }
      const agency = await exchangeDb(db).selectFrom('agencies').select(['code', 'name']).where('id', '=', p.agencyId).executeTakeFirstOrThrow();
      const drafts = exchanges.map((x) => ({ exchange: x.label, body: draftExchangeRequest(report, x, { caseRef: body.caseRef, agency: `${agency.name} (${agency.code})` }) }));
      const created = await db
        .insertInto('money_requests')
        .values(drafts.map((d) => ({ agency_id: p.agencyId, tlp: i.tlp, identity_id: i.id, report_id: row.id, exchange: d.exchange, partner_agency_id: partner?.id ?? null, case_ref: body.caseRef ?? null, body: d.body, created_by: p.actor })))
        .returning(['id', 'exchange', 'created_at'])
        .execute();
      req.auditObject = { type: 'identity', id: String(i.id), detail: { report: row.id, requests: created.map((c) => c.id), exchanges: created.map((c) => c.exchange), partner: partner?.code ?? null } };
      return reply.code(201).send({
        report: row.id,
        partnerAgency: partner?.code ?? null,
        requests: created.map((c, k) => ({ id: c.id, exchange: c.exchange, createdAt: new Date(c.created_at).toISOString(), body: drafts[k]!.body })),
      });
    },
  );

  app.get(
    '/feed/financial/requests',
    {
      config: { access: { ...ACCESS.feed, audit: 'feed.financial.requests' } },
      schema: { tags: ['feed'], summary: "Partner feed (financial institutions): the draft requests addressed to the caller's agency (preservation/production of the customer records behind deposit addresses)", querystring: z.object({ since: z.coerce.number().int().min(0).default(0).describe('only requests with a larger id') }) },
    },
    async (req) => {
      const p = who(req.principal);
      const rows = await db
        .selectFrom('money_requests as q').innerJoin('agencies as a', 'a.id', 'q.agency_id')
        .select(['q.id', 'q.tlp', 'q.exchange', 'q.case_ref', 'q.body', 'q.created_at', 'a.code as from_agency'])
        .where('q.partner_agency_id', '=', p.agencyId).where('q.id', '>', req.query.since).orderBy('q.id').limit(500).execute();
      req.auditObject = { type: 'feed', id: 'financial-requests', detail: { requests: rows.map((r) => r.id) } };
      return { feed: 'financial-requests', generatedAt: new Date().toISOString(), requests: rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() })) };
    },
  );
}
