// The generic extractor reads listing and vendor pages of unknown markets from structure: made-up markets with
// shapes other than the 2019 fixtures (dl/dt/dd, th/td tables, plain "Seller: bob" lines, no <h1>), chrome that
// must not leak into the record (the logged-in account, a wallet balance, badges of other markets, buyer comments).
import { describe, expect, it } from 'vitest';
import { extractGeneric, MIN_CONFIDENCE } from '../../src/extract/generic/index.ts';

const run = (html: string, url = 'http://neverseen.onion/page/7') => extractGeneric({ url, html, capturedAt: '2024-05-01T12:00:00Z', captureDigest: 'sha256:x' });

const chrome = (account: string) => `<div class="top-nav"><a href="/">Home</a> <a href="/account">${account}</a> <span>Balance: 2000 $</span> <a href="/logout">Logout</a></div>
<div class="sidebar"><a href="/direct-deposit">Direct Deposits Info 1 BTC</a></div>`;

describe('generic extractor: one listing page of a market never seen', () => {
  it('dl/dt/dd labels, no <h1> (title in an h2 matching <title>), price among chrome prices, account not the vendor', () => {
    const html = `<html><head><title>Blue Dream 7g indoor :: Nebula Bazaar</title></head><body>${chrome('agent_k')}
      <div class="content"><h1 class="logo">Nebula Bazaar</h1><div class="desc"><h2>Blue Dream 7g indoor</h2>
      <dl><dt>Sold by</dt><dd><a href="/u/greenthumb">greenthumb</a> (412 sales)</dd>
      <dt>Price</dt><dd>1,250.00 EUR</dd><dt>Origin</dt><dd>Spain</dd><dt>Destination</dt><dd>Spain, France, Portugal</dd></dl>
      <form action="/cart/add"><button type="submit">Add to cart</button></form><p>Sticky and sweet, cured for four weeks.</p></div></div>
      <div class="footer">© Nebula Bazaar</div></body></html>`;
    const r = run(html);
    expect(r.pageType).toBe('listing');
    expect(r.listings).toHaveLength(1);
    const l = r.listings[0]!;
    expect(l.title).toBe('Blue Dream 7g indoor');
    expect(l.price).toEqual({ amount: 1250, currency: 'EUR' });
    expect(l.vendorHandle).toBe('greenthumb');
    expect(l.shipsFrom).toBe('Spain');
    expect(l.shipsTo).toEqual(['Spain', 'France', 'Portugal']);
    expect(r.vendors.map((v) => v.handle)).toEqual(['greenthumb']);
    // Every field carries its confidence and where it came from.
    const title = r.findings.find((f) => f.path === 'listings[0].title')!;
    expect(title.confidence).toBeGreaterThanOrEqual(MIN_CONFIDENCE);
    expect(r.findings.find((f) => f.path === 'listings[0].price')!.source).toBe('label:price');
  });

  it('th/td tables, XMR price with the converted one after it, breadcrumbs as the category', () => {
    const html = `<html><head><title>Neon Market - 50x Xanax 2mg bars</title></head><body>${chrome('shopper9')}
      <ul class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/c/pharma">Pharmacy</a></li><li><a href="/c/pharma/benzos">Benzos</a></li></ul>
      <div id="main"><h3>50x Xanax 2mg bars</h3><table><tr><th>Vendor</th><td><a href="/vendor/benzoking">benzoking</a> 4.9/5</td></tr>
      <tr><th>Price</th><td>0.85 XMR (≈ $120.00)</td></tr><tr><th>Ships from</th><td>Germany</td></tr><tr><th>Ships to</th><td>Worldwide except USA</td></tr></table></div></body></html>`;
    const r = run(html);
    expect(r.pageType).toBe('listing');
    const l = r.listings[0]!;
    expect(l.title).toBe('50x Xanax 2mg bars');
    expect(l.price).toEqual({ amount: 0.85, currency: 'XMR' });
    expect(l.vendorHandle).toBe('benzoking');
    expect(l.shipsFrom).toBe('Germany');
    expect(l.shipsToExcluded).toEqual(['USA']);
    expect(l.category).toEqual(['Pharmacy', 'Benzos']);
  });

  it('the logged-in account is never the vendor, even as the only user link', () => {
    const html = `<html><head><title>Custom order</title></head><body>${chrome('buyer_bob')}
      <div class="main"><h2>Custom order</h2><p>Price: 100.00 USD</p><p>Ships from: Canada</p><p><a href="/user/buyer_bob">buyer_bob</a></p></div></body></html>`;
    const r = run(html);
    expect(r.pageType).toBe('listing');
    expect(r.listings[0]!.vendorHandle).toBeNull();
    expect(r.vendors).toEqual([]);
    // "Balance: 2000 $" and "1 BTC" sit in the chrome: the price is the listing's.
    expect(r.listings[0]!.price).toEqual({ amount: 100, currency: 'USD' });
  });

  it('a field found only with low confidence is reported as uncertain, not written into the record', () => {
    // No headline element matches the <title>: the title would only be a guess from <title>.
    const html = `<html><head><title>Item 55 | Some Market</title></head><body><div class="main">
      <div><label>Price</label><span>12 USD</span></div><div><label>Ships from</label><span>Peru</span></div></div></body></html>`;
    const r = run(html);
    expect(r.pageType).toBe('listing');
    expect(r.listings[0]!.title).toBeNull();
    const u = r.uncertain.find((f) => f.path === 'listings[0].title');
    expect(u?.value).toBe('Item 55');
    expect(u!.confidence).toBeLessThan(MIN_CONFIDENCE);
  });
});

describe('generic extractor: one vendor page of a market never seen', () => {
  it("the market's own rating, not another market's badge nor a buyer's \"10/10\"", () => {
    const html = `<html><head><title>Profile of kingfish - Sea Market</title></head><body>${chrome('viewer01')}
      <div class="main"><h2>kingfish</h2>
      <p><b>Member since:</b> 2019-03-01</p><p><b>Last seen:</b> today</p><p><b>Positive feedback:</b> 96.87%</p>
      <div class="imported"><h4>Imported</h4><span>Dream: 3000 deals, 4.97/5</span></div>
      <table class="feedback"><tr><td>5/5</td><td>10/10 Will be back</td><td>2 days ago</td></tr><tr><td>4/5</td><td>ok</td><td>3 days ago</td></tr><tr><td>5/5</td><td>fast</td><td>4 days ago</td></tr></table></div></body></html>`;
    const r = run(html);
    expect(r.pageType).toBe('vendor_profile');
    expect(r.vendors).toHaveLength(1);
    expect(r.vendors[0]).toMatchObject({ handle: 'kingfish', rating: 96.87, ratingMax: 100 });
    expect(r.feedback.length).toBe(3);
  });

  it('an opaque URL and a "Username" label cell; a rating-classed element with its scale in the title', () => {
    const html = `<html><head><title>Contact seller</title></head><body>${chrome('me_myself')}
      <div class="content"><table><tr><td class="lbl"><label>Username</label></td><td><span>Night_Owl</span>
      <span class="userRating" title="Average rating (1-5 stars)">4.65</span> <span title="Successful transactions">(1050)</span></td></tr>
      <tr><td><label>Join date</label></td><td>01/02/2018</td></tr></table></div></body></html>`;
    const r = run(html);
    expect(r.pageType).toBe('vendor_profile');
    expect(r.vendors[0]).toMatchObject({ handle: 'Night_Owl', rating: 4.65, ratingMax: 5 });
  });

  it('a buyer profile (user type) gives no vendor', () => {
    const html = `<html><head><title>smith - User Profile</title></head><body><div class="main"><h3>User Profile :</h3><a href="/user.php?u_id=smith">smith</a>
      <p><b>Member since :</b> Oct 05, 2019</p><p><b>User Type :</b> Buyer</p></div></body></html>`;
    const r = run(html);
    expect(r.vendors).toEqual([]);
    expect(r.listings).toEqual([]);
  });
});

describe('generic extractor: page types from structure', () => {
  it('a login form with a captcha is a login page; a captcha alone is a captcha wall; a PIN on a purchase form is neither', () => {
    const login = run(`<html><body><form action="/login"><input name="user" type="text"><input name="pass" type="password"><img src="/captcha.png" alt="Captcha"><input name="captcha"></form></body></html>`);
    expect(login.pageType).toBe('login');
    const wall = run(`<html><body><div>DDOS Protection</div><form><img src="/img/captcha2" alt="Captcha"><input name="captcha"></form></body></html>`);
    expect(wall.pageType).toBe('captcha');
    const buy = run(`<html><head><title>Thing</title></head><body><div class="main"><h2>Thing</h2><div><label>Price</label><span>5 USD</span></div><div><label>Ships to</label><span>Worldwide</span></div>
      <form action="/purchase"><input name="qty"><input name="pin" type="password"><button>Purchase</button></form></div></body></html>`);
    expect(buy.pageType).toBe('listing');
  });

  it('is bounded on hostile input: deep nesting and many labels', () => {
    const deep = run(`<html><head><title>x</title></head><body>${'<div>'.repeat(50_000)}<label>Price</label><span>1 BTC</span></body></html>`);
    expect(deep.warnings.map((w) => w.code)).toContain('depth_limit');
    const many = run(`<html><body><div class="main">${'<div><label>Price</label><span>1 USD</span></div>'.repeat(20_000)}</div></body></html>`);
    expect(many.ok).toBe(true);
    expect(many.listings.length).toBeLessThanOrEqual(1);
  });
});
