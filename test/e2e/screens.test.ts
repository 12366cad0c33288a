import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobWorker, type JobWorker } from '../../src/cli/worker-runtime.ts';
import { configureMarketCrawl } from '../../src/collect/index.ts';
import type { LinkExplanation } from '../../src/link/index.ts';
import { createUser, startConsole, type RunningConsole } from '../../src/server/index.ts';
import { startSim, type SimHandle } from '../../src/sim/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { TEST_SCRYPT } from '../server/seed.ts';
import { openCaseScreen, openHarness, signIn, type Harness } from './harness.ts';
import { E2E_PASSWORD } from './world.ts';

// The screens beyond browsing: cases and de-confliction between two agencies, collection jobs, early warning,
// exchange between two installations, partner feeds and administration. Screenshots only with DP_SCREENSHOTS=1.
process.env.DARKPATROL_SIM_TEST_HOOKS = '1'; // the sim's CAPTCHA answers, for the crawl's human at the queue
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
let h: Harness;
let other: Page; // DE-BKA's investigator, in a second browser context
let sim: SimHandle | undefined; // the market DE-BKA crawls for its case
let worker: JobWorker | undefined; // `darkpatrol worker` in this process: runs the crawl and extract jobs the screen queues

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await openHarness();
  const users = [
    { agencyCode: 'NL-POL', username: 'ivo', role: 'investigator' as const },
    { agencyCode: 'NL-POL', username: 'root', role: 'admin' as const },
    { agencyCode: 'DE-BKA', username: 'berta', role: 'investigator' as const },
    { agencyCode: 'DE-BKA', username: 'bruno', role: 'analyst' as const },
  ];
  for (const u of users) await createUser(h.store.db, { ...u, password: E2E_PASSWORD }, TEST_SCRYPT);
  other = await (await h.browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
}, 240_000);
afterAll(async () => {
  await worker?.stop();
  await sim?.stop();
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: false });

async function register(page: Page, kind: string, value: string): Promise<string> {
  await page.getByLabel('Kind').selectOption(kind);
  await page.getByLabel('Values, one per line').fill(value);
  await page.getByRole('button', { name: 'Register' }).click();
  const status = page.locator('.ok[role=status]');
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

describe('console screens (Debian Chromium)', () => {
  // Before the cases test: DE-BKA's crawl there adds listings of a sim market with flows between countries.
  it('shipping map: an agency whose listings ship only within Germany (spelled DE, Germany, DEU, Deutschland) sees one domestic row and is told there are no flows between countries', async () => {
    await signIn(other, h.console.url, 'berta');
    const map = other.locator('.flowmap');
    await map.locator('svg.flowmap-svg').waitFor();
    expect(await map.locator('.fm-no-international').textContent()).toMatch(/No flows between countries in this data/);
    expect(await map.locator('path.fm-arc').count()).toBe(0);
    expect(await map.locator('circle.fm-origin').count()).toBe(1);
    expect(await map.locator('li.fm-domestic').allTextContents()).toEqual(['Germany domestic: 3']);
    expect(await map.locator('svg.flowmap-svg').getAttribute('aria-label')).toMatch(/no flows between countries; 1 origin/);
  });

  it('cases: a case and its selector, a second agency\'s crawl for its case captures a page showing it, both see the notice with the other contact point, acknowledge', async () => {
    // A sim market on loopback (through its SOCKS proxy): NL-POL registers the PGP key a vendor of it really shows.
    sim = await startSim({ seed: 'e2e-crawl', scale: 'tiny', faults: false, rateLimit: false, portBase: 0, startDay: 30 });
    const market = sim.markets.find((m) => m.design === 'cards')!;
    const shows = (k: { fromDay: number; toDay?: number }) => k.fromDay <= sim!.day && (k.toDay ?? Infinity) >= sim!.day;
    const vendor = sim.world.accounts.find((a) => a.market === market.slug && a.openDay <= sim!.day && (a.closeDay ?? Infinity) > sim!.day && a.pgpKeys.some(shows))!;
    const fingerprint = vendor.pgpKeys.find(shows)!.fingerprint;

    await signIn(h.page, h.console.url, 'ivo');
    expect(await h.page.locator('nav.side a').allTextContents()).toEqual(expect.arrayContaining(['Cases', 'Exchange', 'Collection', 'Early warning']));
    await openCaseScreen(h.page, h.console.url, 'NL-2026-017', 'Team Darkweb, +31 88 000 0000');
    expect(await register(h.page, 'pgp_key', fingerprint)).toContain('0 hit(s)');

    await signIn(other, h.console.url, 'berta');
    await openCaseScreen(other, h.console.url, 'BKA-SO-44', 'BKA SO 44 desk, +49 611 0000');
    expect(await register(other, 'telegram', '@bka_own_lead')).toContain('0 hit(s)');
    // The market as DE-BKA's operator configured it (`darkpatrol crawl add`): its own start page, its login form and
    // an undercover account. The worker (`darkpatrol worker`) runs in this process with the sim's SOCKS proxy as Tor.
    const bkaAgency = await h.store.db.selectFrom('agencies').select('id').where('code', '=', 'DE-BKA').executeTakeFirstOrThrow();
    const marketId = await configureMarketCrawl(h.store.db, {
      agencyId: bkaAgency.id, slug: market.slug, name: market.name, adapter: `sim-${market.design}`, startUrls: [market.url],
      loginPath: market.loginPath, loginFields: market.loginFields, delayMs: 0, concurrency: 1, maxPages: 50,
      accounts: market.credentials.slice(0, 1).map((c) => ({ username: c.username, password: c.password })),
    });
    worker = await startJobWorker(h.store, {
      evidenceDir: h.warcDir, proxy: sim.proxy.url, importDir: mkdtempSync(join(tmpdir(), 'dp-e2e-imports-')), queues: ['crawl', 'extract'],
      concurrency: 1, pollMs: 200, heartbeatMs: 500, crawl: { delayMs: 0, concurrency: 1, timeoutMs: 20_000, retry: { maxAttempts: 3, baseMs: 20, maxMs: 200 } },
    });

    // BKA's analyst crawls the vendor's page for the case in the Collection screen: one page, behind the market's
    // login (and its CAPTCHA, answered inline in the crawl's row), then starts the extraction (with the de-confliction pass
    // it ends with) from the finished crawl's row.
    const vendorUrl = new URL(`/u/${encodeURIComponent(vendor.handle)}`, market.url).toString();
    const analyst = await (await h.browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signIn(analyst, h.console.url, 'bruno');
    await analyst.goto(`${h.console.url}#/collection`);
    await analyst.getByLabel('job kind').selectOption('crawl');
    await analyst.locator(`select[aria-label=market] option[value="${marketId}"]`).waitFor({ state: 'attached' });
    await analyst.getByLabel('market').selectOption(String(marketId));
    await analyst.getByLabel('start urls').fill('https://clearweb.example/vendor');
    await analyst.getByRole('button', { name: 'Start' }).click();
    expect(await analyst.getByRole('alert').textContent()).toContain('clearweb.example is not a host of market');
    await analyst.getByLabel('start urls').fill(vendorUrl);
    await analyst.getByLabel('case reference').fill('BKA-SO-44');
    await analyst.getByLabel('page limit').fill('1');
    await analyst.getByRole('button', { name: 'Start' }).click();
    const crawlRow = analyst.locator('table.jobs tr[data-job-id]').filter({ has: analyst.locator('td:first-child', { hasText: /^crawl$/ }) }).first();
    await crawlRow.waitFor({ timeout: 120_000 });
    let parked = 0; // the sim's login form always shows a CAPTCHA: the crawl parks once, at login
    for (;; parked++) {
      await analyst.locator('table.jobs tr[data-state="completed"], table.jobs tr[data-state="failed"], .captcha-handoff').first().waitFor({ timeout: 120_000 });
      const state = await crawlRow.getAttribute('data-state');
      if (state === 'completed') break;
      expect(state, (await crawlRow.textContent()) ?? '').toBe('paused');
      expect(parked, 'CAPTCHAs answered').toBeLessThan(3);
      // The human answers in the crawl's own row: it shows the crawl's pending CAPTCHA image (and keeps the link to
      // the queue); the human reads the challenge (here: the sim's test hook for the image it served).
      const handoff = crawlRow.locator('.captcha-handoff');
      await handoff.getByRole('link', { name: 'in the CAPTCHA queue' }).waitFor();
      const card = handoff.locator('.captcha-answer').first();
      await card.waitFor({ timeout: 30_000 });
      const img = card.getByAltText(/^CAPTCHA /);
      await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
      const image = (await card.locator('.mono').textContent()) ?? '';
      const answer = sim.peekCaptchaAnswer(market.slug, /\/captcha\/([0-9a-f]+)\.png/.exec(image)?.[1] ?? '');
      expect(answer, `the sim served ${image}`).toBeTruthy();
      if (parked === 0) {
        await crawlRow.scrollIntoViewIfNeeded();
        await shot(analyst, 'collection-captcha');
      }
      // A refused answer shows the server's error in the row and leaves the CAPTCHA to answer.
      await card.getByLabel(/^answer for captcha/).fill('x'.repeat(65));
      await card.getByRole('button', { name: 'Solve' }).click();
      await card.getByRole('alert').waitFor();
      expect(await card.getByRole('alert').textContent()).toMatch(/^invalid body: .*answer/);
      await card.getByLabel(/^answer for captcha/).fill(answer!);
      await card.getByRole('button', { name: 'Solve' }).click();
      // The worker's next tick queues the crawl again; until then the row still shows it waiting.
      await crawlRow.and(analyst.locator('[data-state="paused"]')).waitFor({ state: 'detached', timeout: 60_000 });
    }
    expect(parked).toBe(1);
    expect(await h.store.db.selectFrom('crawl_captchas').select(['status']).where('solved_by', '=', 'user:bruno').execute()).toEqual([{ status: 'used' }]);
    const progress = crawlRow.locator('.crawl-progress');
    expect(Number(await progress.getAttribute('data-pages'))).toBe(1);
    expect(await progress.getAttribute('data-queued')).toBe('0');
    expect(await progress.textContent()).toMatch(/^1 \/ 1 pages · queue 0(no errors|errors: )/);
    await shot(analyst, 'collection-crawl');
    const crawlJob = await h.store.db.selectFrom('jobs').select(['result']).where('kind', '=', 'crawl').where('agency_id', '=', bkaAgency.id).executeTakeFirstOrThrow();
    const crawlJobId = (crawlJob.result as { jobId: string }).jobId;
    const crawled = await h.store.db.selectFrom('crawl_jobs').select('case_id').where('id', '=', crawlJobId).executeTakeFirstOrThrow();
    expect(crawled.case_id).toBe((await h.store.db.selectFrom('cases').select('id').where('reference', '=', 'BKA-SO-44').executeTakeFirstOrThrow()).id);
    const pages = await h.store.db.selectFrom('captures').select('url').where('job_id', '=', crawlJobId).where('http_status', '=', 200).execute();
    expect(pages.map((p) => new URL(p.url).pathname)).toContain(`/u/${encodeURIComponent(vendor.handle)}`);

    await crawlRow.getByRole('button', { name: 'Extract' }).click();
    const extractRow = analyst.locator('table.jobs tr[data-job-id]').filter({ has: analyst.locator('td:first-child', { hasText: /^extract$/ }) }).first();
    await extractRow.and(analyst.locator('[data-state="completed"], [data-state="failed"]')).waitFor({ timeout: 120_000 });
    expect(await extractRow.getAttribute('data-state'), (await extractRow.textContent()) ?? '').toBe('completed');
    const extractJob = await h.store.db.selectFrom('jobs').select(['result', 'payload']).where('kind', '=', 'extract').where('agency_id', '=', bkaAgency.id).executeTakeFirstOrThrow();
    expect(extractJob.payload).toEqual({ crawlJobId });
    expect(extractJob.result).toMatchObject({ byPageType: { vendor_profile: 1 }, deconflictionHits: 1 });
    await worker.stop();
    worker = undefined;

    await signIn(other, h.console.url, 'berta');
    // BKA sees NL-POL's contact point, never NL-POL's case reference.
    await other.goto(`${h.console.url}#/cases`);
    const theirNotice = other.locator('tr.notice').first();
    await theirNotice.waitFor();
    expect(await theirNotice.locator('.contact').textContent()).toBe('Team Darkweb, +31 88 000 0000');
    expect(await other.locator('.notices').textContent()).not.toContain('NL-2026-017');

    await h.page.goto(`${h.console.url}#/cases`);
    const notice = h.page.locator('tr.notice').first();
    await notice.waitFor();
    expect(await notice.locator('.contact').textContent()).toBe('BKA SO 44 desk, +49 611 0000');
    expect(await h.page.locator('.notices').textContent()).not.toContain('BKA-SO-44');
    expect(await h.page.locator('.budget').textContent()).toMatch(/of 2,000 selector registrations available/);
    await shot(h.page, 'cases');
    await notice.getByRole('button', { name: 'Acknowledge' }).click();
    await notice.locator('.badge-confirmed').waitFor();
    const hits = await h.store.db.selectFrom('deconflict_hits' as never).select(['ack_a_at', 'ack_b_at'] as never).execute();
    expect(hits).toHaveLength(1);
    expect(Object.values(hits[0] as Record<string, unknown>).filter((v) => v !== null)).toHaveLength(1);
  }, 400_000);

  it('exchange: builds a package with a preview by TLP; a second installation trusting the key imports it and shows its marking', async () => {
    const identity = await h.store.db.selectFrom('identities').select('id').where('label', '=', 'tulipcartel').executeTakeFirstOrThrow();
    await h.page.goto(`${h.console.url}#/exchange`);
    await h.page.getByLabel('subject id').fill(String(identity.id));
    await h.page.getByLabel('package tlp').selectOption('AMBER');
    await h.page.getByRole('button', { name: 'Preview' }).click();
    const preview = h.page.getByLabel('package preview');
    await preview.waitFor();
    expect(await preview.locator('.tlp').first().textContent()).toBe('TLP:AMBER');
    expect(await preview.textContent()).toContain('tulipcartel');
    await shot(h.page, 'exchange');
    const [download] = await Promise.all([h.page.waitForEvent('download'), preview.getByRole('button', { name: 'Download signed package' }).click()]);
    const file = join(mkdtempSync(join(tmpdir(), 'dp-pkg-')), 'package.json');
    await download.saveAs(file);
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { manifest: { tlp: string }; signature: { keyId: string } };
    expect(pkg.manifest.tlp).toBe('AMBER');
    const ownKey = (await h.page.locator('.own-key').textContent())!;

    // A second installation: its own database, server and admin, who trusts NL-POL's key and imports the file.
    let store2: TestStore | undefined;
    let console2: RunningConsole | undefined;
    try {
      store2 = await openTestStore();
      await store2.db.insertInto('agencies').values({ code: 'BE-FGP', name: 'Belgian Federal Judicial Police', country: 'BE', contact_point: 'cyber@fgp.invalid' }).execute();
      await createUser(store2.db, { agencyCode: 'BE-FGP', username: 'bea', role: 'admin', password: E2E_PASSWORD }, TEST_SCRYPT);
      console2 = await startConsole({ store: store2, port: 0, warcRoot: mkdtempSync(join(tmpdir(), 'dp-e2e2-')), rateLimit: false });
      await h.context.route(`${new URL(console2.url).origin}/**`, (r) => r.continue()); // the harness blocks other origins
      await signIn(other, console2.url, 'bea');
      await other.goto(`${console2.url}#/exchange`);
      await other.getByLabel('package file').setInputFiles(file);
      expect(await other.getByRole('alert').textContent()).toMatch(/Rejected: .*(key|trust|signer)/i);
      await other.getByLabel('partner jwk').fill(ownKey);
      await other.getByRole('button', { name: 'Trust key' }).click();
      await other.locator('td', { hasText: pkg.signature.keyId }).waitFor();
      await other.getByLabel('package file').setInputFiles(file);
      const result = other.locator('.import-result');
      await result.waitFor();
      expect(await result.textContent()).toContain('Signature verified');
      expect(await result.locator('.tlp').textContent()).toBe('TLP:AMBER');
      await other.locator('.imports td .tlp', { hasText: 'TLP:AMBER' }).waitFor();
      await shot(other, 'exchange-import');
    } finally {
      await console2?.close();
      await store2?.close();
    }
  });

  it('collection: starts a job and lists it with its state and progress; early warning shows the listings behind a warning', async () => {
    await signIn(h.page, h.console.url, 'anna');
    await h.page.goto(`${h.console.url}#/collection`);
    await h.page.getByLabel('job kind').selectOption('relink');
    await h.page.getByRole('button', { name: 'Start' }).click();
    const row = h.page.locator('table.jobs tr[data-job-id]').first();
    // The job queue (pg-boss on the store) is created on the first call: slow on a busy machine.
    await h.page.locator('table.jobs tr[data-job-id], [role=alert]').first().waitFor({ timeout: 120_000 });
    expect(await h.page.locator('[role=alert]').allTextContents()).toEqual([]);
    expect(await row.locator('td').first().textContent()).toBe('relink');
    expect(['queued', 'running', 'completed', 'retrying', 'failed']).toContain(await row.getAttribute('data-state'));
    await shot(h.page, 'collection');

    await h.page.goto(`${h.console.url}#/warnings`);
    await h.page.getByRole('heading', { name: 'Early warning' }).waitFor();
    await h.page.getByLabel('window').selectOption('365');
    const first = h.page.locator('tr.warning').first();
    await first.waitFor();
    const substance = (await first.getAttribute('data-substance'))!;
    await first.getByRole('button', { name: 'Listings' }).click();
    const titles = await h.page.locator('.warning-listings .listing-title').allTextContents().then(async (t) => (t.length ? t : (await h.page.locator('.warning-listings .listing-title').first().waitFor(), h.page.locator('.warning-listings .listing-title').allTextContents())));
    expect(titles.length).toBeGreaterThan(0);
    expect(titles.every((t) => t.toLowerCase().includes(substance.toLowerCase()))).toBe(true);
    await shot(h.page, 'warnings');
  }, 240_000);

  it('link evidence: the linker\'s explanation shows as rows (evidence, value, weight, log-odds) with the shared selector linked to its capture', async () => {
    const link = await h.store.db.selectFrom('links').select(['id', 'vendor_a']).where('id', '=', h.world.linkId).executeTakeFirstOrThrow();
    const ex: LinkExplanation & { clustered: boolean } = {
      model: 'logreg-test', score: 0.97, logOdds: 3.4, bias: -11.97, hard: true, clustered: true, notes: [], thin: false,
      items: [
        { feature: 'pgp', label: 'same PGP key', value: 1, weight: 9.1, contribution: 9.1, selectors: [{ kind: 'pgp_key', value: 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678', captures: [h.world.viewerCaptures.linkText] }] },
        { feature: 'name_sim', label: 'name similarity', value: 0.812, weight: 2.5, contribution: 2.03 },
      ],
      captures: { a: h.world.viewerCaptures.linkText, b: null },
    };
    await h.store.db.updateTable('links').set({ evidence: JSON.stringify(ex) }).where('id', '=', link.id).execute();
    await signIn(h.page, h.console.url, 'anna');
    await h.page.goto(`${h.console.url}#/vendors/${link.vendor_a}`);
    const rows = h.page.locator(`[data-link-id="${link.id}"] tr.evidence-item`);
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('td').allTextContents()).toEqual(['same PGP key', '1', '9.10', '+9.10', expect.stringContaining('A1B2C3D4E5F60718293A4B5C6D7E8F9012345678')]);
    expect(await rows.first().getByRole('link', { name: `capture ${h.world.viewerCaptures.linkText}` }).getAttribute('href')).toBe(`#/captures/${h.world.viewerCaptures.linkText}`);
    expect(await h.page.locator(`[data-link-id="${link.id}"]`).textContent()).not.toMatch(/[{}]/);
  });

  it('administration: users, tokens shown once, agencies; partner feeds with their access log; audit filters', async () => {
    await signIn(h.page, h.console.url, 'root');
    await h.page.goto(`${h.console.url}#/admin`);
    await h.page.locator('tr[data-user="anna"]').waitFor();
    await h.page.getByLabel('token name').fill('PostNL feed');
    await h.page.getByRole('button', { name: 'Issue token' }).click();
    expect(await h.page.locator('.secret').textContent()).toMatch(/shown once/);
    await h.page.locator('table.tokens td', { hasText: 'PostNL feed' }).waitFor();
    await h.page.getByLabel('role of anna').selectOption('supervisor');
    await expect.poll(async () => (await h.store.db.selectFrom('users').select('role').where('username', '=', 'anna').executeTakeFirstOrThrow()).role).toBe('supervisor');
    await shot(h.page, 'admin');

    await h.page.goto(`${h.console.url}#/feeds`);
    await h.page.locator('table.partners td', { hasText: 'PostNL feed' }).waitFor();
    await h.page.locator('.feed[data-feed]').first().waitFor();
    await h.page.goto(`${h.console.url}#/audit`);
    await h.page.getByLabel('action starts with').fill('feed.');
    await h.page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await h.page.locator('table.audit td.action').allTextContents()).filter(Boolean)).not.toEqual([]);
    expect((await h.page.locator('table.audit td.action').allTextContents()).every((a) => a.startsWith('feed.'))).toBe(true);
    await shot(h.page, 'audit');
    await h.page.goto(`${h.console.url}#/feeds`);
    await h.page.locator('table.feed-log tbody tr').first().waitFor();
    await shot(h.page, 'feeds');
    expect(h.foreign).toEqual([]);
    expect(h.dialogs).toEqual([]);
  });
});
