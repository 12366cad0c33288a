import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobWorker, type JobWorker } from '../../src/cli/worker-runtime.ts';
import { fixtureDir } from '../helpers/fixtures.ts';
import { tarOf, tarOfFolder } from '../helpers/tar.ts';
import { loginAs, openHarness, type Harness } from './harness.ts';

// The Collection screen in Debian Chromium: upload an import file from the browser (with its upload progress),
// the import job starts on it and runs on a real worker, its progress and the reject report show; a wrong file
// gives a clear error; a page archive (.tar.gz of the real Agora pages) is imported with its skipped files listed.
// Screenshots with DP_SCREENSHOTS=1.
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
const TELEGRAM = join(fixtureDir('telegram-chat-analytics'), 'DM_2A_7M.json');
const AGORA = fixtureDir('agora-2014-04-06');
let h: Harness;
let worker: JobWorker;
let importDir: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  importDir = mkdtempSync(join(tmpdir(), 'dp-e2e-imports-'));
  h = await openHarness({ importDir });
  worker = await startJobWorker(h.store, { proxy: undefined, importDir, evidenceDir: h.warcDir, concurrency: 1, pollMs: 200, queues: ['import'] });
}, 240_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

describe('import upload on the Collection screen (Debian Chromium)', () => {
  it('uploads a Telegram export and a CSV with a bad row, runs the imports, shows the reject report; refuses a wrong file', async () => {
    const page = h.page;
    await loginAs(h);
    await page.goto(`${h.console.url}#/collection`);
    await page.getByRole('heading', { name: 'Collection' }).waitFor();
    await page.getByLabel('job kind').selectOption('import');

    // A wrong file for the kind: the server's reason is shown, nothing is queued.
    await page.getByLabel('import format').selectOption('telegram');
    await page.getByLabel('file to upload').setInputFiles({ name: 'notes.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') });
    await page.getByRole('button', { name: 'Upload and start' }).click();
    await expect.poll(async () => page.getByRole('alert').textContent()).toMatch(/notes\.csv: this is not a Telegram Desktop export/);

    // The real Telegram export: uploaded, imported, progress in bytes.
    const telegram = readFileSync(TELEGRAM);
    await page.getByLabel('file to upload').setInputFiles({ name: 'result.json', mimeType: 'application/json', buffer: telegram });
    await page.getByRole('button', { name: 'Upload and start' }).click();
    await page.getByText(`result.json: uploaded ${telegram.length} / ${telegram.length} bytes`).waitFor();
    const tgRow = page.locator('tr[data-state="completed"]', { hasText: 'format=telegram' });
    await tgRow.waitFor({ timeout: 120_000 });
    expect(await tgRow.locator('td.progress').textContent()).toContain(`${telegram.length} / ${telegram.length} bytes`);

    // A CSV scrape with one bad row (a negative price) and its mapping: the reject report names the row.
    await page.getByLabel('import format').selectOption('csv');
    await page.getByLabel('file to upload').setInputFiles({ name: 'scrape.csv', mimeType: 'text/csv', buffer: Buffer.from('id,vendor,title,price,currency\n1,AlphaVendor,Cocaine 1g,80,USD\n2,BetaShop,MDMA 10x,-5,EUR\n3,AlphaVendor,Ketamine 5g,120,USD\n') });
    await page.getByLabel('csv mapping file').setInputFiles({ name: 'mapping.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ id: 'id', vendor: 'vendor', title: 'title', price: 'price', currency: 'currency' })) });
    await page.getByRole('button', { name: 'Upload and start' }).click();
    const csvRow = page.locator('tr[data-state="completed"]', { hasText: 'format=csv' });
    await csvRow.waitFor({ timeout: 120_000 });
    const report = page.getByRole('table', { name: 'reject report' });
    await report.waitFor();
    expect(await page.getByText(/Reject report: 1 row refused/).count()).toBe(1);
    const cells = await report.locator('tbody tr').first().locator('td').allTextContents();
    expect(cells[0]).toBe('3');
    expect(cells[2]).toMatch(/price/i);
    expect(cells[3]).toContain('BetaShop');
    expect(await csvRow.locator('td').nth(1).textContent()).toContain('market=scrape'); // named after the client's file, not the server's
    expect(h.cspViolations).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'collection-upload.png'), fullPage: true });
  }, 300_000);

  it('uploads a page archive (.tar.gz of the real Agora pages): pages preserved and extracted, the skipped link and stylesheet in the reject report', async () => {
    const page = h.page;
    const folder = tarOfFolder(AGORA, 'agora-2014-04-06');
    const extra = tarOf([
      { path: 'agora-2014-04-06/style.css', body: 'body { color: red }' },
      { path: 'agora-2014-04-06/passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' },
    ]);
    const tgz = gzipSync(Buffer.concat([folder.subarray(0, folder.length - 1024), extra]));
    await page.getByLabel('job kind').selectOption('import');
    await page.getByLabel('import format').selectOption('pages');
    await page.getByLabel('file to upload').setInputFiles({ name: 'agora-2014-04-06.tar.gz', mimeType: 'application/gzip', buffer: tgz });
    await page.getByRole('button', { name: 'Upload and start' }).click();
    await page.getByText(`agora-2014-04-06.tar.gz: uploaded ${tgz.length} / ${tgz.length} bytes`).waitFor();
    const row = page.locator('tr[data-state="completed"]', { hasText: 'format=pages' });
    await row.waitFor({ timeout: 180_000 });
    expect(await row.locator('td').nth(4).textContent()).toMatch(/pages 40/);
    await page.getByText(/Reject report: 2 files skipped/).waitFor();
    const report = page.locator('tr.reject-report', { hasText: 'files skipped' }).getByRole('table', { name: 'reject report' });
    const rows = await report.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.includes('agora-2014-04-06/passwd'))).toMatch(/symbolic link/);
    expect(rows.find((r) => r.includes('agora-2014-04-06/style.css'))).toMatch(/not an HTML page/);
    expect(h.cspViolations).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'collection-archive-upload.png'), fullPage: true });
  }, 300_000);
});
