import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMysqlDump, SIM_SEIZED_MAPPING } from '../../src/collect/index.ts';
import { exportTagPack, parseTagPack, saveTagPack } from '../../src/money/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';
import { generateLedger, publicTags, serveLedger, type Ledger, type LedgerServer } from '../../src/sim/ledger/index.ts';
import { generateWorld } from '../../src/sim/world/index.ts';
import { loginAs, openHarness, type Harness } from './harness.ts';

// The Follow-the-money screen in Debian Chromium, against the sim ledger's Esplora endpoint on loopback: open it from
// the identity profile, run a trace, read the cash-out table, the Sankey summary and the cytoscape flow graph (no CSP
// violation), draft a request. Screenshot with DP_SCREENSHOTS=1.
const SHOTS = process.env.DP_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/screenshots') : mkdtempSync(join(tmpdir(), 'dp-shots-'));
let h: Harness;
let ledger: Ledger;
let chain: LedgerServer;
let identityId: number;
let trueIdentity: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const world = generateWorld({ seed: 'money-e2e', scale: 'tiny' });
  ledger = generateLedger(world);
  chain = await serveLedger(ledger);
  h = await openHarness({ chain: { esplora: chain.esploraUrl } });
  const dir = mkdtempSync(join(tmpdir(), 'dp-money-e2e-'));
  const file = join(dir, 'seized.sql');
  const parts: string[] = [];
  dumpSeized(world, world.seized[0]!, (c) => parts.push(c));
  writeFileSync(file, parts.join(''));
  const db = h.store.db;
  await importMysqlDump({ db, evidenceDir: h.warcDir, agencyId: h.world.agencyId, file, market: 'seized-e2e', mapping: SIM_SEIZED_MAPPING });
  await saveTagPack(db, h.world.agencyId, parseTagPack(exportTagPack({ title: 'sim services', creator: 'test', isPublic: true, tags: publicTags(ledger) })));
  const rows = await db.selectFrom('selector_sightings as s').innerJoin('selectors as sel', 'sel.id', 's.selector_id')
    .select(['s.vendor_id', 'sel.value']).where('sel.kind', '=', 'btc_address').where('s.vendor_id', 'is not', null).execute();
  const cashedOut = new Set(ledger.truth.cashouts.map((c) => `vendor:${c.identityId}`));
  const pick = rows.find((r) => cashedOut.has(ledger.truth.owner.get(r.value) ?? '') && (ledger.addressTxs.get(r.value)?.length ?? 0) > 2)!;
  trueIdentity = (ledger.truth.owner.get(pick.value) as string).slice('vendor:'.length);
  identityId = (await db.insertInto('identities').values({ agency_id: h.world.agencyId, tlp: 'AMBER', label: 'money e2e subject' }).returning('id').executeTakeFirstOrThrow()).id;
  await db.insertInto('identity_members').values({ identity_id: identityId, vendor_id: pick.vendor_id! }).execute();
}, 240_000);
afterAll(async () => {
  await h?.close();
  await chain?.close();
});

describe('follow the money screen (Debian Chromium)', () => {
  it('from the identity: run a trace, see cash-outs, the Sankey summary and the flow graph, draft a request', async () => {
    const page = h.page;
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
    });
    await loginAs(h);
    await page.goto(`${h.console.url}#/identities/${identityId}`);
    await page.getByRole('link', { name: 'Follow the money' }).click();
    await page.getByRole('heading', { name: /Follow the money/ }).waitFor();
    await page.getByText('No trace yet').waitFor();
    await page.getByRole('button', { name: 'Run trace' }).click();
    await page.locator('.money .ok[role=status], .money [role=alert]').first().waitFor({ timeout: 120_000 }).catch(async (e: unknown) => {
      await page.screenshot({ path: resolve(SHOTS, 'money-failed.png'), fullPage: true });
      throw new Error(`no trace outcome on the screen: ${(await page.locator('main').textContent())?.slice(0, 2000)}`, { cause: e });
    });
    const alert = page.locator('.money [role=alert]');
    expect(await alert.count() ? await alert.first().textContent() : 'no error').toBe('no error');
    await page.locator('tr.cashout').first().waitFor();
    const table = (await page.locator('table.cashouts').textContent()) ?? '';
    const trueNames = ledger.truth.cashouts.filter((c) => c.identityId === trueIdentity).map((c) => ledger.exchanges.find((e) => e.slug === c.exchange)!.name);
    const shown = ledger.exchanges.map((e) => e.name).filter((n) => table.includes(n));
    expect(shown.length).toBeGreaterThan(0);
    for (const n of shown) expect(trueNames).toContain(n);
    expect(table).toMatch(/USD [\d,]+\.\d\d/);
    expect(table).toMatch(/EUR [\d,]+\.\d\d/);
    expect(await page.locator('svg.sankey path.sankey-link').count()).toBeGreaterThan(1);
    expect(await page.locator('.flow-graph canvas').count()).toBeGreaterThan(0);
    await page.getByLabel('Case reference').fill('NL-2026-17');
    await page.getByRole('button', { name: 'Draft exchange requests' }).click();
    await page.getByText(/draft request\(s\) made/).waitFor();
    await page.locator('details.draft').first().click();
    expect(await page.locator('details.draft pre').first().textContent()).toContain('NL-2026-17');
    await page.screenshot({ path: resolve(SHOTS, 'money.png'), fullPage: true });
    expect(csp).toEqual([]);
    expect(h.foreign).toEqual([]);
  }, 240_000);
});
