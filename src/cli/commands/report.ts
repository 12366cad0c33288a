import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  basicCounts,
  DEFAULT_REVENUE_OPTIONS,
  DEFAULT_WEIGHTS,
  observedSales,
  revenueSeriesOf,
  revenueTotalOf,
  selectSales,
  estimateRevenue,
  marketDynamics,
  marketLifecycles,
  rankTargets,
  REVENUE_GROUPS,
  substanceWarnings,
  takedownMigration,
  type RankingWeights,
  type RevenueGroup,
  type RevenueOptions,
} from '../../analyse/index.ts';
import { UserError } from '../errors.ts';
import { table } from '../output.ts';
import { commandGroup } from '../group.ts';
import { withStore } from '../store-options.ts';

interface ReportOpts {
  json?: boolean;
  csv?: string;
  feedbackRate: string;
  unitsPerSale: string;
  stock: boolean;
}

const usd = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;

function revenueOptions(o: ReportOpts): RevenueOptions {
  const rate = Number(o.feedbackRate);
  if (!(rate > 0 && rate <= 1)) throw new UserError(`--feedback-rate must be in (0, 1], got ${o.feedbackRate}`);
  const units = Number(o.unitsPerSale);
  if (!(units >= 1)) throw new UserError(`--units-per-sale must be at least 1, got ${o.unitsPerSale}`);
  // The defaults give exactly DEFAULT_REVENUE_OPTIONS, the API's and the console's model.
  if (rate === DEFAULT_REVENUE_OPTIONS.feedbackRate && units === DEFAULT_REVENUE_OPTIONS.unitsPerSale && o.stock === DEFAULT_REVENUE_OPTIONS.useStock) return DEFAULT_REVENUE_OPTIONS;
  return { feedbackRate: rate, feedbackRateRange: [rate * 0.85, Math.min(1, rate * 1.15)], unitsPerSale: units, useStock: o.stock };
}

function csvOf(headers: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => {
    const s = v === null ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Prints a report as a table, JSON, or writes CSV: the same rows three ways. */
function output(o: ReportOpts, value: unknown, headers: string[], rows: (string | number | null)[][]): void {
  if (o.csv) {
    writeFileSync(o.csv, csvOf(headers, rows));
    process.stdout.write(`wrote ${rows.length} row(s) to ${o.csv}\n`);
  } else if (o.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${rows.length ? table(headers, rows) : '(no rows)'}\n`);
}

function common(cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output')
    .option('--csv <file>', 'write the rows as CSV')
    .option('--feedback-rate <r>', 'share of sales that leave visible feedback (calibrate from a seized database)', String(DEFAULT_REVENUE_OPTIONS.feedbackRate))
    .option('--units-per-sale <n>', 'average units per order', String(DEFAULT_REVENUE_OPTIONS.unitsPerSale))
    .option('--no-stock', 'feedback only: do not count units from stock decrements between listing snapshots');
}

export function register(program: Command): void {
  const report = commandGroup(program, 'report', 'analysis reports: revenue, markets, migration, early warning, top targets');

  common(report.command('revenue').description('estimated revenue from feedback, with 95% intervals'))
    .option('--by <group>', `one of ${REVENUE_GROUPS.join(', ')}`, 'vendor')
    .option('--limit <n>', 'rows', '25')
    .action(async (o: ReportOpts & { by: string; limit: string }, cmd: Command) => {
      if (!(REVENUE_GROUPS as readonly string[]).includes(o.by)) throw new UserError(`--by must be one of ${REVENUE_GROUPS.join(', ')}`);
      await withStore(cmd, async (store) => {
        const rows = (await estimateRevenue(store.db, o.by as RevenueGroup, revenueOptions(o))).slice(0, Number(o.limit));
        output(o, rows, [o.by, 'feedback', 'est. sales', 'revenue USD', '95% low', '95% high'], rows.map((r) => [r.label, r.feedback, Math.round(r.sales.value), usd(r.revenueUsd.value), usd(r.revenueUsd.low), usd(r.revenueUsd.high)]));
      });
    });

  common(report.command('series').description('revenue over time (the console\'s revenue chart): the day, week or month of each sale; optionally of some accounts or one market'))
    .option('--bucket <b>', 'day, week or month', 'month')
    .option('--vendor <id...>', 'only these vendor accounts (an identity: all its accounts)')
    .option('--market <id>', 'only this market (id)')
    .option('--since <date>', 'only sales from this date (YYYY-MM-DD)')
    .action(async (o: ReportOpts & { bucket: string; vendor?: string[]; market?: string; since?: string }, cmd: Command) => {
      if (!['day', 'week', 'month'].includes(o.bucket)) throw new UserError('--bucket must be day, week or month');
      const vendorIds = o.vendor?.map((v) => {
        if (!/^\d+$/.test(v)) throw new UserError(`--vendor takes vendor ids, got "${v}"`);
        return Number(v);
      });
      if (o.market !== undefined && !/^\d+$/.test(o.market)) throw new UserError(`--market takes a market id, got "${o.market}"`);
      const since = o.since ? new Date(`${o.since}T00:00:00Z`) : undefined;
      if (since && Number.isNaN(since.getTime())) throw new UserError(`--since must be YYYY-MM-DD, got "${o.since}"`);
      await withStore(cmd, async (store) => {
        const opts = revenueOptions(o);
        const sales = selectSales(await observedSales(store.db, opts), { vendorIds, marketId: o.market === undefined ? undefined : Number(o.market), since });
        const points = revenueSeriesOf(sales, o.bucket as 'day' | 'week' | 'month', opts);
        const total = revenueTotalOf(sales, opts);
        if (o.json) return void process.stdout.write(`${JSON.stringify({ total, points }, null, 2)}\n`);
        output(o, points, ['period', 'feedback', 'est. sales', 'revenue USD', '95% low', '95% high'], points.map((p) => [p.period, p.feedback, Math.round(p.sales), usd(p.usd), usd(p.usdLow), usd(p.usdHigh)]));
        if (!o.csv) process.stdout.write(`total ${usd(total.usd)} (95% ${usd(total.usdLow)}–${usd(total.usdHigh)}) from ${total.feedback} feedback\n`);
      });
    });

  report.command('counts').description('the overview\'s counts: markets, vendors, listings, feedback, identities, proposed links')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const counts = await basicCounts(store.db);
        if (o.json) return void process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
        process.stdout.write(`${table(['what', 'count'], Object.entries(counts).map(([k, v]) => [k.replace('_', ' '), v]))}\n`);
      });
    });

  common(report.command('markets').description('listings, vendors, revenue and share per market and month; lifecycle events'))
    .action(async (o: ReportOpts, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const rows = await marketDynamics(store.db, revenueOptions(o));
        const life = await marketLifecycles(store.db);
        if (o.json) return void process.stdout.write(`${JSON.stringify({ months: rows, lifecycles: life }, null, 2)}\n`);
        output(o, rows, ['market', 'month', 'listings', 'vendors', 'revenue USD', 'share'], rows.map((r) => [r.market, r.month, r.listings, r.vendors, r.revenueUsd ? usd(r.revenueUsd.value) : '-', `${(r.share * 100).toFixed(1)}%`]));
        if (!o.csv) for (const l of life) process.stdout.write(`${l.market}: ${l.status}${l.uptime !== null ? `, uptime ${(l.uptime * 100).toFixed(0)}%` : ''}${l.events.length ? ` — ${l.events.map((e) => `${e.kind} ${e.at.toISOString().slice(0, 10)}`).join(', ')}` : ''}\n`);
      });
    });

  common(report.command('migration <market>').description('where a seized or exit-scammed market\'s vendors went'))
    .action(async (market: string, o: ReportOpts, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const r = await takedownMigration(store.db, market).catch((e: Error) => {
          throw new UserError(e.message);
        });
        if (o.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        process.stdout.write(`${r.closure.market} ${r.closure.kind} on ${r.closure.at.toISOString().slice(0, 10)}: ${r.identities.length} vendor identities, ${(r.reappeared * 100).toFixed(0)}% reappeared\n`);
        output(o, r.flows, ['from', 'to', 'identities', 'median days'], r.flows.map((f) => [f.from, f.to ?? '(not seen again)', f.identities, f.medianDays === null ? '-' : f.medianDays.toFixed(0)]));
        const multi = r.identities.filter((i) => i.activeOn.length > 1);
        if (!o.csv && multi.length) process.stdout.write(`${multi.length} identit${multi.length === 1 ? 'y was' : 'ies were'} active on more than one market afterwards: ${multi.map((i) => `${i.identity} (${i.activeOn.join(', ')})`).join('; ')}
`);
      });
    });

  common(report.command('warnings').description('new and fast-growing substances (opioids first)'))
    .option('--window <days>', 'recent window in days', '30')
    .action(async (o: ReportOpts & { window: string }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const rows = await substanceWarnings(store.db, { windowDays: Number(o.window) });
        output(o, rows, ['priority', 'substance', 'class', 'reason', 'recent', 'before', 'first seen'], rows.map((r) => [r.priority, r.substance, r.substanceClass, r.reason, r.recent, r.before, r.firstSeen.toISOString().slice(0, 10)]));
      });
    });

  common(report.command('targets').description('explainable top-target ranking'))
    .option('--limit <n>', 'rows', '20')
    .option('--weights <json>', `factor weights, e.g. '${JSON.stringify(DEFAULT_WEIGHTS)}'`)
    .action(async (o: ReportOpts & { limit: string; weights?: string }, cmd: Command) => {
      let weights: RankingWeights = DEFAULT_WEIGHTS;
      if (o.weights) {
        try {
          weights = { ...DEFAULT_WEIGHTS, ...(JSON.parse(o.weights) as Partial<RankingWeights>) };
        } catch {
          throw new UserError('--weights must be JSON, e.g. {"revenue":0.5,"harm":0.3}');
        }
      }
      await withStore(cmd, async (store) => {
        const rows = await rankTargets(store.db, revenueOptions(o), weights, Number(o.limit));
        output(o, rows, ['rank', 'target', 'accounts', 'score', 'revenue', 'harm', 'reach', 'persistence', 'identifiability'], rows.map((r) => [r.rank, r.label, r.accounts, r.score.toFixed(3), r.factors.revenue.contribution.toFixed(3), r.factors.harm.contribution.toFixed(3), r.factors.reach.contribution.toFixed(3), r.factors.persistence.contribution.toFixed(3), r.factors.identifiability.contribution.toFixed(3)]));
      });
    });
}
