// The generic extractor on small made-up markets (written here, unlike the sim's designs and the real fixtures):
// every page type from structure, and the label/value forms a listing or profile page uses.
import { describe, expect, it } from 'vitest';
import { extractGeneric, GENERIC_REF } from '../../src/extract/generic/index.ts';
import { loginFormFields } from '../../src/domain/index.ts';

const HOST = 'http://q2w3e4r5t6y7u8i9o0p1a2s3d4f5g6h7j8k9l0z2x3c4v5b6n7m8q2w3.onion';
const at = new Date('2026-03-10T12:00:00Z');
const run = (path: string, html: string) => extractGeneric({ url: `${HOST}${path}`, html, capturedAt: at, captureDigest: `t:${path}` });

const chrome = (body: string, title: string) => `<!doctype html><html><head><title>${title}</title></head><body>
<div class="topbar"><a href="/">Lanternfish</a> <a href="/inbox">Inbox (2)</a> Signed in as mallory_k <a href="/account">mallory_k</a></div>
<div class="wrap">${body}</div>
<div class="bottom">© Lanternfish bazaar</div></body></html>`;

describe('generic extractor on made-up markets: listing pages', () => {
  it('reads a dl of labels and values, breadcrumbs, a sold-out stock, and never takes the logged-in account as vendor', () => {
    const r = run('/goods/7781', chrome(`
      <ol class="crumbtrail"><li><a href="/goods?c=3">Psychedelics</a></li><li><a href="/goods?c=31">LSD</a></li></ol>
      <h1>Blotter 150ug x 25 tabs</h1>
      <dl class="facts"><dt>Cost</dt><dd>0,0042 BTC</dd><dt>Offered by</dt><dd><a href="/seller/kestrelworks">kestrelworks</a></dd>
      <dt>Sends from</dt><dd>Netherlands</dd><dt>Delivers to</dt><dd>Europe, United Kingdom</dd><dt>Availability</dt><dd>sold out</dd></dl>
      <div class="about">Printed on quality paper. Keep cool and dark. Orders ship within two days of payment.</div>`, 'Blotter 150ug x 25 tabs · Lanternfish'));
    expect(r.provenance.adapter).toBe(GENERIC_REF);
    expect(r.pageType).toBe('listing');
    expect(r.listings).toHaveLength(1);
    const l = r.listings[0]!;
    expect(l.title).toBe('Blotter 150ug x 25 tabs');
    expect(l.price).toEqual({ amount: 0.0042, currency: 'BTC' });
    expect(l.vendorHandle).toBe('kestrelworks');
    expect(l.shipsFrom).toBe('Netherlands');
    expect(l.shipsTo).toEqual(['Europe', 'United Kingdom']);
    expect(l.category).toEqual(['Psychedelics', 'LSD']);
    expect(l.stock).toBe(0);
    expect(r.vendors.map((v) => v.handle)).toEqual(['kestrelworks']);
  });

  it('reads th/td label cells and a plain "Class:" line; the market-name link is not the title', () => {
    const r = run('/index.php?do=show&lid=5512', chrome(`
      <p><a href="/main">Lanternfish</a></p>
      <h2>Ketamine needles 5g</h2>
      <table class="spec"><tr><th>Price</th><td>$ 1,240.00</td></tr><tr><th>Seller</th><td><a href="/index.php?do=user&amp;un=greywharf">greywharf</a></td></tr>
      <tr><th>Origin</th><td>Germany</td></tr><tr><th>Destinations</th><td>Worldwide</td></tr><tr><th>In stock</th><td>14</td></tr></table>
      <p>Class: Dissociatives</p>
      <p>Clean crystal needles, tested. Vacuum sealed and shipped in a flat envelope with tracking.</p>`, 'Lanternfish :: Ketamine needles 5g'));
    expect(r.pageType).toBe('listing');
    const l = r.listings[0]!;
    expect(l.externalId).toBe('5512');
    expect(l.title).toBe('Ketamine needles 5g');
    expect(l.price).toEqual({ amount: 1240, currency: 'USD' });
    expect(l.vendorHandle).toBe('greywharf');
    expect(l.shipsFrom).toBe('Germany');
    expect(l.shipsTo).toEqual(['Worldwide']);
    expect(l.stock).toBe(14);
    expect(l.category).toEqual(['Dissociatives']);
  });

  it('a PIN box on the purchase form does not make the listing a login wall', () => {
    const r = run('/goods/9001', chrome(`<h1>Hash 10g</h1><dl><dt>Price</dt><dd>55 EUR</dd><dt>Seller</dt><dd><a href="/seller/amberline">amberline</a></dd><dt>Ships from</dt><dd>Spain</dd></dl>
      <form action="/buy/9001" method="post"><input type="number" name="qty" value="1"><input type="password" name="pin"><button>Buy now</button></form>`, 'Hash 10g · Lanternfish'));
    expect(r.pageType).toBe('listing');
    expect(r.listings[0]!.vendorHandle).toBe('amberline');
  });
});

describe('generic extractor on made-up markets: vendor and feedback pages', () => {
  it('a profile headline with profile labels is a vendor page, whatever the URL', () => {
    const r = run('/p/8', chrome(`<h2>Profile of saltmarsh</h2>
      <dl><dt>Rank:</dt><dd>Seller (level 2)</dd><dt>Joined:</dt><dd>2025-06-01</dd><dt>Rating</dt><dd>4.8/5</dd></dl>
      <div class="bio">Small team, careful packing.</div>`, 'Lanternfish • Profile of saltmarsh'));
    expect(r.pageType).toBe('vendor_profile');
    expect(r.vendors).toHaveLength(1);
    expect(r.vendors[0]!.handle).toBe('saltmarsh');
    expect(r.vendors[0]!.rating).toBe(4.8);
    expect(r.vendors[0]!.ratingMax).toBe(5);
  });

  it('a feedback headline over feedback rows is a feedback page with each row read', () => {
    const rows = [
      ['5/5', 'fast and stealthy', '2026-03-01'],
      ['4/5', 'good, a bit slow', '2026-02-20'],
      ['1/5', 'never arrived', '2026-02-11'],
    ];
    const r = run('/x/88', chrome(`<h2>Reviews for saltmarsh</h2>
      <ul class="rv">${rows.map(([a, b, c]) => `<li class="rv-row"><span class="score">${a}</span> <span>${b}</span> <span class="d">${c}</span></li>`).join('\n')}</ul>`, 'Reviews · Lanternfish'));
    expect(r.pageType).toBe('feedback');
    expect(r.feedback.map((f) => [f.rating, f.postedAt])).toEqual([
      [5, '2026-03-01'],
      [4, '2026-02-20'],
      [1, '2026-02-11'],
    ]);
    expect(r.listings).toEqual([]);
  });
});

describe('generic extractor on made-up markets: pages that hold no content', () => {
  it('an error page (404, "not found", "removed") is error, with no rows', () => {
    for (const [title, body] of [
      ['Lanternfish', '<h1>404</h1><p>The page you asked for is not here.</p>'],
      ['Item not found · Lanternfish', '<p>Sorry.</p>'],
      ['Lanternfish', '<div class="msg">This listing has been removed.</div>'],
    ] as const) {
      const r = run('/goods/404404', chrome(body, title));
      expect(r.pageType, title + body).toBe('error');
      expect(r.listings).toEqual([]);
      expect(r.vendors).toEqual([]);
    }
  });

  it('an anti-DDoS queue page is an interstitial; a captcha gate is a captcha page; both are blocked', () => {
    const queue = run('/', `<html><head><title>Please wait</title><meta http-equiv="refresh" content="8"></head><body><h3>Checking your browser before entering.</h3><p>You are in the queue, position 14.</p></body></html>`);
    expect(queue.pageType).toBe('interstitial');
    expect(queue.ok).toBe(false);
    const gate = run('/', `<html><head><title>Verify</title></head><body><form method="post"><img src="/gate/img.png" alt="captcha"><input name="captcha_answer"><button>Enter</button></form></body></html>`);
    expect(gate.pageType).toBe('captcha');
    expect(gate.ok).toBe(false);
  });

  it('a login form (user name and password) is a login page even with a captcha on it', () => {
    const r = run('/enter', `<html><head><title>Sign in</title></head><body><form action="/enter" method="post">
      <input type="text" name="nick" placeholder="Nickname"><input type="password" name="pass"><img src="/c.png" alt="captcha"><input name="captcha_code"><button>Sign in</button></form></body></html>`);
    expect(r.pageType).toBe('login');
    expect(r.ok).toBe(false);
  });

  it('a seizure banner is a seized page', () => {
    const r = run('/', `<html><head><title>This hidden site has been seized</title></head><body><h1>THIS HIDDEN SITE HAS BEEN SEIZED</h1><img alt="FBI seal" src="/seal.png"><p>by the Federal Bureau of Investigation in coordination with Europol.</p></body></html>`);
    expect(r.pageType).toBe('seized');
  });
});

describe('the one login-form rule (src/domain/login-form.ts)', () => {
  it('needs a password field and a visible user-name field; reads the captcha field', () => {
    expect(loginFormFields([{ name: 'nick', type: 'text' }, { name: 'pass', type: 'password' }, { name: 'captcha_code', type: 'text' }])).toEqual({ username: 'nick', password: 'pass', captcha: 'captcha_code' });
    expect(loginFormFields([{ name: 'pin', type: 'password' }, { name: 'qty', type: 'text' }])).toBeNull();
    expect(loginFormFields([{ name: 'q', type: 'search' }, { name: 'pw', type: 'password' }])).toBeNull();
    expect(loginFormFields([{ name: 'u', type: 'text', style: 'display:none' }, { name: 'pw', type: 'password' }])).toBeNull();
    expect(loginFormFields([{ name: 'pw', type: 'password' }], { username: 'login' })).toBeNull();
    expect(loginFormFields([{ name: 'login', type: 'text' }, { name: 'pw', type: 'password' }], { username: 'login', password: 'pw' })).toEqual({ username: 'login', password: 'pw', captcha: undefined });
  });
});
