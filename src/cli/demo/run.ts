import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configureMarketCrawl, runCrawl, solveCaptcha } from '../../collect/index.ts';
import { verifyEvidence } from '../../evidence/index.ts';
import { classifyForStore, extractCaptures, loadFxTable } from '../../extract/store/index.ts';
import { runLinking } from '../../link/index.ts';
import { detectLinkedHits } from '../../deconflict/index.ts';
import { rankTargets, takedownMigration } from '../../analyse/index.ts';
import { ensureUser, startConsole } from '../../server/index.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { table } from '../output.ts';

export interface DemoOptions {
  seed: number;
  serve: boolean;
  json: boolean;
  /** Where the demo keeps its database and evidence; recreated on each run. */
  dir: string;
  scale: 'tiny' | 'demo';
  port: number;
}

interface Step {
  step: string;
  detail: string;
  seconds: number;
}

/**
 * The main job, end to end on the embedded database: a simulated dark web on loopback is crawled through its
 * SOCKS5 proxy (as through Tor) on three sim days around a takedown; every byte becomes WARC evidence; the adapters
 * extract facts; identities are resolved; the analysis ranks targets; the console serves it all.
 */
export async function runDemo(_cmd: Command, opts: DemoOptions): Promise<void> {
  const dir = resolve(opts.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const evidenceDir = join(dir, 'evidence');
  const steps: Step[] = [];
  const say = (s: string) => (opts.json ? undefined : process.stdout.write(`${s}\n`));
  const timed = async <T>(step: string, fn: () => Promise<T>, detail: (r: T) => string): Promise<T> => {
    const t0 = performance.now();
    say(`… ${step}`);
    const r = await fn();
    const s: Step = { step, detail: detail(r), seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
    steps.push(s);
    say(`✔ ${step.padEnd(10)} ${s.detail} (${s.seconds}s)`);
    return r;
  };

  // The demo plays the analyst at the CAPTCHA queue using the simulator's answer key (in-process only).
  process.env.DARKPATROL_SIM_TEST_HOOKS = '1';
  const store: Store = await timed('store', () => openStore({ dataDir: join(dir, 'data') }), (s) => `${s.engine} at ${s.location}`);
  let sim: SimHandle | undefined;
  let keepOpen = false;
  try {
    const agency = await store.db
      .insertInto('agencies')
      .values({ code: 'DEMO-NL', name: 'Demo national dark-web team', country: 'NL', contact_point: 'darkweb-desk@demo.invalid' })
      .returningAll()
      .executeTakeFirstOrThrow();

    sim = await timed('sim', () => startSim({ seed: opts.seed, scale: opts.scale, faults: { scale: 0.3, maxDelayMs: 30 }, portBase: 0, outDir: join(dir, 'sim-out'), startDay: 0 }), (s) => `${s.markets.length} markets behind SOCKS5 ${s.proxy.host}:${s.proxy.port}, world of seed ${opts.seed}`);
    const simRef = sim;
    for (const m of sim.markets) {
      await configureMarketCrawl(store.db, {
        agencyId: agency.id,
        slug: m.slug,
        name: m.name,
        adapter: `sim-${m.design}`,
        startUrls: [m.url],
        loginPath: m.loginPath,
        loginFields: m.loginFields,
        delayMs: 0,
        concurrency: 4,
        accounts: m.credentials.slice(0, 1).map((c) => ({ username: c.username, password: c.password })),
      });
    }

    const timeline = sim.world.timeline;
    const days = [...new Set([Math.max(0, timeline.seizureDay - 20), Math.min(sim.lastDay, timeline.seizureDay + 30), sim.lastDay])];
    let pages = 0;
    for (const day of days) {
      await timed(`crawl d${day}`, async () => {
        simRef.setDay(day);
        const out: string[] = [];
        for (const m of simRef.markets) {
          const summary = await runCrawl({
            db: store.db,
            evidenceDir,
            proxy: simRef.proxy.url,
            market: m.slug,
            retry: { baseMs: 20, maxMs: 300 },
            captcha: {
              pollMs: 10,
              onParked: async ({ id, imageUrl }) => {
                const captchaId = /\/captcha\/([0-9a-f]+)\.png/.exec(imageUrl)?.[1] ?? '';
                const answer = simRef.peekCaptchaAnswer(m.slug, captchaId);
                if (answer) await solveCaptcha(store.db, id, answer, 'demo:analyst');
              },
            },
          });
          pages += summary.pages;
          out.push(`${m.slug} ${summary.outcome} ${summary.pages}p`);
        }
        return out.join(', ');
      }, (s) => s);
    }

    await timed('evidence', () => verifyEvidence(store.db, { dir: evidenceDir }), (r) => `${r.records} WARC records re-verified, ${r.problems.filter((p) => p.severity === 'error').length} problems`);
    await timed('extract', async () => extractCaptures(store, { evidenceDir, fx: await loadFxTable(store.db), classify: classifyForStore }), (r) => `${r.parsed}/${r.captures} pages → ${r.listings} listing, ${r.vendors} vendor, ${r.feedback} feedback, ${r.selectors} selector writes`);
    await timed('link', () => runLinking(store, { agencyId: agency.id }), (r) => `${r.accounts} accounts → ${r.identities} identities (${r.multiAccountIdentities} with aliases), ${r.linksWritten} explained links`);
    await timed('de-confliction', () => detectLinkedHits(store.db, 'demo'), (n) => `${n} new hit(s) between agencies' registered cases`);
    const revenueOpts = { feedbackRate: 0.65, feedbackRateRange: [0.55, 0.8] as [number, number], unitsPerSale: 1.2 };
    const targets = await timed('analyse', () => rankTargets(store.db, revenueOpts, undefined, 10), (r) => `top ${r.length} targets ranked`);
    say('');
    say(table(['rank', 'target', 'accounts', 'score', 'why'], targets.map((t) => [t.rank, t.label, t.accounts, t.score.toFixed(3), t.factors.revenue.explanation])));
    const migration = await takedownMigration(store.db, timeline.seizedMarket).catch(() => null);
    if (migration) say(`\nAfter ${timeline.seizedMarket} was seized: ${(migration.reappeared * 100).toFixed(0)}% of its vendors reappeared — ${migration.flows.map((f) => `${f.to ?? 'gone'} ${f.identities}`).join(', ')}`);

    if (opts.json) process.stdout.write(`${JSON.stringify({ seed: opts.seed, dir, pages, steps, targets: targets.map((t) => ({ rank: t.rank, label: t.label, score: t.score })) }, null, 2)}\n`);
    await sim.stop();
    sim = undefined;

    if (opts.serve) {
      const password = await ensureUser(store.db, { agencyCode: 'DEMO-NL', username: 'analyst', role: 'analyst', password: 'demo-analyst-2026' });
      await ensureUser(store.db, { agencyCode: 'DEMO-NL', username: 'supervisor', role: 'supervisor', password: 'demo-supervisor-2026' });
      const console_ = await startConsole({ store, warcRoot: evidenceDir, port: opts.port });
      keepOpen = true;
      say(`\nThe console is running at ${console_.url}`);
      say(`Log in as analyst / ${password ?? 'demo-analyst-2026'} (or supervisor / demo-supervisor-2026). Ctrl-C stops it.`);
      say(`Data: ${dir} — reuse it with: npx darkpatrol --data-dir ${join(dir, 'data')} report targets`);
      const stop = async () => {
        await console_.close();
        await store.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    } else {
      say(`\nData: ${dir} — explore it with: npx darkpatrol --data-dir ${join(dir, 'data')} report targets`);
    }
  } finally {
    await sim?.stop();
    if (!keepOpen) await store.close();
  }
}
