import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configureMarketCrawl, runCrawl, runDueCrawls, ProxyConfigError, CrawlConfigError, PROXY_ENV, type CrawlSummary } from '../../collect/index.ts';
import { formatBytes, progressBar } from '../../collect/progress.ts';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

interface RunOpts {
  proxy?: string;
  evidenceDir?: string;
  job?: string;
  account?: string;
  agency?: string;
  case?: string;
  startUrl?: string[];
  waitCaptcha: boolean;
  maxPages?: string;
  json?: boolean;
}

/** Outcomes that mean the crawl could not do its work (exit code 1); down and seized are observations. */
const FAILED_OUTCOMES: readonly CrawlSummary['outcome'][] = ['proxy-unavailable', 'login-failed'];

function summaryText(s: CrawlSummary): string {
  const errors = Object.entries(s.errors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `crawl ${s.jobId} of ${s.market}: ${s.outcome}`,
    `  pages ${s.pages}, requests ${s.requests}, ${formatBytes(s.bytes)} in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  errors: ${errors}; retries ${s.retries}; logins ${s.logins}; CAPTCHAs parked ${s.captchasParked}`,
    `  frontier: ${s.frontier.done} done, ${s.frontier.failed} failed, ${s.frontier.queued} left${s.requeuedOnResume ? `; ${s.requeuedOnResume} requeued on resume` : ''}`,
    `  circuit isolation username: ${s.proxyUsername}`,
    ...(s.stopReason ? [`  stopped because: ${s.stopReason}`] : []),
    ...Object.entries(s.lastErrors).map(([k, m]) => `  last ${k}: ${m}`),
    ...(s.outcome === 'paused-captcha' ? ['  waiting for a human: `darkpatrol captcha list`, then run the same crawl with --job to resume'] : []),
  ].join('\n');
}

async function agencyId(db: Parameters<Parameters<typeof withStore>[1]>[0]['db'], code: string | undefined): Promise<number | undefined> {
  if (!code) return undefined;
  const a = await db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
  if (!a) throw new UserError(`no agency ${code}`);
  return a.id;
}

/** `--case 17` is a case id, `--case BKA-SO-44` a reference in the market's agency. */
function caseOption(v: string | undefined): { caseId?: number; caseRef?: string } {
  if (v === undefined) return {};
  return /^\d+$/.test(v) ? { caseId: Number(v) } : { caseRef: v };
}

function clear<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof ProxyConfigError || err instanceof CrawlConfigError) throw new UserError(err.message);
    throw err;
  });
}

export function register(program: Command): void {
  const crawl = program.command('crawl').description(`crawl markets over Tor (SOCKS5h only: --proxy or $${PROXY_ENV})`);

  crawl
    .command('add <slug>')
    .description('configure a market for crawling (onion URL, login, politeness, undercover accounts)')
    .requiredOption('--agency <code>', 'owning agency')
    .requiredOption('--url <onion-url...>', 'start URL(s) on the market onion(s)')
    .option('--name <name>', 'display name')
    .option('--adapter <id>', 'extraction adapter')
    .option('--login-path <path>', 'login form path (default /login)')
    .option('--login-fields <json>', 'login field names, e.g. {"username":"user","captcha":"code"}')
    .option('--account <user:password...>', 'legacy clear-text account(s); prefer `darkpatrol undercover add` (vault)')
    .option('--signing-key <file>', 'the market\'s armored PGP public key, pinned: credentials then go only to onions in its signed mirror list')
    .option('--mirrors-path <path>', 'path of the market\'s signed mirror list', '/mirrors')
    .option('--delay-ms <n>', 'minimum delay between requests to one host', '1000')
    .option('--concurrency <n>', 'parallel requests to the market', '2')
    .option('--max-pages <n>', 'frontier size limit per crawl', '10000')
    .option('--recrawl-minutes <n>', 're-crawl interval for `crawl due`')
    .option('--json', 'machine-readable output')
    .action(async (slug: string, o: { agency: string; url: string[]; name?: string; adapter?: string; loginPath?: string; loginFields?: string; account?: string[]; delayMs: string; concurrency: string; maxPages: string; recrawlMinutes?: string; signingKey?: string; mirrorsPath: string; json?: boolean }, cmd: Command) => {
      let signingKey: string | undefined;
      if (o.signingKey) {
        try {
          signingKey = readFileSync(o.signingKey, 'utf8');
        } catch (err) {
          throw new UserError(`cannot read ${o.signingKey}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      if (!o.mirrorsPath.startsWith('/')) throw new UserError('--mirrors-path must start with /');
      let fields: Record<string, string> | undefined;
      try {
        fields = o.loginFields ? (JSON.parse(o.loginFields) as Record<string, string>) : undefined;
      } catch {
        throw new UserError('--login-fields must be JSON');
      }
      const accounts = (o.account ?? []).map((a) => {
        const i = a.indexOf(':');
        if (i <= 0) throw new UserError(`--account ${JSON.stringify(a)} must be user:password`);
        return { username: a.slice(0, i), password: a.slice(i + 1) };
      });
      const int = (v: string | undefined, name: string) => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new UserError(`${name} must be a non-negative integer`);
        return n;
      };
      await withStore(cmd, async (store) => {
        const id = await clear(async () => configureMarketCrawl(store.db, {
          agencyId: (await agencyId(store.db, o.agency)) as number,
          slug,
          name: o.name,
          adapter: o.adapter,
          startUrls: o.url,
          loginPath: o.loginPath,
          loginFields: fields,
          accounts,
          delayMs: int(o.delayMs, '--delay-ms'),
          concurrency: int(o.concurrency, '--concurrency'),
          maxPages: int(o.maxPages, '--max-pages'),
          recrawlMinutes: int(o.recrawlMinutes, '--recrawl-minutes') ?? null,
          mirrorsPath: o.mirrorsPath,
          ...(signingKey ? { signingKey: { armored: signingKey, pinnedBy: `cli:${process.env.USER ?? 'unknown'}` } } : {}),
        }).catch((e: Error) => { throw new UserError(e.message); }));
        emit(o.json ?? false, { marketId: id, slug }, () => `market ${slug} (id ${id}) configured for crawling`);
      });
    });

  const addRunOptions = (c: Command) =>
    c
      .option('--proxy <url>', `SOCKS5h proxy, e.g. socks5h://127.0.0.1:9050 (or $${PROXY_ENV})`)
      .option('--evidence-dir <dir>', 'WARC directory (default .darkpatrol/evidence or $DARKPATROL_EVIDENCE_DIR)')
      .option('--no-wait-captcha', 'pause (and exit) when a CAPTCHA needs a human instead of waiting')
      .option('--json', 'print the crawl summary as JSON');

  addRunOptions(
    crawl
      .command('run <market>')
      .description('crawl one market (resume a paused or killed crawl with --job)')
      .option('--job <id>', 'resume this crawl job')
      .option('--account <username>', 'undercover account to use')
      .option('--agency <code>', 'when the slug exists in several agencies')
      .option('--case <id-or-reference>', 'attach the captures to a case (open, of the market\'s agency)')
      .option('--start-url <url>', 'start from this URL instead of the market\'s own (repeatable; on the market\'s hosts only)', (v: string, all: string[] = []) => [...all, v])
      .option('--max-pages <n>', 'override the frontier size limit'),
  ).action(async (market: string, o: RunOpts, cmd: Command) => {
    if (o.job && o.startUrl) throw new UserError('--start-url starts a new crawl; a resumed job (--job) continues its own frontier');
    await withStore(cmd, async (store) => {
      const bar = progressBar(`crawl ${market}`, '{bar} {value}/{total} pages | {bytes} | {info}');
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.once('SIGINT', onSig);
      try {
        const summary = await clear(async () =>
          runCrawl({
            db: store.db,
            evidenceDir: resolveEvidenceDir(o.evidenceDir),
            proxy: o.proxy ?? process.env[PROXY_ENV],
            market,
            agencyId: await agencyId(store.db, o.agency),
            jobId: o.job,
            account: o.account,
            ...caseOption(o.case),
            startUrls: o.startUrl,
            maxPages: o.maxPages === undefined ? undefined : Number(o.maxPages),
            captcha: {
              wait: o.waitCaptcha,
              onParked: ({ id }) => void process.stderr.write(`\nCAPTCHA #${id} parked for a human: darkpatrol captcha show ${id} --out captcha.png; darkpatrol captcha solve ${id} <answer>\n`),
            },
            signal: ac.signal,
            onProgress: (p) => bar.update(p.fetched, p.total, { bytes: formatBytes(p.bytes), info: `${p.lastStatus ?? ''} ${p.lastUrl ?? ''}`.slice(0, 60) }),
          }),
        );
        bar.stop();
        emit(o.json ?? false, summary, () => summaryText(summary));
        // Our side failed (no usable proxy, the login refused): a script must not mistake it for a finished crawl.
        if (FAILED_OUTCOMES.includes(summary.outcome)) {
          process.stderr.write(`crawl of ${summary.market} failed: ${summary.outcome}${summary.stopReason ? ` (${summary.stopReason})` : ''}\n`);
          process.exitCode = 1;
        }
      } finally {
        bar.stop();
        process.off('SIGINT', onSig);
      }
    });
  });

  addRunOptions(crawl.command('due').description('run every market whose scheduled re-crawl is due')).action(async (o: RunOpts, cmd: Command) => {
    await withStore(cmd, async (store) => {
      const summaries = await clear(() =>
        runDueCrawls({ db: store.db, evidenceDir: resolveEvidenceDir(o.evidenceDir), proxy: o.proxy ?? process.env[PROXY_ENV], captcha: { wait: o.waitCaptcha } }),
      );
      emit(o.json ?? false, summaries, () => (summaries.length ? summaries.map(summaryText).join('\n') : 'no market is due'));
      if (summaries.some((x) => FAILED_OUTCOMES.includes(x.outcome))) process.exitCode = 1;
    });
  });

  crawl
    .command('jobs')
    .description('list crawl jobs')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const rows = await store.db.selectFrom('crawl_jobs as j').innerJoin('markets as m', 'm.id', 'j.market_id').select(['j.id', 'm.slug', 'j.status', 'j.started_at', 'j.finished_at', 'j.stats']).orderBy('j.started_at', 'desc').limit(100).execute();
        emit(o.json ?? false, rows, () => table(['job', 'market', 'status', 'started', 'pages'], rows.map((r) => [r.id, r.slug, r.status, r.started_at.toISOString(), String((r.stats as { pages?: number }).pages ?? '')])));
      });
    });
}
