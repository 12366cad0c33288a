import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordClosures } from '../../src/analyse/index.ts';
import { main } from '../../src/cli/index.ts';
import { runLinking } from '../../src/link/index.ts';
import { createUser, startConsole, type RunningConsole } from '../../src/server/index.ts';
import { ingestWorld } from '../../src/sim/ingest/index.ts';
import { generateWorld } from '../../src/sim/world/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { openTestStore, testEngine } from '../helpers/store.ts';
import { TEST_SCRYPT } from '../server/seed.ts';
import { CHROMIUM_ARGS } from './harness.ts';

/**
 * One figure, one computation: the same revenue, migration and count figures read through the console (the API
 * calls it makes and the text it renders in Chromium), the API and the CLI (`darkpatrol report … --json`) on one
 * small sim world must agree.
 */

const PASSWORD = 'consistency password 1';

interface Row {
  key: string;
  label: string;
  feedback: number;
  revenueUsd: { value: number };
}
interface Total {
  feedback: number;
  usd: number;
}
interface Point {
  period: string;
  feedback: number;
  usd: number;
}

/** Runs the CLI in-process and parses its JSON output. */
async function cli<T>(db: string[], args: string[]): Promise<T> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'darkpatrol', ...db, ...args]);
    if (code !== 0) throw new Error(`darkpatrol ${args.join(' ')} exited ${code}: ${err}`);
    return JSON.parse(out) as T;
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Dollars as the console prints them ($1,234). */
const shown = (usd: number) => `$${Math.round(usd).toLocaleString('en-US')}`;

describe(`console, API and CLI agree on revenue, migration and counts (${testEngine})`, () => {
  let store: Store & { databaseUrl?: string };
  let dataDir: string | undefined;
  let running: RunningConsole | undefined;
  let browser: Browser | undefined;
  let cliDb: string[];
  let closedSlug: string;
  let closedId: number;

  const api: Record<string, unknown> = {};
  const screen: Record<string, string> = {};

  beforeAll(async () => {
    // The CLI opens the database itself: an embedded database must live in a directory, not in memory.
    if (testEngine === 'pglite') {
      dataDir = mkdtempSync(join(tmpdir(), 'dp-consistency-'));
      store = await openStore({ dataDir });
      cliDb = ['--data-dir', dataDir];
    } else {
      store = await openTestStore();
      cliDb = ['--database-url', store.databaseUrl!];
    }
    const world = generateWorld({ seed: 'consistency', scale: 'tiny' });
    const agency = await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'Dutch police', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
    await ingestWorld(store, world, { agencyId: agency.id, posts: false, revisitDays: 7, classify: true });
    await recordClosures(store, world, agency.id);
    await runLinking(store, { agencyId: agency.id });
    await createUser(store.db, { agencyCode: 'NL-POL', username: 'anna', role: 'analyst', password: PASSWORD }, TEST_SCRYPT);
    const closed = await store.db.selectFrom('markets').select(['id', 'slug']).where('status', 'in', ['seized', 'exit_scam']).orderBy('id').executeTakeFirstOrThrow();
    closedSlug = closed.slug;
    closedId = closed.id;

    running = await startConsole({ store, port: 0, rateLimit: false });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    // What the console's own calls answer, recorded as the browser receives them.
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname + new URL(r.url()).search;
      if (path.startsWith('/api/') && r.request().method() === 'GET' && r.ok()) void r.json().then((j: unknown) => (api[path] = j)).catch(() => undefined);
    });
    await page.goto(running.url);
    await page.getByLabel('Username').fill('anna');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('[data-figure="revenue"]').waitFor();
    for (const k of ['markets', 'vendors', 'listings', 'feedback', 'identities', 'proposed_links', 'revenue']) screen[`overview.${k}`] = (await page.locator(`[data-figure="${k}"]`).textContent()) ?? '';

    await page.goto(`${running.url}#/targets`);
    await page.locator('table.targets tbody tr').first().waitFor();
    const top = await page.locator('table.targets tbody tr').first().locator('a').first().getAttribute('href');
    screen.topTarget = top ?? '';
    screen.topTargetRevenue = (await page.locator('table.targets tbody tr').first().locator('.factor').first().textContent()) ?? '';
    await page.goto(`${running.url}${top}`);
    await page.locator('[data-figure="revenue"]').waitFor();
    screen.profileRevenue = (await page.locator('[data-figure="revenue"]').textContent()) ?? '';

    await page.goto(`${running.url}#/markets/${closedId}`);
    await page.getByRole('columnheader', { name: 'first active on' }).waitFor();
    screen.migration = (await page.locator('table', { has: page.getByRole('columnheader', { name: 'first active on' }) }).innerText()) ?? '';
    // The revenue report has no screen of its own: read it through the API from the console's session.
    api.revenueReport = await page.evaluate(async () => (await fetch('/api/reports/revenue?by=identity&limit=1000')).json());
    // Let the last recorded responses be parsed.
    await page.waitForTimeout(200);
    await browser.close();
    browser = undefined;
    await running.close();
    running = undefined;
    if (dataDir) await store.close(); // the CLI opens the embedded database next; only one process may hold it
  }, 900_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await running?.close().catch(() => undefined);
    if (!dataDir) await store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const overview = () => api['/api/reports/overview?bucket=week&days=3650'] as { counts: Record<string, number>; revenue: Point[]; revenueTotal: Total };
  const targets = () => (Object.entries(api).find(([k]) => k.startsWith('/api/reports/targets'))?.[1] as { items: { kind: string; id: number; key: string; factors: { revenue: { raw: number } } }[] }).items;

  it('counts: the overview screen, its API call and `report counts` agree', async () => {
    const counts = await cli<Record<string, number>>(cliDb, ['report', 'counts', '--json']);
    expect(counts.vendors).toBeGreaterThan(10);
    expect(counts.identities).toBeGreaterThan(0);
    for (const k of ['markets', 'vendors', 'listings', 'feedback', 'identities', 'proposed_links']) {
      expect(overview().counts[k], k).toBe(counts[k]);
      expect(screen[`overview.${k}`], k).toBe(counts[k]!.toLocaleString('en'));
    }
  });

  it('revenue: the top target\'s profile, Top targets, /api/reports/revenue and `report revenue`/`report series` agree', async () => {
    const top = targets()[0]!;
    expect(top.kind).toBe('identity'); // the tiny world's linker finds multi-account identities
    const profile = api[`/api/identities/${top.id}`] as { members: { id: number }[]; revenue: Point[]; revenueTotal: Total };
    const report = (api.revenueReport as { items: Row[] }).items;
    const cliRevenue = await cli<Row[]>(cliDb, ['report', 'revenue', '--by', 'identity', '--limit', '1000', '--json']);
    const cliTargets = await cli<{ key: string; factors: { revenue: { raw: number } } }[]>(cliDb, ['report', 'targets', '--limit', '50', '--json']);
    const cliSeries = await cli<{ total: Total; points: Point[] }>(cliDb, ['report', 'series', '--json', '--vendor', ...profile.members.map((m) => String(m.id))]);
    const cliRow = cliRevenue.find((r) => r.key === top.key)!;
    expect(cliRow.revenueUsd.value).toBeGreaterThan(0);
    const same = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(0.01);
    same(profile.revenueTotal.usd, cliRow.revenueUsd.value);
    same(top.factors.revenue.raw, cliRow.revenueUsd.value);
    same(cliTargets.find((t) => t.key === top.key)!.factors.revenue.raw, cliRow.revenueUsd.value);
    same(cliSeries.total.usd, cliRow.revenueUsd.value);
    expect(profile.revenueTotal.feedback).toBe(cliRow.feedback);
    // The series is the same sales bucketed: its points add up to the total, feedback too, and match the CLI's.
    same(profile.revenue.reduce((s, p) => s + p.usd, 0), profile.revenueTotal.usd);
    expect(profile.revenue.reduce((s, p) => s + p.feedback, 0)).toBe(profile.revenueTotal.feedback);
    expect(profile.revenue).toEqual(cliSeries.points);
    // The revenue report over the API (the console's typed client and scripts) has the same row.
    const apiRow = report.find((r) => r.key === top.key)!;
    same(apiRow.revenueUsd.value, cliRow.revenueUsd.value);
    expect(apiRow.feedback).toBe(cliRow.feedback);
    // What the analyst reads on the screens.
    expect(screen.profileRevenue).toContain(shown(cliRow.revenueUsd.value));
    expect(screen.topTargetRevenue).toContain(shown(cliRow.revenueUsd.value));
    // The overview's total is every sale: the CLI's series over everything.
    const all = await cli<{ total: Total; points: Point[] }>(cliDb, ['report', 'series', '--bucket', 'week', '--json']);
    same(overview().revenueTotal.usd, all.total.usd);
    expect(overview().revenue).toEqual(all.points);
    expect(screen['overview.revenue']).toBe(shown(all.total.usd));
  });

  it('migration: the market screen, /api/markets/:id/migration and `report migration` agree', async () => {
    const fromApi = api[`/api/markets/${closedId}/migration`] as { identities: number; flows: { to: string | null; name: string | null; identities: number }[] };
    const fromCli = await cli<{ identities: unknown[]; flows: { to: string | null; identities: number }[] }>(cliDb, ['report', 'migration', closedSlug, '--json']);
    expect(fromCli.flows.length).toBeGreaterThan(0);
    expect(fromApi.identities).toBe(fromCli.identities.length);
    expect(fromApi.flows.map((f) => [f.to, f.identities])).toEqual(fromCli.flows.map((f) => [f.to, f.identities]));
    // The screen's table: one row per destination, identities in the second column, in the CLI's order.
    const rows = (screen.migration ?? '').split('\n').slice(1).filter((l) => l.trim()).map((l) => l.split('\t'));
    expect(rows.map((r) => Number(r[1]))).toEqual(fromCli.flows.map((f) => f.identities));
    expect(rows.map((r) => r[0]!.trim())).toEqual(fromApi.flows.map((f) => f.name ?? 'not seen again'));
  });
});
