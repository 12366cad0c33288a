// The sim adapters on pages they were not written for: other designs' pages, blocking pages and hostile input
// give a recognised page type or an empty result, never a crash and never a listing read from the wrong design.
import { describe, expect, it } from 'vitest';
import { extractPage, SIM_DESIGNS, simAdapterFor } from '../../src/extract/index.ts';
import { DESIGNS, MarketView, generateWorld } from '../../src/sim/index.ts';

const world = generateWorld({ seed: 3, scale: 'tiny' });
const day = Math.floor(world.days * 0.4);

/** One listing page per design, rendered by the sim's own design code (no HTTP needed here). */
function listingPages(): { design: string; url: string; html: string; title: string }[] {
  const out: { design: string; url: string; html: string; title: string }[] = [];
  const paths: Record<string, (id: string) => string> = {
    table: (id) => `/p/${id}`, cards: (id) => `/item/${id}`, list: (id) => `/l/${id}`,
    forum: (id) => `/viewtopic.php?t=${id}`, shop: (id) => `/product/${id}`,
  };
  for (const m of world.markets) {
    const view = new MarketView(world, m);
    const l = view.listings(day)[0];
    if (!l) continue;
    const url = new URL(paths[m.design]!(encodeURIComponent(l.externalId)), `http://${m.onion}`);
    const r = DESIGNS[m.design].render({ view, market: m, day, url });
    if (r && 'html' in r) out.push({ design: m.design, url: url.toString(), html: r.html, title: l.title });
  }
  return out;
}

const page = (design: string, url: string, html: string | Uint8Array) =>
  extractPage(simAdapterFor(design), { url, html, capturedAt: '2025-02-18T12:00:00Z', captureDigest: 'sha256:test' });

describe('sim adapters on foreign and hostile pages', () => {
  it('reads each design\'s listing page with its own adapter only', () => {
    const pages = listingPages();
    expect(pages.length).toBeGreaterThanOrEqual(4);
    for (const p of pages) {
      for (const design of SIM_DESIGNS) {
        const r = page(design, p.url, p.html);
        if (design === p.design) {
          expect(r.pageType, design).toBe('listing');
          expect(r.listings[0]?.title, design).toBe(p.title);
          expect(r.errors, design).toEqual([]);
        } else {
          expect(r.listings.filter((l) => l.price !== null && l.title === p.title), `${design} on ${p.design}`).toEqual([]);
        }
      }
    }
  });

  it('gives bounded, non-crashing results on hostile input', () => {
    const nested = '<div>'.repeat(20_000) + 'x' + '</div>'.repeat(20_000);
    const injected = '<table class="listings"><tr class="product"><td><a href="/p/1"><script>alert(1)</script>t</a></td><td class="price">&#x0;BTC</td></tr></table>';
    const inputs: (string | Uint8Array)[] = ['', nested, injected, new Uint8Array([0xff, 0xfe, 0x00, 0x3c, 0xc3, 0x28]), '<html><body><form><input type="password"></form></body></html>'];
    for (const design of SIM_DESIGNS) {
      for (const html of inputs) {
        const r = page(design, 'http://x.onion/p/1', html);
        expect(typeof r.ok).toBe('boolean');
        for (const l of r.listings) expect(l.title ?? '').not.toMatch(/<script/i);
      }
      expect(page(design, 'http://x.onion/', '<html><body><form><input type="password"><img src="/captcha/00.png"></form></body></html>').pageType).toBe('login');
      expect(page(design, 'http://x.onion/', '<html><body><h1>THIS HIDDEN SITE HAS BEEN SEIZED</h1></body></html>').pageType).toBe('seized');
    }
  });
});
