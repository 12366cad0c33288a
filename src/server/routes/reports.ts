import { z } from 'zod';
import { basicCounts, revenueSeriesOf, revenueTotalOf, selectSales, marketDynamics, marketLifecycles, REVENUE_GROUPS, substanceWarnings } from '../../analyse/index.ts';
import { ACCESS, visibleSql } from '../access/policy.ts';
import { shippingFlowMap, shippingFlows } from '../services/flows.ts';
import { API_REVENUE_OPTIONS, visibleRevenue, visibleSales } from '../services/revenue.ts';
import { withVisibleRows } from '../services/scope.ts';
import { topTargets } from '../services/targets.ts';
import type { RouteContext } from '../types.ts';
import { who } from './common.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/reports/overview',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'report.overview' } },
      schema: { tags: ['reports'], summary: 'Dashboard: counts, revenue over time, shipping flows, market status, alerts', querystring: z.object({ bucket: z.enum(['day', 'week', 'month']).default('week'), days: z.coerce.number().int().min(1).max(3650).default(365) }) },
    },
    async (req) => {
      const p = who(req.principal);
      const since = new Date(Date.now() - req.query.days * 86_400_000);
      const [counts, revenue, flows, markets, alerts] = await Promise.all([
        withVisibleRows(db, p, (scoped) => basicCounts(scoped)),
        visibleSales(db, p).then((all) => {
          const sales = selectSales(all, { since });
          return { series: revenueSeriesOf(sales, req.query.bucket, API_REVENUE_OPTIONS), total: revenueTotalOf(sales, API_REVENUE_OPTIONS) };
        }),
        shippingFlows(db, p, since, false),
        db.selectFrom('markets as m').select(['m.status']).select((eb) => eb.fn.countAll<number>().as('n')).where(visibleSql(p, 'm')).groupBy('m.status').execute(),
        db.selectFrom('market_events as e').innerJoin('markets as m', 'm.id', 'e.market_id').select(['e.id', 'e.kind', 'e.observed_at', 'e.detail', 'm.name as market', 'm.id as market_id'])
          .where(visibleSql(p, 'e')).where(visibleSql(p, 'm')).where('e.kind', 'in', ['seized', 'exit_scam', 'down', 'moved', 'launched']).orderBy('e.observed_at', 'desc').limit(10).execute(),
      ]);
      return { counts, revenue: revenue.series, revenueTotal: revenue.total, flows, marketStatus: markets, alerts };
    },
  );

  app.get(
    '/reports/shipping-flows',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'report.shipping_flows' } },
      schema: {
        tags: ['reports'],
        summary: 'Shipping-flow map: ships-from → ships-to listing counts placed on ISO 3166-1 countries, and per origin its estimated revenue (src/analyse)',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(3650).default(365), limit: z.coerce.number().int().min(1).max(1000).default(300) }),
      },
    },
    async (req) => shippingFlowMap(db, who(req.principal), new Date(Date.now() - req.query.days * 86_400_000), req.query.limit),
  );

  app.get(
    '/reports/targets',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'report.targets' } },
      schema: { tags: ['reports'], summary: 'Top-target ranking with a per-factor explanation', querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(25) }) },
    },
    async (req) => ({ items: await topTargets(db, who(req.principal), req.query.limit) }),
  );

  // The CLI's `report revenue|markets|warnings`, computed by src/analyse over the rows the caller may see.
  app.get(
    '/reports/revenue',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'report.revenue' } },
      schema: {
        tags: ['reports'],
        summary: 'Estimated revenue with 95% intervals, by vendor, identity, market, substance class, ships-from country or month',
        querystring: z.object({ by: z.enum(REVENUE_GROUPS).default('vendor'), limit: z.coerce.number().int().min(1).max(1000).default(25) }),
      },
    },
    async (req) => ({ by: req.query.by, items: (await visibleRevenue(db, who(req.principal), req.query.by)).slice(0, req.query.limit) }),
  );

  app.get(
    '/reports/markets',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'report.markets' } },
      schema: { tags: ['reports'], summary: 'Market dynamics per month (listings, vendors, estimated revenue, share) and lifecycles (uptime, seizure, exit scam)' },
    },
    async (req) =>
      withVisibleRows(db, who(req.principal), async (scoped) => ({ months: await marketDynamics(scoped, API_REVENUE_OPTIONS), lifecycles: await marketLifecycles(scoped) })),
  );

  app.get(
    '/reports/warnings',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'report.warnings' } },
      schema: {
        tags: ['reports'],
        summary: 'New-substance early warning: substances and product terms that newly appear or grow fast (opioids first)',
        querystring: z.object({ windowDays: z.coerce.number().int().min(1).max(365).default(30) }),
      },
    },
    async (req) => ({ items: await withVisibleRows(db, who(req.principal), (scoped) => substanceWarnings(scoped, { windowDays: req.query.windowDays })) }),
  );

  app.get(
    '/feed/shipping',
    {
      config: { access: { ...ACCESS.feed, audit: 'feed.shipping' } },
      schema: { tags: ['feed'], summary: 'Partner feed (postal operators): ships-from → ships-to volumes of CLEAR/GREEN listings, aggregated', querystring: z.object({ days: z.coerce.number().int().min(1).max(3650).default(90) }) },
    },
    async (req) => ({ since: new Date(Date.now() - req.query.days * 86_400_000), flows: await shippingFlows(db, who(req.principal), new Date(Date.now() - req.query.days * 86_400_000), true) }),
  );
}
