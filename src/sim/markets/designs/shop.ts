// "shop": a single-vendor shop. The storefront is the vendor's catalogue (<section class="product"> blocks with
// schema.org microdata), "?page=N" with older/newer links, an /about page with a clean PGP block and the key
// also served as /pgp.txt, reviews with numeric ratings and long dates.
import type { SimAccount, SimDay, SimListing, SimMarket } from '../../world/index.ts';
import { countryName, formatDay, formatQuantity, maskBuyer } from '../format.ts';
import { h, hBreaks, page, safeDecode, seg } from '../html.ts';
import { armoredKey, renderPgpBlock } from '../pgp-block.ts';
import { stockOn, type MarketView, type ShownFeedback } from '../view.ts';
import { CATEGORY_LABELS, asCategory, intParam, pageCount, price, serverTime, slicePage } from './common.ts';
import { displayAmount } from '../format.ts';
import { priceOn } from '../view.ts';
import type { Design, RenderContext, Rendered } from './types.ts';

/** The shop's owner: the vendor with the most listings on the day (a shop normally has exactly one). */
function owners(view: MarketView, day: SimDay): SimAccount[] {
  return view.vendors(day)
    .map((v) => ({ v, n: view.vendorListings(v.id, day).length }))
    .sort((a, b) => b.n - a.n || (a.v.handle < b.v.handle ? -1 : 1))
    .map((x) => x.v);
}

function layout(market: SimMarket, day: SimDay, title: string, main: string, ctx?: RenderContext): string {
  const owner = ctx ? owners(ctx.view, day)[0] : undefined;
  const cats = ctx ? ctx.view.categories(day).map((c) => `<a href="/?cat=${seg(c.name)}">${h(CATEGORY_LABELS[c.name])}</a>`).join(' | ') : '';
  const count = ctx ? ctx.view.vendors(day).length : 0;
  const tagline = owner && count === 1 ? `Official shop of <a href="/about">${h(owner.handle)}</a>`
    : count > 1 ? `Storefronts of ${count} trusted sellers` : '';
  const body = `<header class="shop-banner"><h1>${h(market.name)}</h1>${tagline ? `<p class="tagline">${tagline}</p>` : ''}
<nav><a href="/">Products</a> · <a href="/reviews">Reviews</a> · <a href="/about">About &amp; PGP</a> · <a href="/logout">Log out</a></nav>
<nav class="cats">${cats}</nav></header>
${main}
<footer>${serverTime(day)}</footer>`;
  return page({ title: `${title} — ${market.name}`, body, bodyClass: 'shop' });
}

function productBlock(ctx: RenderContext, l: SimListing): string {
  const amount = displayAmount(ctx.market.currency, priceOn(l, ctx.day), ctx.day);
  return `<section class="product" itemscope itemtype="https://schema.org/Product">
<h2 itemprop="name"><a href="/product/${seg(l.externalId)}">${h(l.title)}</a></h2>
<div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><span itemprop="price" content="${amount}">${h(price(ctx.market, l, ctx.day))}</span><meta itemprop="priceCurrency" content="${ctx.market.currency}"></div>
<p class="qty">${h(formatQuantity(l.quantity, l.unit, l.dose))} · ships from ${h(countryName(l.shipsFrom))}</p>
</section>`;
}

function storefront(ctx: RenderContext): Rendered | undefined {
  const cat = asCategory(ctx.url.searchParams.get('cat'));
  if (ctx.url.searchParams.has('cat') && !cat) return undefined;
  const listings = ctx.view.listings(ctx.day, cat);
  const size = ctx.market.pageSize;
  const pages = pageCount(listings.length, size);
  const current = intParam(ctx.url, 'page', 1);
  if (current < 1 || current > pages) return undefined;
  const base = cat ? `/?cat=${cat}&` : '/?';
  const newer = current > 1 ? `<a class="newer" href="${h(`${base}page=${current - 1}`)}">← newer</a>` : '';
  const older = current < pages ? `<a class="older" href="${h(`${base}page=${current + 1}`)}">older →</a>` : '';
  const main = `<main class="catalogue">
${slicePage(listings, current, size).map((l) => productBlock(ctx, l)).join('\n')}
</main>
<div class="more">${newer} ${older}</div>`;
  return { status: 200, html: layout(ctx.market, ctx.day, cat ? CATEGORY_LABELS[cat] : 'Products', main, ctx) };
}

function productPage(ctx: RenderContext, l: SimListing): Rendered {
  const stock = stockOn(l, ctx.day);
  const vendor = ctx.view.account(l.accountId);
  const amount = displayAmount(ctx.market.currency, priceOn(l, ctx.day), ctx.day);
  const reviews = ctx.view.listingFeedback(l.id, ctx.day);
  const main = `<main itemscope itemtype="https://schema.org/Product" class="product-page">
<h2 itemprop="name">${h(l.title)}</h2>
<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
<p class="price"><span itemprop="price" content="${amount}">${h(price(ctx.market, l, ctx.day))}</span><meta itemprop="priceCurrency" content="${ctx.market.currency}"></p>
<link itemprop="availability" href="https://schema.org/${stock > 0 ? 'InStock' : 'OutOfStock'}"><p class="stock">${stock > 0 ? `Only ${stock} left` : 'Currently unavailable'}</p>
</div>
<p class="seller">Seller: <a href="/about?vendor=${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a></p>
<p>Size: ${h(formatQuantity(l.quantity, l.unit, l.dose))}</p>
<p>Ships from <b>${h(countryName(l.shipsFrom))}</b> to <b>${h(l.shipsTo.map(countryName).join(', '))}</b></p>
<p>Category: <a href="/?cat=${seg(l.substanceClass)}">${h(CATEGORY_LABELS[l.substanceClass])}</a></p>
<div itemprop="description" class="description">${hBreaks(l.description)}</div>
<h3>Customer reviews</h3>
${reviews.slice(0, 10).map((e) => reviewBlock(ctx, e, false)).join('\n') || '<p>No reviews yet.</p>'}
</main>`;
  return { status: 200, html: layout(ctx.market, ctx.day, l.title, main, ctx) };
}

function reviewBlock(ctx: RenderContext, e: ShownFeedback, withItem: boolean): string {
  return `<blockquote class="review"><p>${h(e.feedback.text)}</p><footer>Rating: ${e.feedback.rating.toFixed(1)} — ${h(maskBuyer(e.buyerHandle))}, ${h(formatDay(e.feedback.day, 'long', ctx.day))}${withItem ? ` — ${h(ctx.view.listingTitle(e.listingId) ?? '')}` : ''}</footer></blockquote>`;
}

function reviewsPage(ctx: RenderContext): Rendered | undefined {
  const entries = owners(ctx.view, ctx.day).flatMap((v) => ctx.view.vendorFeedback(v.id, ctx.day));
  const size = ctx.market.pageSize;
  const pages = pageCount(entries.length, size);
  const current = intParam(ctx.url, 'page', 1);
  if (current < 1 || current > pages) return undefined;
  const main = `<main class="reviews"><h2>What customers say (${entries.length})</h2>
${slicePage(entries, current, size).map((e) => reviewBlock(ctx, e, true)).join('\n')}
</main>
<div class="more">${current > 1 ? `<a href="/reviews?page=${current - 1}">← newer</a>` : ''} ${current < pages ? `<a href="/reviews?page=${current + 1}">older →</a>` : ''}</div>`;
  return { status: 200, html: layout(ctx.market, ctx.day, 'Reviews', main, ctx) };
}

function aboutPage(ctx: RenderContext): Rendered | undefined {
  const only = ctx.url.searchParams.get('vendor');
  const vendors = only === null ? owners(ctx.view, ctx.day) : [ctx.view.vendorByHandle(only, ctx.day)].filter((v) => v !== undefined);
  if (vendors.length === 0) return undefined;
  const sections = vendors.map((v) => {
    const key = ctx.view.shownKey(v, ctx.day);
    return `<article class="vendor" id="${h(v.handle)}"><h2>About ${h(v.handle)}</h2>
<p class="since">Trusted seller (level ${v.level}) since ${h(formatDay(v.openDay, 'long', ctx.day))}</p>
<div class="bio">${hBreaks(v.profileText)}</div>
${key ? `<h3>PGP public key</h3>\n${renderPgpBlock(key, 'clean')}\n<p><a href="/pgp.txt?vendor=${seg(v.handle)}">Download as text</a></p>` : ''}
</article>`;
  });
  return { status: 200, html: layout(ctx.market, ctx.day, 'About', `<main>${sections.join('\n')}</main>`, ctx) };
}

function pgpText(ctx: RenderContext): Rendered | undefined {
  const handle = ctx.url.searchParams.get('vendor');
  const v = handle ? ctx.view.vendorByHandle(handle, ctx.day) : owners(ctx.view, ctx.day)[0];
  const key = v ? ctx.view.shownKey(v, ctx.day) : undefined;
  return key ? { status: 200, html: armoredKey(key), contentType: 'text/plain; charset=utf-8' } : undefined;
}

export const shopDesign: Design = {
  cookieName: 'shop_session',
  loginPath: '/account/login',
  logoutPath: '/logout',
  fields: { username: 'email_or_user', password: 'password', captcha: 'human_check', csrf: 'authenticity_token' },
  loginPage(market, day, { csrf, captchaUrl, error }) {
    const main = `<main class="account"><h2>Customer login</h2>
${error ? `<p class="flash error">${h(error)}</p>` : ''}
<form method="post" action="/account/login" class="login">
<input type="hidden" name="authenticity_token" value="${h(csrf)}">
<p><label>Username<br><input name="email_or_user"></label></p>
<p><label>Password<br><input type="password" name="password"></label></p>
<figure><img src="${h(captchaUrl)}" alt="security check"><figcaption>Type the characters you see</figcaption></figure>
<p><input name="human_check"></p>
<p><button>Log in</button></p>
</form></main>`;
    return layout(market, day, 'Login', main);
  },
  notFound(market, day) {
    return layout(market, day, 'Not found', '<main><h2>Sorry, this product is no longer available.</h2></main>');
  },
  render(ctx) {
    const path = ctx.url.pathname;
    if (path === '/') return storefront(ctx);
    if (path === '/about') return aboutPage(ctx);
    if (path === '/reviews') return reviewsPage(ctx);
    if (path === '/pgp.txt') return pgpText(ctx);
    const m = /^\/product\/([^/]+)$/.exec(path);
    if (m) {
      const l = ctx.view.listing(safeDecode(m[1] ?? ''), ctx.day);
      return l ? productPage(ctx, l) : undefined;
    }
    return undefined;
  },
};
