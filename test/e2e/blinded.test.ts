import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/index.ts';
import { TEST_SCRYPT } from '../server/seed.ts';
import { openCaseScreen, openHarness, signIn, type Harness } from './harness.ts';
import { E2E_PASSWORD } from './world.ts';

// Blinded (OPRF) registration from the console: two agencies register the same selector, each blinded in its own
// browser; both see the hit with the other's contact point, and no request body carries the clear value.
let h: Harness;
let other: Page;

beforeAll(async () => {
  h = await openHarness();
  for (const u of [
    { agencyCode: 'NL-POL', username: 'ivo', role: 'investigator' as const },
    { agencyCode: 'DE-BKA', username: 'berta', role: 'investigator' as const },
  ]) await createUser(h.store.db, { ...u, password: E2E_PASSWORD }, TEST_SCRYPT);
  other = await (await h.browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

/** Every request body the page sends, with its URL. */
function recordBodies(page: Page): { url: string; body: string }[] {
  const seen: { url: string; body: string }[] = [];
  page.on('request', (r) => seen.push({ url: r.url(), body: r.postData() ?? '' }));
  return seen;
}

async function registerBlinded(page: Page, kind: string, values: string): Promise<string> {
  await page.getByLabel('Blinded').check();
  await page.getByRole('heading', { name: 'Register selectors (blinded mode)' }).waitFor();
  await page.getByLabel('Kind').selectOption(kind);
  await page.getByLabel('Values, one per line').fill(values);
  await page.getByRole('button', { name: 'Register' }).click();
  const status = page.locator('.ok[role=status]');
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

describe('blinded registration in the console (Debian Chromium)', () => {
  it('two agencies blind the same e-mail in their browsers; both see the hit with the other contact point; one acknowledges it, the other is not told; the value never leaves', async () => {
    const nlBodies = recordBodies(h.page);
    const deBodies = recordBodies(other);
    await signIn(h.page, h.console.url, 'ivo');
    await openCaseScreen(h.page, h.console.url, 'NL-BLIND-1', 'NL blind desk, +31 88 111 1111');
    expect(await registerBlinded(h.page, 'email', 'shop.owner@Protonmail.INVALID\nnl-only-lead@mail.invalid')).toMatch(/2 blinded in this browser, 2 new token\(s\) registered, 0 hit\(s\)/);

    await signIn(other, h.console.url, 'berta');
    await openCaseScreen(other, h.console.url, 'BKA-BLIND-9', 'BKA blind desk, +49 611 9999');
    // Spelled differently: the shared normalisation (normalizeRegisteredSelector) runs in the browser too.
    expect(await registerBlinded(other, 'email', ' shop.owner [at] protonmail [dot] invalid')).toContain('1 hit(s)');

    // BKA's notice on its case: NL-POL's contact point, never NL's case.
    const theirs = other.locator('tr.blinded-notice').first();
    await theirs.waitFor();
    expect(await theirs.locator('.contact').textContent()).toBe('NL blind desk, +31 88 111 1111');
    expect(await theirs.textContent()).toContain('NL-POL');
    expect(await other.locator('.notices').textContent()).not.toContain('NL-BLIND-1');

    await h.page.goto(`${h.console.url}#/cases`);
    const mine = h.page.locator('tr.blinded-notice').first();
    await mine.waitFor();
    expect(await mine.locator('.contact').textContent()).toBe('BKA blind desk, +49 611 9999');
    expect(await mine.textContent()).toContain('DE-BKA');
    expect(await h.page.locator('tr.blinded-notice').count()).toBe(1);

    // NL acknowledges its side in the Cases screen; the row shows it, a reload keeps it, and BKA is not told.
    await mine.getByRole('button', { name: 'Acknowledge' }).click();
    await mine.locator('.badge', { hasText: 'acknowledged' }).waitFor();
    await h.page.reload();
    await h.page.locator('tr.blinded-notice .badge', { hasText: 'acknowledged' }).waitFor();
    expect(await h.page.locator('tr.blinded-notice').getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await other.goto(`${h.console.url}#/cases`);
    const theirsAfter = other.locator('tr.blinded-notice').first();
    await theirsAfter.getByRole('button', { name: 'Acknowledge' }).waitFor();
    expect(await theirsAfter.locator('.badge').count()).toBe(0);
    const acks = await h.store.db.selectFrom('audit_log').select(['agency_id', 'action']).where('action', '=', 'deconflict.blinded.hit.acknowledge').execute();
    const nlId = (await h.store.db.selectFrom('agencies').select('id').where('code', '=', 'NL-POL').executeTakeFirstOrThrow()).id;
    expect(acks).toEqual([{ agency_id: nlId, action: 'deconflict.blinded.hit.acknowledge' }]);

    // What went over the wire: blinded elements to the evaluator, tokens to the matcher, no clear value.
    const all = [...nlBodies, ...deBodies];
    expect(all.filter((b) => b.url.endsWith('/api/deconflict/oprf/evaluate'))).toHaveLength(2);
    expect(all.filter((b) => b.url.endsWith('/api/deconflict/blinded/tokens'))).toHaveLength(2);
    const wire = all.map((b) => b.body).join('\n').toLowerCase();
    for (const clear of ['shop.owner', 'protonmail', 'nl-only-lead', 'mail.invalid']) expect(wire).not.toContain(clear);
    // Nor is it stored: the server holds token ids and case handles only.
    const stored = JSON.stringify(await h.store.db.withTables<{ blinded_tokens: { owner: string; case_ref: string; token_id: string } }>().selectFrom('blinded_tokens').selectAll().execute()).toLowerCase();
    expect(stored).not.toContain('shop.owner');
    expect(stored).not.toContain('nl-blind-1');
  });
});
