import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/index.ts';
import type { ExportManifest } from '../../src/evidence/index.ts';
import { TEST_SCRYPT } from '../server/seed.ts';
import { recordCaptures } from '../server/evidence-seed.ts';
import { openHarness, type Harness } from './harness.ts';
import { E2E_PASSWORD } from './world.ts';

// The Evidence screen in Debian Chromium: open a case, reach its evidence from the case, attach real captures
// (WARC + hash-chained log written by the evidence recorder, one with markup in its URL), verify, read a custody
// chain, download the court bundle and read it back with unzip and warcio. Screenshot with DP_SCREENSHOTS=1.
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
let h: Harness;
let captures: number[];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  h = await openHarness();
  await createUser(h.store.db, { agencyCode: 'NL-POL', username: 'ivo', role: 'investigator', password: E2E_PASSWORD }, TEST_SCRYPT);
  const market = await h.store.db.selectFrom('markets').select('id').where('slug', '=', 'nightshade').executeTakeFirstOrThrow();
  captures = await recordCaptures(h.store.db, h.warcDir, h.world.agencyId, market.id, 3);
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const unzip = (zip: string, name: string) => {
  const r = spawnSync('unzip', ['-p', zip, name], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`unzip ${name}: ${r.stderr.toString()}`);
  return r.stdout;
};

describe('evidence and court export screen (Debian Chromium)', () => {
  it('a case: attach captures, verify, custody chain, printable report, court bundle that unzips and reads with warcio', async () => {
    const page = h.page;
    await page.goto(h.console.url);
    await page.getByLabel('Username').fill('ivo');
    await page.getByLabel('Password').fill(E2E_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.locator('nav.side a').allTextContents()).toContain('Evidence');

    // The case, then its evidence from the case page.
    await page.goto(`${h.console.url}#/cases`);
    await page.getByLabel('Reference').fill('NL-2026-EV');
    await page.getByLabel('Title').fill('Operation Nightshade');
    await page.getByLabel(/Contact point/).fill('Team Darkweb');
    await page.getByRole('button', { name: 'Open case' }).click();
    await page.getByRole('link', { name: 'NL-2026-EV' }).click();
    await page.getByRole('link', { name: 'Evidence and court export' }).click();
    await page.getByRole('heading', { name: /Evidence — case NL-2026-EV/ }).waitFor();
    await page.getByText('No captures in this case yet').waitFor();
    expect(await page.locator('.verify-state').textContent()).toContain('Not verified yet');

    await page.getByLabel('Capture ids').fill(captures.join(', '));
    await page.getByRole('button', { name: 'Attach' }).click();
    expect(await page.locator('.ok[role=status]').textContent()).toContain('3 attached');
    await page.locator('tr.capture').nth(2).waitFor();
    // The URL with markup is shown as text, and nothing in it ran.
    expect(await page.locator(`tr.capture[data-capture-id="${captures[0]}"] td.mono.wrap`).textContent()).toContain(`"><script>alert('x')</script>`);

    await page.getByRole('button', { name: 'Verify now' }).click();
    await page.locator('.verify-state.verified').waitFor();
    expect(await page.locator('.badge.verify-verified').count()).toBe(3);
    const row = page.locator(`tr.capture[data-capture-id="${captures[1]}"]`);
    await row.getByRole('button', { name: /custody/ }).click();
    const hashes = (await h.store.db.selectFrom('evidence_log').select('hash').where('capture_id', '=', captures[1]!).orderBy('id').execute()).map((e) => e.hash);
    const custody = await page.locator('tr.custody').textContent();
    for (const hash of hashes) expect(custody).toContain(hash);
    await page.screenshot({ path: resolve(SHOTS, 'case-evidence.png'), fullPage: false });

    const caseId = Number(/#\/evidence\/(\d+)/.exec(page.url())![1]);
    const report = await page.context().request.get(`${h.console.url}api/cases/${caseId}/evidence/report`);
    expect(report.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    const html = await report.text();
    expect(html).toContain('VERIFIED');
    expect(html).not.toMatch(/<script|<img/i);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export court bundle' }).click()]);
    const file = join(mkdtempSync(join(tmpdir(), 'dp-bundle-e2e-')), download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('NL-2026-EV-evidence.wacz');
    await page.locator('.exported').waitFor();
    expect(spawnSync('unzip', ['-tq', file]).status).toBe(0);
    const manifest = JSON.parse(unzip(file, 'darkpatrol/manifest.json').toString('utf8')) as ExportManifest;
    expect(new Set(manifest.records.map((r) => r.captureId))).toEqual(new Set(captures));
    const warc = unzip(file, 'archive/data.warc.gz');
    expect(createHash('sha256').update(warc).digest('hex')).toBe(manifest.files[0]!.sha256);
    const ids: string[] = [];
    for await (const rec of new WARCParser(new Blob([warc]).stream() as never)) {
      ids.push(rec.warcHeader('WARC-Record-ID')!);
      await rec.readFully();
    }
    expect(ids).toEqual(manifest.records.map((r) => r.recordId));
    const bundledReport = unzip(file, 'darkpatrol/custody-report.html').toString('utf8');
    expect(bundledReport).toContain(manifest.files[0]!.sha256);
    expect(bundledReport).not.toMatch(/<script|<img/i);
    await page.locator('.steps', { hasText: 'export' }).waitFor();

    expect(h.requests.filter((u) => u.includes('pwned'))).toEqual([]);
    expect(h.dialogs).toEqual([]);
    expect(h.foreign).toEqual([]);

    // Error state: a case that is not the agency's (or does not exist).
    await page.goto(`${h.console.url}#/evidence/999999`);
    expect(await page.getByRole('alert').textContent()).toMatch(/Not found/);
  });
});
