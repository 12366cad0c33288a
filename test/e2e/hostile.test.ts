import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, openHarness, type Harness } from './harness.ts';
import { VIEWER_PAYLOADS } from './world.ts';
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
    for (const bad of ['<script', '<img', '<iframe', '<object', '<svg', '<form', '<style', '<link', '<base', '<meta']) expect(html).not.toContain(bad);
    // No attribute of the page survives (link targets are shown as inert text); only our own classes are there.
    const attributes = await frame.locator('body').evaluate((b) => [...b.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n !== 'class'));
    expect(attributes).toEqual([]);
    expect(await frame.locator('body').textContent()).toContain("special offer [→ javascript:fetch('/api/health?pwned=js')]");
    await h.page.waitForTimeout(1500);
    await h.page.screenshot({ path: process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots/evidence.png') : join(mkdtempSync(join(tmpdir(), 'dp-shots-')), 'evidence.png') });
    expect(pwned()).toEqual([]);
    expect(h.foreign).toEqual([]);
    expect(h.dialogs).toEqual([]);
  });

  it('shows what the bytes hold: link text kept, CSV and JSON as text, the raw bytes as hex beside the rendering', async () => {
    const frameText = async (id: number) => {
      await h.page.goto(`${h.console.url}#/captures/${id}`);
      await h.page.locator('iframe.evidence-frame').waitFor();
      const frame = h.page.frameLocator('iframe.evidence-frame');
      await frame.locator('.dp-body').waitFor();
      return { frame, text: (await frame.locator('.dp-body').textContent()) ?? '' };
    };
    const link = await frameText(h.world.viewerCaptures.linkText);
    expect(link.text.replace(/\s+/g, ' ')).toContain('Sold by Blue-Express365 [→ /user/blue-express365] Lv.7');

    const csv = await frameText(h.world.viewerCaptures.csv);
    expect(csv.text).toBe(VIEWER_PAYLOADS.csv.body);
    expect(await csv.frame.locator('iframe').count()).toBe(0);

    const json = await frameText(h.world.viewerCaptures.json);
    expect(json.text).toBe(VIEWER_PAYLOADS.json.body);
    // Beside the rendering: the bytes themselves, whose digest matches the recorded one.
    const dump = h.page.locator('pre.hex-dump');
    await dump.waitFor();
    const first = Buffer.from(VIEWER_PAYLOADS.json.body).subarray(0, 16);
    expect(await dump.textContent()).toContain(`00000000  ${[...first].map((b) => b.toString(16).padStart(2, '0')).join(' ')}  ${first.toString('latin1')}`);
    await expect.poll(() => h.page.locator('.hex-card').textContent()).toContain('(matches the recorded payload digest)');
    expect(pwned()).toEqual([]);
    expect(h.foreign).toEqual([]);
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
