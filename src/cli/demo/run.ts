import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { addUndercoverAccount, configureMarketCrawl, listCaptchas, runCrawl, solveCaptcha, Vault } from '../../collect/index.ts';
import { verifyEvidence } from '../../evidence/index.ts';
import { classifyForStore, extractCaptures, loadFxTable } from '../../extract/store/index.ts';
import { runLinking } from '../../link/index.ts';
import { detectLinkedHits } from '../../deconflict/index.ts';
import { rankTargets, takedownMigration } from '../../analyse/index.ts';
import { ensureUser, startConsole } from '../../server/index.ts';
import { generateWorld, isOnline, marketState, serveWorld, writeSimOutputs, type DefenceSwitches, type SimServing } from '../../sim/index.ts';
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

/**
 * The defences of the one market the demo crawls as markets defend themselves today (issue 21): an anti-DDoS front
 * (a short queue, then a CAPTCHA the demo's analyst solves), PGP two-factor login answered with the undercover
 * account's key from the vault, a signed mirror list (no rotation during the demo), and one phishing clone the
 * analyst was handed as a "mirror". The queue is 2 s instead of the seeded 5-15 s to keep the demo quick.
 */
const DEMO_DEFENCES: DefenceSwitches = { antiDdos: { queueSeconds: 2 }, twoFactor: true, mirrors: { live: 2, rotateEveryDays: 100_000 }, phishingClones: { count: 1 } };

export interface DefenceReport {
  market: string;
  frontPassed: number;
  frontCaptchas: number;
  twoFactorAnswered: number;
  clones: Array<{ onion: string; recorded: boolean; detail: string; stolen: number }>;
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
  let sim: SimServing | undefined;
  let keepOpen = false;
  try {
    const agency = await store.db
      .insertInto('agencies')
      .values({ code: 'DEMO-NL', name: 'Demo national dark-web team', country: 'NL', contact_point: 'darkweb-desk@demo.invalid' })
      .returningAll()
      .executeTakeFirstOrThrow();

    const world = generateWorld({ seed: opts.seed, scale: opts.scale });
    const timeline = world.timeline;
    const lastDay = world.days - 1;
    const days = [...new Set([Math.max(0, timeline.seizureDay - 20), Math.min(lastDay, timeline.seizureDay + 30), lastDay])];
    // One market that is up on every crawl day (not the seized one) runs today's defences.
    const defendedSlug = world.markets.find((m) => m.slug !== timeline.seizedMarket && days.every((d) => isOnline(marketState(m, d))))?.slug;
    sim = await timed('sim', async () => {
      await writeSimOutputs(world, join(dir, 'sim-out'));
      return serveWorld(world, { faults: { scale: 0.3, maxDelayMs: 30 }, portBase: 0, startDay: 0, ...(defendedSlug ? { defences: { [defendedSlug]: DEMO_DEFENCES } } : {}) });
    }, (s) => `${s.markets.length} markets behind SOCKS5 ${s.proxy.host}:${s.proxy.port}, world of seed ${opts.seed}${defendedSlug ? `; ${defendedSlug} behind an anti-DDoS front with PGP two-factor login and a phishing clone` : ''}`);
    const simRef = sim;
    let vault: Vault | undefined;
    for (const m of sim.markets) {
      const d = m.defences;
      if (!d) {
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
        continue;
      }
      // The analyst adds the market with the PGP key it publishes (pinned), the "mirrors" copied from a forum (one of
      // them the phishing clone), and the undercover account sealed in the vault under the case that authorised it.
      const marketId = await configureMarketCrawl(store.db, {
        agencyId: agency.id,
        slug: m.slug,
        name: m.name,
        adapter: `sim-${m.design}`,
        startUrls: [m.url],
        mirrors: d.phishingClones.map((c) => c.onion),
        mirrorsPath: d.mirrorsPath,
        signingKey: { armored: d.signingKey, pinnedBy: 'demo:analyst' },
        loginPath: m.loginPath,
        loginFields: m.loginFields,
        delayMs: 0,
        concurrency: 4,
      });
      const caseId = (await store.db.insertInto('cases').values({ agency_id: agency.id, reference: 'DEMO-2026-21', title: `Undercover access to ${m.name}`, contact_point: 'darkweb-desk@demo.invalid' }).returning('id').executeTakeFirstOrThrow()).id;
      // A demo-only vault passphrase made up for this run (a real deployment reads $DARKPATROL_VAULT_PASSPHRASE).
      vault = await Vault.unlock(store.db, `demo-only-${randomBytes(18).toString('base64url')}`);
      const cred = m.credentials[0]!;
      await addUndercoverAccount(store.db, vault, { agencyId: agency.id, marketId, username: cred.username, secrets: { password: cred.password, ...(cred.pgpPrivateKey ? { pgpPrivateKey: cred.pgpPrivateKey } : {}) }, caseId, authorisedBy: 'demo prosecutor', actor: 'demo:analyst' });
    }

    let pages = 0;
    let frontPassed = 0;
    let twoFactorAnswered = 0;
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
            ...(m.defences && vault ? { vault } : {}),
            captcha: {
              pollMs: 10,
              onParked: async ({ id, imageUrl }) => {
                // Login and anti-DDoS CAPTCHAs alike (/captcha/… and /ddos/captcha/…).
                const captchaId = /\/captcha\/([0-9a-f]+)\.png/.exec(imageUrl)?.[1] ?? '';
                const answer = simRef.peekCaptchaAnswer(m.slug, captchaId);
                if (answer) await solveCaptcha(store.db, id, answer, 'demo:analyst');
              },
            },
          });
          pages += summary.pages;
          if (m.defences) {
            frontPassed += summary.antiDdosPassed;
            twoFactorAnswered += summary.twoFactorAnswered;
          }
          out.push(`${m.slug} ${summary.outcome} ${summary.pages}p${m.defences ? ` (front passed ${summary.antiDdosPassed}, 2FA ${summary.twoFactorAnswered})` : ''}`);
        }
        return out.join(', ');
      }, (s) => s);
    }

    let defences: DefenceReport | undefined;
    if (defendedSlug) {
      defences = await timed('defences', async (): Promise<DefenceReport> => {
        const market = await store.db.selectFrom('markets').select('id').where('slug', '=', defendedSlug).executeTakeFirstOrThrow();
        const frontCaptchas = (await listCaptchas(store.db, { all: true, marketId: market.id })).filter((c) => c.kind === 'anti-ddos' && (c.status === 'solved' || c.status === 'used')).length;
        const events = await store.db.selectFrom('market_events').select(['detail']).where('market_id', '=', market.id).where('kind', '=', 'phishing_clone').execute();
        const onions = await store.db.selectFrom('market_onions').select(['onion', 'status']).where('market_id', '=', market.id).execute();
        const clones = simRef.clones(defendedSlug).map((c) => {
          const event = events.find((e) => e.detail.startsWith(c.onion));
          return { onion: c.onion, recorded: onions.some((o) => o.onion === c.onion && o.status === 'phishing') && event !== undefined, detail: event ? event.detail.replace(`${c.onion}: `, '') : '', stolen: c.captured().length };
        });
        return { market: defendedSlug, frontPassed, frontCaptchas, twoFactorAnswered, clones };
      }, (r) => `${r.market}: anti-DDoS front passed ${r.frontPassed}× (${r.frontCaptchas} front CAPTCHA(s) solved by the analyst), PGP two-factor answered ${r.twoFactorAnswered}×, ${r.clones.filter((c) => c.recorded).length}/${r.clones.length} phishing clone(s) detected, credentials sent to clones: ${r.clones.reduce((n, c) => n + c.stolen, 0)}`);
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
    if (defences) {
      say(`\n${defences.market} defends itself as markets do today:`);
      say(`  anti-DDoS front: ${defences.frontPassed > 0 ? 'passed' : 'NOT passed'} (${defences.frontPassed}× through the queue; ${defences.frontCaptchas} front CAPTCHA(s) handed to the analyst and solved)`);
      say(`  PGP two-factor login: ${defences.twoFactorAnswered > 0 ? 'answered' : 'NOT answered'} ${defences.twoFactorAnswered}× with the undercover account's key from the vault (demo-only passphrase made up for this run)`);
      for (const c of defences.clones) say(`  phishing clone ${c.onion}: ${c.recorded ? 'detected and recorded' : 'NOT detected'}${c.detail ? ` — ${c.detail}` : ''}; it received ${c.stolen === 0 ? 'no credentials' : `${c.stolen} secret(s)!`}`);
    }

    if (opts.json) process.stdout.write(`${JSON.stringify({ seed: opts.seed, dir, pages, steps, defences: defences ?? null, targets: targets.map((t) => ({ rank: t.rank, label: t.label, score: t.score })) }, null, 2)}\n`);
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
