import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startConsole, type RunningConsole, type StartOptions } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { E2E_PASSWORD, seedE2eWorld, type E2eWorld } from './world.ts';

export interface Harness {
  store: TestStore;
  world: E2eWorld;
  /** The server's WARC/evidence directory (warcRoot). */
  warcDir: string;
  console: RunningConsole;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every request the browser tried, including blocked ones. */
  requests: string[];
  /** Requests to anywhere but the console's own origin (aborted, recorded). */
  foreign: string[];
  dialogs: string[];
  /** Content-Security-Policy violations Chromium reported in the page's console (e.g. an injected inline style). */
  cspViolations: string[];
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A seeded store, the real server on 127.0.0.1, and Debian's Chromium with every request logged. */
export async function openHarness(extra: Partial<StartOptions> = {}): Promise<Harness> {
  const store = await openTestStore();
  const warcDir = mkdtempSync(join(tmpdir(), 'dp-e2e-'));
  const world = await seedE2eWorld(store.db, warcDir);
  const running = await startConsole({ store, port: 0, warcRoot: warcDir, rateLimit: false, ...extra });
  const origin = new URL(running.url).origin;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const requests: string[] = [];
  const foreign: string[] = [];
  const dialogs: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requests.push(url);
    if (new URL(url).origin !== origin) {
      foreign.push(url);
      await route.abort('blockedbyclient');
    } else await route.continue();
  });
  context.on('request', (r) => {
    if (!requests.includes(r.url())) requests.push(r.url());
  });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return {
    store,
    world,
    warcDir,
    console: running,
    browser,
    context,
    page,
    requests,
    foreign,
    dialogs,
    cspViolations,
    async close() {
      await browser.close().catch(() => undefined);
      await running.close();
      await store.close();
    },
  };
}

export async function loginAs(h: Harness, username = h.world.username, password = E2E_PASSWORD): Promise<void> {
  await h.page.goto(h.console.url);
  await h.page.getByLabel('Username').fill(username);
  await h.page.getByLabel('Password').fill(password);
  await h.page.getByRole('button', { name: 'Sign in' }).click();
  await h.page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** Signs `username` in on a fresh session of the console at `url` and waits for the overview. */
export async function signIn(page: Page, url: string, username: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(url);
  await page.reload();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** Opens a case on the Cases screen of the console at `url` and shows its page. */
export async function openCaseScreen(page: Page, url: string, reference: string, contact: string): Promise<void> {
  await page.goto(`${url}#/cases`);
  await page.getByRole('heading', { name: 'Cases and de-confliction' }).waitFor();
  await page.getByLabel('Reference').fill(reference);
  await page.getByLabel('Title').fill(`Operation ${reference}`);
  await page.getByLabel(/Contact point/).fill(contact);
  await page.getByRole('button', { name: 'Open case' }).click();
  await page.getByRole('link', { name: reference }).click();
  await page.getByRole('heading', { name: new RegExp(`Case ${reference}`) }).waitFor();
}
