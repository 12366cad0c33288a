// "cards": a modern market. Listings as a grid of <div class="card">, cursor pagination ("?after=<id>" /
// "?before=<id>", no page numbers), prices as "฿0.01230000" / "USD 1234.50", relative dates, star ratings,
// the PGP key in a <pre> with entities inside words.
import type { SimAccount, SimDay, SimListing, SimMarket } from '../../world/index.ts';
import { countryName, formatDay, formatQuantity, maskBuyer } from '../format.ts';
import { h, hBreaks, page, safeDecode, seg } from '../html.ts';
import { renderPgpBlock } from '../pgp-block.ts';
import { stockOn, type ShownFeedback } from '../view.ts';
import { CATEGORY_LABELS, asCategory, price, serverTime, stars } from './common.ts';
import type { Design, RenderContext, Rendered } from './types.ts';

const STYLE = '<style>.grid{display:flex;flex-wrap:wrap}.card{width:220px;margin:8px;border:1px solid #ccc;border-radius:6px;padding:8px}</style>\n';

function layout(market: SimMarket, day: SimDay, title: string, main: string, ctx?: RenderContext): string {
  const nav = ctx
    ? ctx.view.categories(day).map((c) => `<a class="chip" href="/c/${seg(c.name)}">${h(CATEGORY_LABELS[c.name])}</a>`).join(' ')
    : '';
  const body = `<header><nav><a class="brand" href="/">${h(market.name)}</a> <a href="/">Shop</a> <a href="/logout">Sign out</a></nav>
<nav class="chips">${nav}</nav></header>
<main>
${main}
</main>
<footer>${serverTime(day)}</footer>`;
  return page({ title: `${market.name} | ${title}`, head: STYLE, body, bodyClass: 'cards' });
}

/** Cursor pagination over items with stable ids: `after` shows the items following the id, `before` preceding it. */
function cursorWindow<T>(items: readonly T[], id: (item: T) => string, url: URL, size: number): {
  items: T[];
  prev?: string;
  next?: string;
} | undefined {
  const after = url.searchParams.get('after');
  const before = url.searchParams.get('before');
  let start = 0;
  if (after !== null) {
    const i = items.findIndex((x) => id(x) === after);
    if (i < 0) return undefined;
    start = i + 1;
  } else if (before !== null) {
    const i = items.findIndex((x) => id(x) === before);
    if (i < 0) return undefined;
    start = Math.max(0, i - size);
  }
  const windowItems = items.slice(start, start + size);
  const first = windowItems[0];
  const last = windowItems[windowItems.length - 1];
  return {
    items: windowItems,
    prev: start > 0 && first ? id(first) : undefined,
    next: start + size < items.length && last ? id(last) : undefined,
  };
}

function cursorNav(base: string, prev?: string, next?: string): string {
  const sep = base.includes('?') ? '&' : '?';
  const p = prev ? `<a class="prev" rel="prev" href="${h(`${base}${sep}before=${encodeURIComponent(prev)}`)}">« Prev</a>` : '';
  const n = next ? `<a class="next" rel="next" href="${h(`${base}${sep}after=${encodeURIComponent(next)}`)}">Next »</a>` : '';
  return p || n ? `<div class="cursor-nav">${p} ${n}</div>` : '';
}

function card(ctx: RenderContext, l: SimListing): string {
  const vendor = ctx.view.account(l.accountId);
  return `<div class="card" data-id="${h(l.externalId)}">
<a class="card-title" href="/item/${seg(l.externalId)}">${h(l.title)}</a>
<div class="card-price">${h(price(ctx.market, l, ctx.day))}</div>
<div class="card-vendor">by <a href="/u/${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a></div>
<div class="card-origin">${h(l.shipsFrom)} → ${h(l.shipsTo.join(', '))}</div>
</div>`;
}

function grid(ctx: RenderContext, base: string, heading: string, listings: SimListing[]): Rendered | undefined {
  const w = cursorWindow(listings, (l) => l.externalId, ctx.url, ctx.market.pageSize);
  if (!w) return undefined;
  const main = `<h1>${h(heading)}</h1>
<div class="grid">
${w.items.map((l) => card(ctx, l)).join('\n')}
</div>
${cursorNav(base, w.prev, w.next)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, heading, main, ctx) };
}

function review(ctx: RenderContext, e: ShownFeedback, withItem: boolean): string {
  const item = withItem ? `<div class="review-item">${h(ctx.view.listingTitle(e.listingId) ?? '')}</div>` : '';
  return `<div class="review"><span class="stars" title="${e.feedback.rating} of 5">${stars(e.feedback.rating)}</span> <span class="who">${h(maskBuyer(e.buyerHandle))}</span> <span class="when">${formatDay(e.feedback.day, 'relative', ctx.day)}</span>${item}
<p>${h(e.feedback.text)}</p></div>`;
}

function reviewsPage(ctx: RenderContext, title: string, base: string, entries: ShownFeedback[], withItem: boolean): Rendered | undefined {
  // Reviews have no stable id of their own on this market; the cursor is the index in the (stable) list.
  const keyed = entries.map((e, i) => ({ e, key: `r${i}` }));
  const w = cursorWindow(keyed, (x) => x.key, ctx.url, ctx.market.pageSize);
  if (!w) return undefined;
  const main = `<h1>Reviews for ${h(title)}</h1>
${w.items.map((x) => review(ctx, x.e, withItem)).join('\n') || '<p>No reviews yet.</p>'}
${cursorNav(base, w.prev, w.next)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, `Reviews ${title}`, main, ctx) };
}

function itemPage(ctx: RenderContext, l: SimListing): Rendered {
  const vendor = ctx.view.account(l.accountId);
  const stock = stockOn(l, ctx.day);
  const reviews = ctx.view.listingFeedback(l.id, ctx.day);
  const main = `<article class="item">
<h1>${h(l.title)}</h1>
<dl class="facts">
<dt>Price</dt><dd class="price">${h(price(ctx.market, l, ctx.day))}</dd>
<dt>Sold by</dt><dd><a href="/u/${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a> <span class="lvl">Lv.${vendor?.level ?? 0}</span></dd>
<dt>Amount</dt><dd>${h(formatQuantity(l.quantity, l.unit, l.dose))}</dd>
<dt>Origin</dt><dd>${h(countryName(l.shipsFrom))}</dd>
<dt>Destinations</dt><dd>${h(l.shipsTo.map(countryName).join(' / '))}</dd>
<dt>Available</dt><dd>${stock > 0 ? `${stock} left` : 'sold out'}</dd>
<dt>Category</dt><dd><a href="/c/${seg(l.substanceClass)}">${h(CATEGORY_LABELS[l.substanceClass])}</a></dd>
</dl>
<section class="about-item">${hBreaks(l.description)}</section>
<section class="reviews"><h2>Reviews (${reviews.length})</h2>
${reviews.slice(0, 5).map((e) => review(ctx, e, false)).join('\n')}
<a href="/item/${seg(l.externalId)}/reviews">See all reviews</a></section>
</article>`;
  return { status: 200, html: layout(ctx.market, ctx.day, l.title, main, ctx) };
}

function userPage(ctx: RenderContext, vendor: SimAccount): Rendered {
  const key = ctx.view.shownKey(vendor, ctx.day);
  const listings = ctx.view.vendorListings(vendor.id, ctx.day);
  const reviews = ctx.view.vendorFeedback(vendor.id, ctx.day);
  const avg = reviews.length ? reviews.reduce((s, r) => s + r.feedback.rating, 0) / reviews.length : 0;
  const main = `<section class="profile-head"><h1>${h(vendor.handle)}</h1>
<div class="badges"><span class="lvl">Level ${vendor.level}</span> <span class="stars">${stars(avg)}</span> (${reviews.length} reviews) · joined ${formatDay(vendor.openDay, 'relative', ctx.day)}</div></section>
<section class="bio">${hBreaks(vendor.profileText)}</section>
${key ? `<section class="pgp-key"><h2>PGP</h2>\n${renderPgpBlock(key, 'entities-in-pre')}</section>` : ''}
<h2>Products</h2>
<div class="grid">
${listings.map((l) => card(ctx, l)).join('\n')}
</div>
<a href="/u/${seg(vendor.handle)}/reviews">All reviews</a>`;
  return { status: 200, html: layout(ctx.market, ctx.day, vendor.handle, main, ctx) };
}

export const cardsDesign: Design = {
  cookieName: 'session',
  loginPath: '/auth/login',
  logoutPath: '/logout',
  fields: { username: 'login', password: 'passwd', captcha: 'captcha_code', csrf: '_token' },
  loginPage(market, day, { csrf, captchaUrl, error }) {
    const main = `<div class="login-card"><h1>Sign in</h1>
${error ? `<div class="alert">${h(error)}</div>` : ''}
<form method="post" action="/auth/login">
<input type="hidden" name="_token" value="${h(csrf)}">
<label>Login <input name="login" autocomplete="off"></label>
<label>Password <input name="passwd" type="password"></label>
<div class="captcha"><img src="${h(captchaUrl)}" alt="Enter the characters"><label>Code <input name="captcha_code"></label></div>
<button type="submit">Sign in</button>
</form></div>`;
    return layout(market, day, 'Sign in', main);
  },
  notFound(market, day) {
    return layout(market, day, 'Not found', '<h1>Nothing here</h1><p>This item is gone or never existed.</p>');
  },
  render(ctx) {
    const path = ctx.url.pathname;
    const { view, day } = ctx;
    if (path === '/' || path === '/browse') return grid(ctx, '/browse', 'Latest products', view.listings(day));
    let m = /^\/c\/([^/]+)$/.exec(path);
    if (m) {
      const cat = asCategory(safeDecode(m[1] ?? ''));
      return cat ? grid(ctx, `/c/${cat}`, CATEGORY_LABELS[cat], view.listings(day, cat)) : undefined;
    }
    m = /^\/item\/([^/]+)(\/reviews)?$/.exec(path);
    if (m) {
      const l = view.listing(safeDecode(m[1] ?? ''), day);
      if (!l) return undefined;
      return m[2] ? reviewsPage(ctx, l.title, `/item/${seg(l.externalId)}/reviews`, view.listingFeedback(l.id, day), false) : itemPage(ctx, l);
    }
    m = /^\/u\/([^/]+)(\/reviews)?$/.exec(path);
    if (m) {
      const v = view.vendorByHandle(safeDecode(m[1] ?? ''), day);
      if (!v) return undefined;
      return m[2] ? reviewsPage(ctx, v.handle, `/u/${seg(v.handle)}/reviews`, view.vendorFeedback(v.id, day), true) : userPage(ctx, v);
    }
    return undefined;
  },
};
