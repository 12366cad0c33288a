import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitSeizedMarket } from '../../src/exchange/index.ts';
import { createUser } from '../../src/server/index.ts';
import { importSeizedDump, type ImportedSeized } from '../helpers/seized.ts';
import { TEST_SCRYPT } from '../server/seed.ts';
import { loginAs, openHarness, type Harness } from './harness.ts';
import { E2E_PASSWORD } from './world.ts';

// The seized-data split on the Exchange screen in Debian Chromium: no seized market yet says so; after a real sim
// dump is imported for the agency, the investigator picks it, builds the split, reads the per-country index (the
// same countries and counts as the stage's own split) and downloads one country's package, whose SHA-256 is the
// one the signed index names. Screenshot with DP_SCREENSHOTS=1.
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
let h: Harness;
let imported: ImportedSeized | undefined;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await openHarness();
  await createUser(h.store.db, { agencyCode: 'NL-POL', username: 'ivo', role: 'investigator', password: E2E_PASSWORD }, TEST_SCRYPT);
}, 240_000);
afterAll(async () => {
  await h?.close();
  imported?.cleanup();
});

describe('seized-data split on the Exchange screen (Debian Chromium)', () => {
  it('empty state → import → pick the market → build the split → index per country → download a package', async () => {
    const page = h.page;
    await loginAs(h, 'ivo');
    await page.goto(`${h.console.url}#/exchange`);
    await page.getByText('Your agency holds no seized market').waitFor();

    imported = await importSeizedDump(h.store.db, h.world.agencyId, 'split-e2e', h.warcDir);
    await page.reload();
    const market = await h.store.db.selectFrom('markets').select(['id', 'name']).where('id', '=', imported.summary.marketId).executeTakeFirstOrThrow();
    await page.getByLabel('seized market').selectOption(String(market.id));
    await page.getByLabel('split tlp').selectOption('AMBER+STRICT');
    await page.getByRole('button', { name: 'Build the split' }).click();
    const index = page.getByLabel('split index');
    await index.waitFor({ timeout: 120_000 });

    const stage = await splitSeizedMarket(h.store.db, market.id, { producer: { agencyId: 'NL-POL', name: 'x' } });
    expect(stage.packages.length).toBeGreaterThan(5);
    const rows = await index.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    // country, buyers, vendors, orders, messages, selectors, objects, evidence digests (at least the dump)
    expect(rows.map((r) => r.slice(0, 7))).toEqual(stage.packages.map((p) => [p.country, p.buyers.length, p.vendors.length, p.orders, p.messages, p.selectors, p.bundle.objects.length].map(String)));
    for (const r of rows) expect(Number(r[7])).toBeGreaterThanOrEqual(1);
    expect(await index.locator('.tlp').first().textContent()).toBe('TLP:AMBER+STRICT');
    await page.getByRole('heading', { name: 'Seized-data split per country' }).scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('.split-index')?.closest('section')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: resolve(SHOTS, 'exchange-split.png'), fullPage: false });

    const first = stage.packages[0]!.country;
    const shaShown = await index.locator('tbody tr').first().locator('td.mono').getAttribute('title');
    const [download] = await Promise.all([page.waitForEvent('download'), index.getByRole('button', { name: `download ${first}.json` }).click()]);
    const file = join(mkdtempSync(join(tmpdir(), 'dp-split-dl-')), `${first}.json`);
    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shaShown);
    const pkg = JSON.parse(bytes.toString('utf8')) as { manifest: { tlp: string; producer: { agencyId: string } } };
    expect(pkg.manifest.tlp).toBe('AMBER+STRICT');
    expect(pkg.manifest.producer.agencyId).toBe('NL-POL');
    expect(h.foreign).toEqual([]);
    expect(h.cspViolations).toEqual([]);
  }, 300_000);
});
