import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, openHarness, type Harness } from './harness.ts';

// docs/screenshots is refreshed only on request (DP_SCREENSHOTS=1), so a plain `npm test` leaves the tree clean.
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
let h: Harness;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await openHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const shot = (name: string) => h.page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: false });

describe('console end to end (Debian Chromium)', () => {
  it('refuses a wrong password, then logs in and shows the dashboard', async () => {
    await h.page.goto(h.console.url);
    await h.page.getByLabel('Username').fill('anna');
    await h.page.getByLabel('Password').fill('wrong password');
    await h.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => h.page.getByRole('alert').textContent()).toContain('wrong username or password');
    await shot('login');
    await loginAs(h);
    await h.page.locator('.stat').first().waitFor();
    await h.page.locator('canvas').first().waitFor();
    expect(await h.page.locator('.stat .label').allTextContents()).toEqual(expect.arrayContaining(['markets', 'vendors', 'est. revenue']));
    expect(await h.page.locator('.alerts').textContent()).toMatch(/seized.*Hydra Bay/i);
    await h.page.waitForTimeout(300); // let the chart finish its first paint for the screenshot
    await shot('dashboard');
  });

  it('draws the shipping-flow map offline: countries, arcs and origins, walkable from the keyboard', async () => {
    const map = h.page.locator('.flowmap');
    await map.locator('svg.flowmap-svg').waitFor();
    // Natural Earth 110m has 177 countries; every one is a drawn path, as are the flow arcs.
    expect(await map.locator('path.fm-country').count()).toBeGreaterThan(150);
    expect(await map.locator('path.fm-country').first().getAttribute('d')).toMatch(/^M[\d.-]+,[\d.-]+/);
    const arcs = await map.locator('path.fm-arc').count();
    expect(arcs).toBeGreaterThan(0);
    expect(await map.locator('circle.fm-origin').count()).toBeGreaterThan(0);
    // Keyboard: focusing a flow row highlights its arc.
    const row = map.locator('tr.fm-row').first();
    await row.focus();
    await expect.poll(() => map.locator('path.fm-arc.active').count()).toBe(1);
    await h.page.keyboard.press('Tab');
    await expect.poll(() => map.locator('tr.fm-row').nth(1).evaluate((el) => el === document.activeElement)).toBe(true);
    await map.getByRole('radio', { name: 'est. revenue' }).click();
    expect(await map.getByRole('radio', { name: 'est. revenue' }).getAttribute('aria-checked')).toBe('true');
    await map.scrollIntoViewIfNeeded();
    await h.page.locator('.flows-card').screenshot({ path: resolve(SHOTS, 'flow-map.png') });
    expect(h.foreign).toEqual([]);
  });

  it('searches listings and vendor profiles from the keyboard', async () => {
    await h.page.locator('body').press('/');
    await h.page.getByLabel('search').fill('cocaine');
    await h.page.getByLabel('search').press('Enter');
    await h.page.getByRole('heading', { name: /Listings \(\d+\)/ }).waitFor();
    const listings = await h.page.locator('.listing-title').allTextContents();
    expect(listings.length).toBeGreaterThan(0);
    expect(listings.every((t) => /cocaine/i.test(t))).toBe(true);
    await shot('search');
  });

  it('draws emoji in handles with a colour emoji font, not as boxes', async () => {
    await h.page.goto(`${h.console.url}#/search?q=frostbite`);
    const link = h.page.locator('ul.results a', { hasText: 'frostbite🧊' });
    await link.waitFor();
    // Chromium says which platform fonts rendered the node's text (DevTools protocol, the real text shaping). The
    // fallback font is found and loaded asynchronously: on a loaded machine the first layout can still show the
    // text in the default face (seen: only DejaVu Sans), so the question is asked until the fonts settle.
    await h.page.evaluate(() => document.fonts.ready.then(() => undefined));
    const cdp = await h.context.newCDPSession(h.page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const fontsOfLink = async () => {
      const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'ul.results a[href^="#/vendors/"]' });
      return (await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts;
    };
    await expect.poll(async () => (await fontsOfLink()).map((f) => f.familyName), { timeout: 15_000 }).toContain('Noto Color Emoji');
    const fonts = await fontsOfLink();
    await cdp.detach();
    expect(fonts.find((f) => f.familyName === 'Noto Color Emoji')!.glyphCount).toBe(1);
  });

  it('opens a vendor profile and confirms a link; the decision is stored and audited', async () => {
    await h.page.goto(`${h.console.url}#/vendors/${h.world.vendorId}`);
    await h.page.getByRole('heading', { name: /Accounts across markets/i }).waitFor();
    await h.page.getByRole('heading', { name: /dutchmasters/ }).waitFor();
    await h.page.waitForTimeout(300);
    await shot('vendor');
    const link = h.page.locator(`[data-link-id="${h.world.linkId}"]`);
    await link.getByRole('button', { name: 'Confirm' }).click();
    await link.locator('.badge-confirmed').waitFor();
    const row = await h.store.db.selectFrom('links').select(['status', 'decided_by']).where('id', '=', h.world.linkId).executeTakeFirstOrThrow();
    expect(row.status).toBe('confirmed');
    const audit = await h.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'link.confirm').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: 'user:anna', object_id: String(h.world.linkId) });
    await h.page.locator('a', { hasText: 'dutchmasters' }).filter({ hasNot: h.page.locator('xx') }).first().waitFor();
  });

  it('solves a parked CAPTCHA: the image loads and the answer reaches the crawler queue', async () => {
    await h.page.goto(`${h.console.url}#/captchas`);
    const img = h.page.getByAltText(`CAPTCHA ${h.world.captchaId}`);
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(120);
    await shot('captchas');
    await h.page.getByLabel(`answer for captcha ${h.world.captchaId}`).fill('k7x2p');
    await h.page.getByRole('button', { name: 'Solve' }).click();
    await h.page.getByText('Nothing waiting').waitFor();
    const r = await sql<{ status: string; answer: string; solved_by: string }>`select status, answer, solved_by from crawl_captchas where id = ${h.world.captchaId}`.execute(h.store.db);
    expect(r.rows[0]).toEqual({ status: 'solved', answer: 'k7x2p', solved_by: 'user:anna' });
  });

  it('renders the market, identity, graph and top-target screens', async () => {
    await h.page.goto(`${h.console.url}#/markets`);
    await h.page.getByRole('link', { name: 'Hydra Bay' }).click();
    await h.page.getByRole('heading', { name: /Lifecycle/ }).waitFor();
    await shot('market');
    h.cspViolations.length = 0;
    await h.page.goto(`${h.console.url}#/graph`);
    await h.page.locator('.graph canvas').first().waitFor();
    await h.page.waitForTimeout(500);
    await shot('graph');
    // Cytoscape injects a <style> unless its marker element exists: the console claims it, the CSP stays strict.
    expect(h.cspViolations).toEqual([]);
    expect(await h.page.locator('style#__________cytoscape_stylesheet').count()).toBe(0);
    expect(await h.page.locator('.graph').evaluate((el) => getComputedStyle(el).position)).toBe('relative');
    await h.page.goto(`${h.console.url}#/targets`);
    await h.page.locator('.factor').first().waitFor();
    expect(await h.page.locator('.targets tbody tr').count()).toBeGreaterThan(3);
    await shot('targets');
    await h.page.goto(`${h.console.url}#/identities`);
    await h.page.getByRole('link', { name: 'tulipcartel' }).click();
    await h.page.getByRole('heading', { name: /Timeline of accounts/ }).waitFor();
    await shot('identity');
  });

  it('never shows another agency\'s RED rows and never contacted anything but its own origin', async () => {
    await h.page.goto(`${h.console.url}#/search?q=bka`);
    await h.page.getByRole('heading', { name: /Vendors \(0\)/ }).waitFor();
    expect(h.foreign).toEqual([]);
    expect(h.cspViolations).toEqual([]);
    expect(h.dialogs).toEqual([]);
  });
});
