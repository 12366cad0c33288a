// The market servers on a generated world (sim-world's generator, scale 'tiny'): every listing reachable
// through each design's pagination, every listing and vendor page renders, and seeds are deterministic.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cheerio from 'cheerio';
import { startSim, type SimHandle } from '../../src/sim/index.ts';
import { Client, login } from './markets-helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

const LISTING_PATH: Record<string, (ext: string) => string> = {
  table: (e) => `/p/${encodeURIComponent(e)}`,
  cards: (e) => `/item/${encodeURIComponent(e)}`,
  list: (e) => `/l/${encodeURIComponent(e)}`,
  forum: (e) => `/viewtopic.php?t=${encodeURIComponent(e)}`,
  shop: (e) => `/product/${encodeURIComponent(e)}`,
};
const INDEX_LINK = /^\/(\?page=\d+|cat\/[a-z]+(\?page=\d+)?|browse\?(after|before)=[^&]+|c\/[a-z]+(\?(after|before)=[^&]+)?|listings\?start=\d+|category\?name=[a-z]+(&start=\d+)?|viewforum\.php\?f=[a-z]+(&start=\d+)?|\?cat=[a-z]+(&page=\d+)?)$/;

async function crawlIndex(client: Client, start: string): Promise<Set<string>> {
  const seen = new Set([start]);
  const queue = [start];
  const hrefs = new Set<string>();
  while (queue.length > 0 && seen.size < 500) {
    const res = await client.get(queue.shift()!);
    expect(res.status).toBe(200);
    const $ = cheerio.load(res.body);
    $('a[href]').each((_, a) => {
      const href = $(a).attr('href')!;
      hrefs.add(href);
      if (INDEX_LINK.test(href) && !seen.has(href)) {
        seen.add(href);
        queue.push(href);
      }
    });
  }
  return hrefs;
}

describe('markets on a generated world', () => {
  let sim: SimHandle;
  let out: string;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'dp-sim-world-'));
    sim = await startSim({ seed: 1, scale: 'tiny', faults: false, rateLimit: false, portBase: 0, outDir: out });
    // the last day on which every market of the tiny world is up (the newcomer has launched, none has closed)
    sim.setDay(Math.min(...sim.world.markets.map((m) => m.closeDay ?? sim.lastDay)));
  }, 200_000);
  afterAll(async () => {
    await sim?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('serves every visible listing through each design’s index pagination, and every listing and vendor page', async () => {
    const day = sim.day;
    for (const market of sim.markets) {
      expect(sim.marketState(market.slug)).toBe('up');
      const { client } = await login(sim, market);
      const hrefs = await crawlIndex(client, market.design === 'forum' ? '/index.php' : '/');
      const visible = sim.world.listings.filter((l) => l.market === market.slug && l.openDay <= day && (l.closeDay === undefined || day <= l.closeDay))
        .filter((l) => {
          const a = sim.world.accounts.find((x) => x.id === l.accountId)!;
          return a.openDay <= day && (a.closeDay === undefined || day <= a.closeDay);
        });
      expect(visible.length).toBeGreaterThan(0);
      for (const l of visible) {
        const p = LISTING_PATH[market.design]!(l.externalId);
        expect(hrefs.has(p) || hrefs.has(p.replace(/%2F/g, '/')), `${market.slug}: ${p} reachable`).toBe(true);
        const page = await client.get(p);
        expect(page.status, p).toBe(200);
        expect(cheerio.load(page.body)('body').text()).toContain(l.title);
      }
      const vendorLinks = [...hrefs].filter((h) => /^\/(vendor|u|profile)\/|memberlist\.php|^\/about/.test(h));
      for (const link of new Set(vendorLinks)) {
        const page = await client.get(link);
        expect(page.status, link).toBe(200);
      }
    }
  }, 180_000);

  it('writes truth.json and gives byte-identical pages and outputs for the same seed, different ones for another', async () => {
    const again = await startSim({ seed: 1, scale: 'tiny', faults: false, rateLimit: false, portBase: 0, outDir: `${out}-b` });
    const other = await startSim({ seed: 2, scale: 'tiny', faults: false, rateLimit: false, portBase: 0 });
    try {
      expect(readFileSync(path.join(`${out}-b`, 'truth.json'))).toEqual(readFileSync(path.join(out, 'truth.json')));
      // every output file (Telegram exports, seized dump, truth) has the same SHA-256 in both runs
      expect(sim.outputs!.files.length).toBeGreaterThan(3);
      expect(again.outputs!.files).toEqual(sim.outputs!.files);
      for (const s of [again, other]) s.setDay(sim.day);
      const pageOf = async (s: SimHandle, i: number) => {
        const market = s.markets[i]!;
        const { client } = await login(s, market);
        const l = s.world.listings.find((x) => x.market === market.slug && x.openDay <= s.day && (x.closeDay ?? 1e9) >= s.day)!;
        return [(await client.get('/')).body, (await client.get(LISTING_PATH[market.design]!(l.externalId))).body];
      };
      for (let i = 0; i < sim.markets.length; i++) {
        const [a, b, c] = [await pageOf(sim, i), await pageOf(again, i), await pageOf(other, i)];
        expect(b).toEqual(a);
        expect(c[0]).not.toEqual(a[0]);
      }
    } finally {
      await Promise.all([again.stop(), other.stop()]);
      rmSync(`${out}-b`, { recursive: true, force: true });
    }
  }, 180_000);
});
