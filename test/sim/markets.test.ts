import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cheerio from 'cheerio';
import * as openpgp from 'openpgp';
import { PNG } from 'pngjs';
import { serveWorld, type SimServing } from '../../src/sim/serve.ts';
import type { MarketDesign, World } from '../../src/sim/world/index.ts';
import { fixtureWorld } from './markets-fixture.ts';
import { Client, login, parseLoginForm } from './markets-helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

const LISTING_LINK: Record<MarketDesign, RegExp> = {
  table: /^\/p\/([^/?]+)$/,
  cards: /^\/item\/([^/?]+)$/,
  list: /^\/l\/([^/?]+)$/,
  forum: /^\/viewtopic\.php\?t=([^&]+)$/,
  shop: /^\/product\/([^/?]+)$/,
};
const VENDOR_PAGE: Record<MarketDesign, (handle: string) => string> = {
  table: (h) => `/vendor/${h}`,
  cards: (h) => `/u/${h}`,
  list: (h) => `/profile/${h}`,
  forum: (h) => `/memberlist.php?mode=viewprofile&un=${h}`,
  shop: (h) => `/about?vendor=${h}`,
};
const PRICE_PATTERN: Record<MarketDesign, RegExp> = {
  table: /(?<![\d.])\d+\.\d{4,8} BTC/, // 0.0123 BTC
  cards: /\$\d{1,3}(,\d{3})*\.\d{2}/, // $1,234.50
  list: /(?<![\d.])\d+\.\d{6} XMR/, // 1.234567 XMR
  forum: /฿\d+\.\d{8}/, // ฿0.01230000
  shop: /USD \d+\.\d{2}/, // USD 1234.50
};

function visibleListingIds(world: World, slug: string, day: number): string[] {
  const accounts = new Map(world.accounts.map((a) => [a.id, a]));
  return world.listings
    .filter((l) => l.market === slug && l.openDay <= day && (l.closeDay === undefined || day <= l.closeDay))
    .filter((l) => {
      const a = accounts.get(l.accountId);
      return !!a && a.openDay <= day && (a.closeDay === undefined || day <= a.closeDay);
    })
    .map((l) => l.externalId)
    .sort();
}

/** Follows every internal link from "/" (bounded) and returns the listing ids reachable by pagination. */
async function crawlListings(client: Client, design: MarketDesign): Promise<string[]> {
  const seen = new Set<string>(['/']);
  const queue = ['/'];
  const found = new Set<string>();
  let fetched = 0;
  while (queue.length > 0 && fetched < 400) {
    const path = queue.shift()!;
    const res = await client.get(path);
    fetched++;
    expect(res.status, path).toBe(200);
    for (const m of res.body.matchAll(/href="(\/[^"]*)"/g)) {
      const link = cheerio.load(`<a href="${m[1]}"></a>`)('a').attr('href')!;
      const listing = LISTING_LINK[design].exec(link);
      if (listing) {
        found.add(decodeURIComponent(listing[1]!));
        continue;
      }
      // Stay on index, category and pagination pages.
      if (/logout|captcha|\/vendor|\/u\/|\/profile|memberlist|feedback|reviews|ratings|about|pgp\.txt|search\.php|\/item|\/p\/|\/l\/|\/product/.test(link)) continue;
      if (!seen.has(link)) {
        seen.add(link);
        queue.push(link);
      }
    }
  }
  return [...found].sort();
}

function armorFromHtml(html: string): string {
  const $ = cheerio.load(html.replace(/<br\s*\/?>/gi, '\n'));
  const text = $('body').text();
  const start = text.indexOf('-----BEGIN PGP PUBLIC KEY BLOCK-----');
  const end = text.indexOf('-----END PGP PUBLIC KEY BLOCK-----');
  if (start < 0 || end < 0) throw new Error('no PGP block on the page');
  return text.slice(start, end + '-----END PGP PUBLIC KEY BLOCK-----'.length);
}

describe('market servers (one per design)', () => {
  let world: World;
  let sim: SimServing;

  beforeAll(async () => {
    world = fixtureWorld('markets');
    sim = await serveWorld(world, { faults: false, proxyAuth: false, rateLimit: false });
  });
  afterAll(async () => {
    await sim.stop();
  });

  for (const design of ['table', 'cards', 'list', 'forum', 'shop'] as const) {
    describe(design, () => {
      it('requires login: pages redirect to the login form with a CSRF token and a PNG CAPTCHA', async () => {
        const market = sim.markets.find((m) => m.design === design)!;
        const anon = new Client(market.port);
        const res = await anon.get('/');
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toContain(market.loginPath);
        const form = await anon.get(market.loginPath);
        expect(form.status).toBe(200);
        expect(form.headers.get('set-cookie')).toMatch(/HttpOnly/);
        const { captchaId } = parseLoginForm(form.body, market);
        const png = await anon.get(`/captcha/${captchaId}.png`);
        expect(png.headers.get('content-type')).toBe('image/png');
        const image = PNG.sync.read(png.bytes);
        expect(image.width).toBeGreaterThan(100);
      });

      it('logs in with CSRF + CAPTCHA + password and serves every listing through its pagination', async () => {
        const market = sim.markets.find((m) => m.design === design)!;
        const { client, response } = await login(sim, market);
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toBe('/');
        expect(response.headers.get('set-cookie')).toMatch(/HttpOnly/);
        const crawled = await crawlListings(client, design);
        expect(crawled).toEqual(visibleListingIds(world, market.slug, sim.day));
      });

      it('renders listing, vendor (with a recoverable PGP key) and feedback pages', async () => {
        const market = sim.markets.find((m) => m.design === design)!;
        const { client } = await login(sim, market);
        sim.setDay(48); // feedback of the fixture's sales is visible by then, no market has closed yet
        const listing = world.listings.find((l) => l.market === market.slug && l.id.endsWith('00'))!;
        const vendor = world.accounts.find((a) => a.id === listing.accountId)!;
        const path = design === 'forum' ? `/viewtopic.php?t=${listing.externalId}`
          : design === 'table' ? `/p/${listing.externalId}` : design === 'cards' ? `/item/${listing.externalId}`
          : design === 'list' ? `/l/${listing.externalId}` : `/product/${listing.externalId}`;
        const page = await client.get(path);
        expect(page.status).toBe(200);
        const $ = cheerio.load(page.body);
        const text = $('body').text();
        expect(text).toContain(listing.title);
        expect(text).toMatch(PRICE_PATTERN[design]);
        expect(page.body).not.toContain('<two>'); // descriptions are escaped
        if (design !== 'shop') expect(text).toContain(vendor.handle);

        const profile = await client.get(VENDOR_PAGE[design](vendor.handle));
        expect(profile.status).toBe(200);
        let armor = armorFromHtml(profile.body);
        if (design === 'list') {
          expect(armor).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: [^\n]+\n[A-Za-z0-9+/]/); // blank line dropped
          armor = armor.replace(/^(-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: [^\n]+\n)/, '$1\n');
        }
        if (design === 'table' || design === 'forum') expect(profile.body).toContain('&#86;ersion');
        if (design === 'cards') expect(profile.body).toContain('Ve&#114;sion');
        const key = await openpgp.readKey({ armoredKey: armor });
        const identity = world.identities.find((i) => i.id === vendor.identityId)!;
        expect(key.getFingerprint().toUpperCase()).toBe(identity.pgpKeys[0]!.fingerprint);

        // Feedback: 3 sales with feedback, one hidden (not shown), one duplicated (shown twice) → 3 entries
        const fbPath = design === 'table' ? `/p/${listing.externalId}/feedback` : design === 'cards' ? `/item/${listing.externalId}/reviews`
          : design === 'list' ? `/l/${listing.externalId}/ratings` : design === 'forum' ? `/viewtopic.php?t=${listing.externalId}` : path;
        const fb = await client.get(fbPath);
        expect(fb.status).toBe(200);
        const entries = fb.body.match(/feedback \d for L\S+ &lt;ok&gt; &amp; fine/g) ?? [];
        expect(entries.length).toBe(3);
        expect(fb.body).not.toContain(`feedback 2 for ${listing.id}`);
        expect(fb.body).toMatch(/[a-z]\*\*\*[a-z0-9]/); // masked buyer
        sim.setDay(0);
      });

      it('rejects a wrong CSRF token, a wrong CAPTCHA and a wrong password', async () => {
        const market = sim.markets.find((m) => m.design === design)!;
        const server = sim.server(market.slug);
        const badCsrf = await login(sim, market, { csrf: 'f'.repeat(32) });
        expect(badCsrf.response.status).toBe(403);
        const badCaptcha = await login(sim, market, { captcha: 'XXXXXX' });
        expect(badCaptcha.response.status).toBe(403);
        const badPassword = await login(sim, market, { password: 'nope' });
        expect(badPassword.response.status).toBe(403);
        expect(server.loginEvents().slice(-3).map((e) => e.reason)).toEqual(['csrf', 'captcha', 'credentials']);
        for (const attempt of [badCsrf, badCaptcha, badPassword]) {
          expect((await attempt.client.get('/')).status).toBe(302);
        }
      });
    });
  }

  it('moves with the sim clock: new listings, price changes, seizure banner, exit scam', async () => {
    const table = sim.markets.find((m) => m.design === 'table')!;
    const { client } = await login(sim, table);
    const late = world.listings.find((l) => l.market === table.slug && l.openDay === 40)!;
    expect((await client.get(`/p/${late.externalId}`)).status).toBe(404);
    const before = await client.get('/p/' + world.listings.find((l) => l.market === table.slug)!.externalId);
    sim.setDay(40);
    try {
      expect((await client.get(`/p/${late.externalId}`)).status).toBe(200);
      const after = await client.get('/p/' + world.listings.find((l) => l.market === table.slug)!.externalId);
      expect(after.body).not.toBe(before.body); // price changed on day 30

      const seized = sim.markets.find((m) => m.design === 'cards')!;
      sim.setDay(51);
      expect(sim.marketState(seized.slug)).toBe('seized');
      const banner = await new Client(seized.port).get('/item/anything');
      expect(banner.status).toBe(200);
      expect(banner.body).toContain('THIS HIDDEN SITE HAS BEEN SEIZED');

      const scam = sim.markets.find((m) => m.design === 'forum')!;
      sim.setDay(81);
      const maintenance = await new Client(scam.port).get('/index.php');
      expect(maintenance.status).toBe(503);
      sim.setDay(90);
      expect(sim.marketState(scam.slug)).toBe('gone');
      await expect(new Client(scam.port).get('/index.php')).rejects.toThrow();
    } finally {
      sim.setDay(0);
    }
  });

  it('answers hostile URLs and bodies with 4xx, never a server error', async () => {
    for (const market of sim.markets) {
      const { client } = await login(sim, market);
      for (const p of ['/p/%E0%A4%A', '/item/%', '/l/%zz/ratings', '/product/%ff%fe', '/../../etc/passwd', '/viewtopic.php?t=%', `/${'a'.repeat(5000)}`, '/?page=-1', '/?page=99999999999', '/listings?start=1e9']) {
        const res = await client.get(p);
        expect(res.status, `${market.slug} ${p}`).toBeGreaterThanOrEqual(200);
        expect(res.status, `${market.slug} ${p}`).toBeLessThan(500);
      }
      const huge = await client.post(market.loginPath, { x: 'y'.repeat(20_000) });
      expect(huge.status).toBe(413);
    }
  });

  it('keeps the CAPTCHA answer behind the env-guarded in-process hook', async () => {
    const market = sim.markets[0]!;
    const form = parseLoginForm((await new Client(market.port).get(market.loginPath)).body, market);
    process.env.DARKPATROL_SIM_TEST_HOOKS = '0';
    try {
      expect(() => sim.peekCaptchaAnswer(market.slug, form.captchaId)).toThrow(/DARKPATROL_SIM_TEST_HOOKS/);
    } finally {
      process.env.DARKPATROL_SIM_TEST_HOOKS = '1';
    }
    expect(sim.peekCaptchaAnswer(market.slug, form.captchaId)).toMatch(/^[A-Z2-9]{6}$/);
  });
});

describe('sessions and rate limiting', () => {
  it('expires sessions on every design so the crawler must log in again', async () => {
    const world = fixtureWorld('ttl');
    const sim = await serveWorld(world, { faults: false, proxyAuth: false, rateLimit: false, sessionTtlMs: 300 });
    try {
      const clients = [];
      for (const market of sim.markets) {
        const { client } = await login(sim, market);
        expect((await client.get('/')).status).toBe(200);
        clients.push(client);
      }
      await new Promise((r) => setTimeout(r, 600));
      for (const [i, market] of sim.markets.entries()) {
        const expired = await clients[i]!.get('/');
        expect(expired.status).toBe(302);
        expect(expired.headers.get('location')).toContain(market.loginPath);
      }
      const market = sim.markets[0]!;
      const again = await login(sim, market);
      expect((await again.client.get('/')).status).toBe(200);
      sim.server(market.slug).expireAllSessions();
      expect((await again.client.get('/')).status).toBe(302);
    } finally {
      await sim.stop();
    }
  });

  it('answers 429 with Retry-After under a burst, on every design', async () => {
    const world = fixtureWorld('burst');
    const sim = await serveWorld(world, { faults: false, proxyAuth: false, rateLimit: { requests: 8, windowMs: 60_000 } });
    try {
      for (const market of sim.markets) {
        const { client } = await login(sim, market); // the logged-in session starts a fresh bucket
        const statuses: number[] = [];
        let retryAfter: string | null = null;
        for (let i = 0; i < 12; i++) {
          const res = await client.get('/');
          statuses.push(res.status);
          if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
        }
        expect(statuses.slice(0, 8).every((s) => s === 200), market.design).toBe(true);
        expect(statuses.slice(8).every((s) => s === 429), market.design).toBe(true);
        expect(Number(retryAfter)).toBeGreaterThan(0);
      }
    } finally {
      await sim.stop();
    }
  });
});
