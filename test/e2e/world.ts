import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import { PNG } from 'pngjs';
import { createUser } from '../../src/server/index.ts';
import type { Database } from '../../src/store/index.ts';
import { TEST_SCRYPT } from '../server/seed.ts';

export const E2E_PASSWORD = 'analyst password 1';

/** Payloads a hostile market page might carry; none may run or make the browser contact anything. */
export const HOSTILE = {
  title: `<img src=x onerror="fetch('/api/health?pwned=title');alert('title')">Pure MDMA 84%<script>alert('t')</script>`,
  description: `<iframe src="http://evil.invalid/frame"></iframe><a href="javascript:fetch('/api/health?pwned=href')">click</a>`,
  profile: `<meta http-equiv="refresh" content="0;url=http://evil.invalid/refresh"><style>body{background:url(http://evil.invalid/css)}</style>PGP below`,
  page: `<!doctype html><html><head><meta http-equiv="refresh" content="1;url=http://evil.invalid/refresh">
<base href="http://evil.invalid/"><link rel="stylesheet" href="http://evil.invalid/x.css">
<style>body{background:url(http://evil.invalid/css-bg)} @import url(http://evil.invalid/imp.css);</style>
<script>fetch('/api/health?pwned=script');alert('script');</script><script src="http://evil.invalid/x.js"></script></head>
<body onload="fetch('/api/health?pwned=onload')"><h1>Hostile Vendor Shop</h1>
<img src="http://evil.invalid/pixel.png" onerror="fetch('/api/health?pwned=onerror')">
<svg onload="fetch('/api/health?pwned=svg')"><image href="http://evil.invalid/svg.png"/></svg>
<a href="javascript:fetch('/api/health?pwned=js')">special offer</a>
<iframe src="http://evil.invalid/frame"></iframe><object data="http://evil.invalid/obj"></object>
<form action="http://evil.invalid/form"><input name=q></form>
<p style="background-image:url(http://evil.invalid/inline)">Only the best product. Ships from NL.</p></body></html>`,
};

function rng(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

export interface E2eWorld {
  agencyId: number;
  username: string;
  vendorId: number;
  linkId: number;
  hostileCaptureId: number;
  hostileVendorId: number;
  captchaId: number;
  /** Captures of other media and shapes the evidence viewer must show faithfully (by what they are). */
  viewerCaptures: { linkText: number; csv: number; json: number };
}

/** Payloads of those captures. */
export const VIEWER_PAYLOADS = {
  linkText: { type: 'text/html; charset=utf-8', body: '<html><body><div class="vendor-box">Sold by <a href="/user/blue-express365">Blue-Express365</a> <span class="lvl">Lv.7</span></div></body></html>' },
  csv: { type: 'text/csv', body: 'handle,price\nalpha,10\n"<iframe src=//evil.invalid/x>",20\nomega-after-iframe,30\n' },
  json: { type: 'application/json', body: '{"messages":[{"from":"dealer","text":"<b>menu</b> 5g 40 EUR"}]}' },
} as const;

/** A small, realistic-looking world for the console tests and screenshots, written straight into the tables. */
export async function seedE2eWorld(db: Kysely<Database>, warcDir: string): Promise<E2eWorld> {
  const r = rng(7);
  const pick = <T,>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const agency = await db.insertInto('agencies').values({ code: 'NL-POL', name: 'Dutch National Police — dark-web team', country: 'NL', contact_point: 'darkweb@politie.invalid' }).returning('id').executeTakeFirstOrThrow();
  const other = await db.insertInto('agencies').values({ code: 'DE-BKA', name: 'BKA', country: 'DE' }).returning('id').executeTakeFirstOrThrow();
  await createUser(db, { agencyCode: 'NL-POL', username: 'anna', role: 'analyst', password: E2E_PASSWORD, displayName: 'Anna (analyst)' }, TEST_SCRYPT);
  const own = { agency_id: agency.id, tlp: 'AMBER' as const };
  const day = (d: number) => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000);
  const marketNames = [['Hydra Bay', 'seized', 200], ['Nightshade', 'up', 0], ['Cobalt Bazaar', 'exit_scam', 150], ['Tortuga', 'up', 60]] as const;
  const markets: number[] = [];
  for (const [name, status, start] of marketNames) {
    const m = await db.insertInto('markets').values({ ...own, slug: name.toLowerCase().replace(/ /g, '-'), name, status, first_seen: day(start), last_seen: day(360) }).returning('id').executeTakeFirstOrThrow();
    markets.push(m.id);
    await db.insertInto('market_events').values({ ...own, market_id: m.id, kind: 'launched', observed_at: day(start) }).execute();
    if (status !== 'up') await db.insertInto('market_events').values({ ...own, market_id: m.id, kind: status, observed_at: day(status === 'seized' ? 240 : 300), detail: status === 'seized' ? 'Seizure banner of a joint operation' : 'Withdrawals disabled, admins gone' }).execute();
  }
  const foreign = await db.insertInto('markets').values({ agency_id: other.id, tlp: 'RED', slug: 'secret', name: 'BKA undercover source', status: 'up' }).returning('id').executeTakeFirstOrThrow();
  const bkaVendor = await db.insertInto('vendors').values({ agency_id: other.id, tlp: 'RED', market_id: foreign.id, handle: 'bka-secret-vendor', handle_norm: 'bka-secret-vendor', first_seen: day(1), last_seen: day(2) }).returning('id').executeTakeFirstOrThrow();
  // BKA's source ships only within Germany, spelled three ways: its map has origins but no flow between countries.
  for (const [k, [from, to]] of ([['DE', ['DE']], ['Germany', ['Deutschland', 'germany']], ['DEU', ['Germany']]] as const).entries()) {
    const l = await db.insertInto('listings').values({ agency_id: other.id, tlp: 'RED', market_id: foreign.id, vendor_id: bkaVendor.id, external_id: `bka-${k}`, title: `bka listing ${k}`, substance: 'amphetamine', first_seen: day(1), last_seen: day(2) }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('listing_snapshots').values({ agency_id: other.id, tlp: 'RED', listing_id: l.id, observed_at: day(2), price: 50, currency: 'USD', price_usd: 50, ships_from: from, ships_to: [...to] }).execute();
  }

  const stems = ['dutchmasters', 'alpinepharma', 'greenleaf', 'nordicsnow', 'berlinbunny', 'pharmaqueen', 'speedyg', 'crystalclear', 'oxyking', 'tulipcartel', 'moonrock', 'frostbite'];
  const substances = [['cocaine', 'stimulant', 70], ['MDMA', 'stimulant', 25], ['heroin', 'opioid', 90], ['cannabis', 'cannabinoid', 10], ['amphetamine', 'stimulant', 12], ['fentanyl', 'opioid', 150], ['ketamine', 'dissociative', 30], ['LSD', 'psychedelic', 8]] as const;
  const countries = ['NL', 'DE', 'BE', 'FR', 'GB', 'US', 'ES', 'IT', 'SE', 'PL', 'AU', 'CA'];
  let vendorId = 0;
  let linkId = 0;
  for (const [i, stem] of stems.entries()) {
    const identity = await db.insertInto('identities').values({ ...own, label: stem }).returning('id').executeTakeFirstOrThrow();
    const accounts: number[] = [];
    const nAcc = i === 0 ? 3 : 1 + Math.floor(r() * 3);
    const home = pick(countries.slice(0, 5));
    const key = createHash('sha1').update(stem).digest('hex').toUpperCase();
    const sel = await db.insertInto('selectors').values({ ...own, kind: 'pgp_key', value: key }).returning('id').executeTakeFirstOrThrow();
    const btc = await db.insertInto('selectors').values({ ...own, kind: 'btc_address', value: `bc1q${createHash('sha256').update(stem).digest('hex').slice(0, 38)}` }).returning('id').executeTakeFirstOrThrow();
    for (let a = 0; a < nAcc; a++) {
      const market = markets[(i + a) % markets.length]!;
      // Real handles carry emoji; one here checks the console's emoji font fallback.
      const handle = a === 0 ? (stem === 'frostbite' ? 'frostbite🧊' : stem) : `${stem}${a === 1 ? '_nl' : '2'}`;
      const first = 10 + Math.floor(r() * 150) + a * 90;
      const v = await db.insertInto('vendors').values({ ...own, market_id: market, handle, handle_norm: handle, profile_text: `Welcome to ${handle}. Stealth shipping from ${home}. Escrow only. PGP: ${key.slice(0, 16)}…`, rating: `${(4 + r()).toFixed(2)}/5`, first_seen: day(first), last_seen: day(Math.min(360, first + 120 + Math.floor(r() * 120))) }).returning('id').executeTakeFirstOrThrow();
      accounts.push(v.id);
      if (i === 0 && a === 0) vendorId = v.id;
      await db.insertInto('identity_members').values({ identity_id: identity.id, vendor_id: v.id }).execute();
      await db.insertInto('selector_sightings').values([{ ...own, selector_id: sel.id, vendor_id: v.id, source: 'profile', observed_at: day(first) }, { ...own, selector_id: btc.id, vendor_id: v.id, source: 'profile', observed_at: day(first) }]).execute();
      for (let l = 0; l < 4; l++) {
        const [sub, cls, base] = pick(substances);
        const qty = pick([1, 5, 10, 28, 100]);
        const listing = await db.insertInto('listings').values({ ...own, market_id: market, vendor_id: v.id, external_id: `${handle}-${l}`, title: `${qty}g ${sub} — ${pick(['premium', 'uncut', 'lab tested', 'best in EU', 'free reship'])}`, description: `${sub} ${qty}g, ships from ${home}`, substance: sub, substance_class: cls, quantity: qty, unit: 'g', first_seen: day(first), last_seen: day(first + 100) }).returning('id').executeTakeFirstOrThrow();
        const price = Math.round(base * qty * (0.7 + r() * 0.6));
        for (let t = 0; t < 3; t++) await db.insertInto('listing_snapshots').values({ ...own, listing_id: listing.id, observed_at: day(first + t * 40), price, currency: 'USD', price_usd: price, ships_from: home, ships_to: [pick(countries), pick(countries)].filter((c, k, arr) => arr.indexOf(c) === k) }).execute();
        const nFb = Math.floor(r() * 30);
        const fb = Array.from({ length: nFb }, (_, k) => ({ ...own, market_id: market, vendor_id: v.id, listing_id: listing.id, rating: 4 + Math.round(r()), body: pick(['fast delivery', 'great stealth', 'as described', 'A+++']), left_at: day(first + Math.floor(r() * 200)), dedupe_key: `${listing.id}-${k}` }));
        if (fb.length) await db.insertInto('feedback').values(fb).execute();
      }
    }
    for (let a = 1; a < accounts.length; a++) {
      const [x, y] = [accounts[0]!, accounts[a]!].sort((p, q) => p - q) as [number, number];
      const k = await db.insertInto('links').values({ ...own, vendor_a: x, vendor_b: y, score: Math.round((0.75 + r() * 0.24) * 100) / 100, evidence: JSON.stringify([{ kind: 'same_pgp_key', detail: `fingerprint ${key}` }, { kind: 'same_btc_address', detail: 'payout address reused' }, { kind: 'name_similarity', detail: 'handle edit distance 3' }]) }).returning('id').executeTakeFirstOrThrow();
      if (i === 0 && a === 1) linkId = k.id;
    }
  }
  // A hostile capture and a vendor whose texts carry payloads.
  const page = HOSTILE.page;
  const http = `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(page)}\r\n\r\n${page}`;
  const rec = `WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: ${Buffer.byteLength(http)}\r\n\r\n${http}\r\n\r\n`;
  const member = gzipSync(rec); // one gzip member per record, as the evidence recorder writes it
  writeFileSync(join(warcDir, 'hostile.warc.gz'), member);
  const cap = await db.insertInto('captures').values({ ...own, kind: 'http', market_id: markets[1]!, url: `http://${'n'.repeat(56)}.onion/vendor/hostile`, http_status: 200, content_type: 'text/html', warc_file: 'hostile.warc.gz', warc_offset: 0, warc_length: member.length, payload_sha256: createHash('sha256').update(page).digest('hex'), payload_size: Buffer.byteLength(page), fetched_at: day(300) }).returning('id').executeTakeFirstOrThrow();
  const hv = await db.insertInto('vendors').values({ ...own, market_id: markets[1]!, handle: 'x"><img src=x onerror=alert(1)>', handle_norm: 'hostile-vendor', profile_text: HOSTILE.profile, first_seen: day(290), last_seen: day(300), capture_id: cap.id }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('listings').values({ ...own, market_id: markets[1]!, vendor_id: hv.id, external_id: 'hostile-1', title: HOSTILE.title, description: HOSTILE.description, substance: 'MDMA', first_seen: day(290), last_seen: day(300), capture_id: cap.id }).execute();

  const viewerCaptures = {} as E2eWorld['viewerCaptures'];
  for (const [name, p] of Object.entries(VIEWER_PAYLOADS) as [keyof typeof VIEWER_PAYLOADS, (typeof VIEWER_PAYLOADS)[keyof typeof VIEWER_PAYLOADS]][]) {
    const resp = `HTTP/1.1 200 OK\r\nContent-Type: ${p.type}\r\nContent-Length: ${Buffer.byteLength(p.body)}\r\n\r\n${p.body}`;
    const m = gzipSync(`WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-00000000000${name.length}>\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: ${Buffer.byteLength(resp)}\r\n\r\n${resp}\r\n\r\n`);
    writeFileSync(join(warcDir, `${name}.warc.gz`), m);
    const row = await db.insertInto('captures').values({ ...own, kind: 'http', market_id: markets[1]!, url: `http://${'v'.repeat(56)}.onion/${name}`, http_status: 200, content_type: p.type, warc_file: `${name}.warc.gz`, warc_offset: 0, warc_length: m.length, payload_sha256: createHash('sha256').update(p.body).digest('hex'), payload_size: Buffer.byteLength(p.body), fetched_at: day(301) }).returning('id').executeTakeFirstOrThrow();
    viewerCaptures[name] = row.id;
  }

  // A parked CAPTCHA: a real PNG the crawler would have saved.
  const png = new PNG({ width: 120, height: 40 });
  for (let y = 0; y < 40; y++) for (let x = 0; x < 120; x++) {
    const i = (y * 120 + x) * 4;
    const ink = (Math.floor(x / 15) % 2 === 0 && y > 10 && y < 30) || (x + y) % 17 === 0;
    png.data[i] = png.data[i + 1] = png.data[i + 2] = ink ? 30 : 235;
    png.data[i + 3] = 255;
  }
  const img = PNG.sync.write(png);
  const c = await sql<{ id: number }>`insert into crawl_captchas (market_id, image, image_type, image_sha256, form)
    values (${markets[1]!}, ${img}, 'image/png', ${createHash('sha256').update(img).digest('hex')}, '{}'::jsonb) returning id`.execute(db);
  return { agencyId: agency.id, username: 'anna', vendorId, linkId, hostileCaptureId: cap.id, hostileVendorId: hv.id, captchaId: c.rows[0]!.id, viewerCaptures };
}
