import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageStructure, type StructureNode } from '../../src/extract/index.ts';
import { MARKETS_2019, recordFixturePages, type RecordedPage } from '../server/induce-seed.ts';
import { loginAs, openHarness, type Harness } from './harness.ts';

// The adapter-induction screen in Debian Chromium: real pages of the 2019 Dream market recorded as captures of a
// market, picked on the screen, labelled by clicking elements of their inert structure, induced, coverage read
// from the table, saved as a version. Nothing of the captured pages may run or reach the network.
// Screenshot with DP_SCREENSHOTS=1.
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
let h: Harness;
let pages: RecordedPage[];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await openHarness();
  const market = await h.store.db.selectFrom('markets').select('id').where('slug', '=', 'tortuga').executeTakeFirstOrThrow();
  pages = await recordFixturePages(h.store.db, h.warcDir, h.world.agencyId, market.id, (f) => /listing_\d\.html$|seller_[0-9]\.html$/.test(f));
}, 240_000);
afterAll(async () => {
  await h?.close();
});

/** The element an analyst's eye finds for each value (by its text), as a path of the inert structure. */
function nodesOf(p: RecordedPage): StructureNode[] {
  return pageStructure({ url: p.truth.url, html: readFileSync(join(MARKETS_2019, p.file)), capturedAt: new Date(), captureDigest: 'x', contentType: 'text/html; charset=utf-8' }).nodes;
}
function clicks(p: RecordedPage): [string, string][] {
  const nodes = nodesOf(p);
  const find = (test: (n: StructureNode) => boolean) => nodes.find(test)!.path;
  const after = (label: string) => nodes.slice(nodes.findIndex((n) => n.text === label) + 1).find((n) => n.text !== '')!.path;
  if (p.truth.listing) {
    const l = p.truth.listing;
    return [
      ['title', find((n) => n.text === l.title && n.tag === 'div')],
      ['price', find((n) => n.text.includes(String(l.price.amount)))],
      ['vendor', find((n) => n.tag === 'a' && n.text === l.vendorHandle)],
      ['ships_from', after('Ships from')],
      ['ships_to', after('Ships to')],
    ];
  }
  const v = p.truth.vendor!;
  return [
    ['handle', find((n) => n.tag === 'span' && (n.text === v.handle || n.text.startsWith(`${v.handle} `)))],
    ['rating', find((n) => n.tag === 'span' && Number.parseFloat(n.text) === v.rating)],
  ];
}

describe('adapter induction screen (Debian Chromium)', () => {
  it('market → pick pages → click fields in the inert structure → induce → coverage → save', async () => {
    const page = h.page;
    await loginAs(h, 'anna');
    await page.getByRole('link', { name: 'Adapter induction' }).click();
    await page.getByRole('heading', { name: 'Adapter induction' }).waitFor();
    await page.getByLabel('Market').selectOption({ label: 'Tortuga' });
    // A market with no captures says so.
    await page.getByLabel('Market').selectOption({ label: 'Hydra Bay' });
    await page.getByText('This market has no captured HTML pages yet').waitFor();
    await page.getByLabel('Market').selectOption({ label: 'Tortuga' });
    await page.locator('table.capture-pick tbody tr').first().waitFor();
    expect(await page.locator('table.capture-pick tbody tr').count()).toBe(pages.length);

    const training = pages.filter((p) => /listing_[035]\.html$|seller_[027]\.html$/.test(p.file));
    for (const p of training) {
      await page.getByLabel(`pick capture ${p.captureId}`).check();
      await page.getByRole('tab', { name: new RegExp(`^${p.captureId} ·`) }).click();
      if (p.truth.vendor) await page.getByLabel('Page type').selectOption('vendor_profile');
      await page.locator('ol.structure button.node').first().waitFor();
      for (const [field, path] of clicks(p)) {
        await page.getByRole('radio', { name: new RegExp(`^\\s*${field}( ✓)?$`) }).check();
        await page.locator(`ol.structure button.node[data-path="${path}"]`).click();
        await page.locator(`ol.structure button.node[data-path="${path}"] .badge`).filter({ hasText: field }).waitFor();
      }
    }
    await page.getByRole('button', { name: 'Induce adapter' }).click();
    await page.locator('table.coverage').waitFor({ timeout: 60_000 });
    // Coverage on the other captures: 3 listings and 7 vendor pages, every labelled field found on each.
    expect(await page.locator('.coverage-pages').textContent()).toBe(String(pages.length - training.length));
    const row = async (field: string) => (await page.locator(`table.coverage tr[data-field="${field}"] td`).allTextContents()).slice(2);
    for (const f of ['listing.title', 'listing.price', 'listing.vendorHandle', 'listing.shipsFrom', 'listing.shipsTo']) expect(await row(f), f).toEqual(['3', '3', '100%']);
    for (const f of ['vendor.handle', 'vendor.rating']) expect(await row(f), f).toEqual(['7', '7', '100%']);
    await page.screenshot({ path: join(SHOTS, 'adapters.png'), fullPage: false });

    await page.getByRole('button', { name: 'Save adapter' }).click();
    await page.locator('.saved').getByText('induced-tortuga@1.0.0').waitFor();
    const saved = await h.store.db.selectFrom('induced_adapters').select(['adapter_id', 'version', 'created_by']).execute();
    expect(saved).toEqual([{ adapter_id: 'induced-tortuga', version: '1.0.0', created_by: 'user:anna' }]);

    // Nothing of the captured pages ran or reached out.
    expect(h.foreign).toEqual([]);
    expect(h.dialogs).toEqual([]);
    expect(h.requests.filter((u) => /pwned|uploadedImage|contactMember/.test(u))).toEqual([]);
  }, 120_000);
});
