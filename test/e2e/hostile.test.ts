import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, openHarness, type Harness } from './harness.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Captured pages and extracted texts are planted with <script>, onerror=, javascript: URLs, meta refresh, CSS url(),
 * <iframe>, <object>, <svg onload>, <base> and <form> payloads. Each payload, if it ran, would call /api/health?pwned=…
 * or alert(); any remote load would be a request to evil.invalid. Chromium's request log must show neither.
 */
let h: Harness;
beforeAll(async () => {
  h = await openHarness();
  await loginAs(h);
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const pwned = () => h.requests.filter((u) => u.includes('pwned') || u.includes('evil.invalid'));

describe('hostile captured content', () => {
  it('shows hostile listing titles, descriptions and profiles as inert text', async () => {
    await h.page.goto(`${h.console.url}#/search?q=MDMA`);
    const title = h.page.locator('.listing-title', { hasText: 'Pure MDMA' });
    await title.waitFor();
    expect(await title.textContent()).toContain('<img src=x onerror=');
    await h.page.goto(`${h.console.url}#/vendors/${h.world.hostileVendorId}`);
    await h.page.locator('pre.profile').waitFor();
    expect(await h.page.locator('pre.profile').textContent()).toContain('<meta http-equiv="refresh"');
    expect(await h.page.locator('h1').textContent()).toContain('onerror=alert(1)>');
    await h.page.waitForTimeout(1500); // a meta refresh of 1 s or a delayed handler would have fired by now
    expect(pwned()).toEqual([]);
    expect(h.dialogs).toEqual([]);
    expect(h.page.url()).toContain(h.console.url);
  });

  it('renders a hostile captured page only sanitised in a sandboxed frame; nothing runs, nothing loads', async () => {
    await h.page.goto(`${h.console.url}#/captures/${h.world.hostileCaptureId}`);
    const frameEl = h.page.locator('iframe.evidence-frame');
    await frameEl.waitFor();
    expect(await frameEl.getAttribute('sandbox')).toBe('');
    const frame = h.page.frameLocator('iframe.evidence-frame');
    await frame.getByText('Hostile Vendor Shop').waitFor();
    await expect.poll(() => frame.locator('body').textContent()).toContain('Only the best product');
    const html = await frame.locator('body').innerHTML();
    for (const bad of ['<script', '<img', '<iframe', '<object', '<svg', '<form', '<style', 'onerror', 'onload', 'javascript:', 'url(']) expect(html).not.toContain(bad);
    await h.page.waitForTimeout(1500);
    await h.page.screenshot({ path: process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots/evidence.png') : join(mkdtempSync(join(tmpdir(), 'dp-shots-')), 'evidence.png') });
    expect(pwned()).toEqual([]);
    expect(h.foreign).toEqual([]);
    expect(h.dialogs).toEqual([]);
  });

  it('even opened directly, the capture document is sandboxed by CSP: a script that survived would not run', async () => {
    const res = await h.page.goto(`${h.console.url}api/captures/${h.world.hostileCaptureId}/view`);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
    // Try to run script in that document: CSP (no script-src) must refuse it.
    const ran = await h.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__ran = 1';
      document.body.appendChild(s);
      return (window as unknown as { __ran?: number }).__ran ?? 0;
    });
    expect(ran).toBe(0);
    expect(pwned()).toEqual([]);
    expect(h.foreign).toEqual([]);
  });
});
