// "table": an Agora-style market. Listings in an HTML <table>, numbered page links (?page=N), categories in a
// sidebar, vendor pages at /vendor/<handle> with the PGP key broken by <br/> and entities inside words.
import type { SimAccount, SimDay, SimListing, SimMarket } from '../../world/index.ts';
import { countryName, formatDay, formatQuantity, maskBuyer } from '../format.ts';
import { h, hBreaks, page, safeDecode, seg } from '../html.ts';
import { renderPgpBlock } from '../pgp-block.ts';
import { stockOn, type ShownFeedback } from '../view.ts';
import { CATEGORY_LABELS, asCategory, intParam, pageCount, price, serverTime, slicePage } from './common.ts';
import type { Design, RenderContext, Rendered } from './types.ts';

const STYLE = '<style>table.listings td,table.listings th{border:1px solid #999;padding:2px 6px}#side{float:left;width:180px}#main{margin-left:200px}</style>\n';

function layout(market: SimMarket, day: SimDay, title: string, main: string, ctx?: RenderContext): string {
  const cats = ctx
    ? ctx.view.categories(day).map((c) => `<li><a href="/cat/${seg(c.name)}">${h(CATEGORY_LABELS[c.name])}</a> (${c.count})</li>`).join('\n')
    : '';
  const body = `<div id="top"><a href="/"><b>${h(market.name)}</b></a> | <a href="/">Browse</a> | <a href="/logout">Logout</a></div>
<div id="side"><h3>Categories</h3>
<ul class="categories">
${cats}
</ul></div>
<div id="main">
${main}
</div>
${serverTime(day)}`;
  return page({ title: `${title} - ${market.name}`, head: STYLE, body });
}

/** Numbered pagination: « 1 2 [3] 4 5 … 17 ». */
function pager(base: string, current: number, pages: number): string {
  if (pages <= 1) return '';
  const sep = base.includes('?') ? '&' : '?';
  const shown = new Set<number>([1, pages]);
  for (let p = current - 2; p <= current + 2; p++) if (p >= 1 && p <= pages) shown.add(p);
  const parts: string[] = [];
  let last = 0;
  for (const p of [...shown].sort((a, b) => a - b)) {
    if (p - last > 1) parts.push('<span class="gap">…</span>');
    parts.push(p === current ? `<b class="current">${p}</b>` : `<a href="${h(`${base}${sep}page=${p}`)}">${p}</a>`);
    last = p;
  }
  return `<div class="pagination">Pages: ${parts.join(' ')}</div>`;
}

function listingTable(ctx: RenderContext, listings: SimListing[]): string {
  const rows = listings.map((l) => {
    const vendor = ctx.view.account(l.accountId);
    return `<tr class="product"><td><a href="/p/${seg(l.externalId)}">${h(l.title)}</a></td><td class="price">${h(price(ctx.market, l, ctx.day))}</td><td><a href="/vendor/${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a> (${vendor?.level ?? 0})</td><td>${h(countryName(l.shipsFrom))}</td></tr>`;
  });
  return `<table class="listings">
<tr><th>Item</th><th>Price</th><th>Vendor</th><th>Ships from</th></tr>
${rows.join('\n')}
</table>`;
}

function feedbackTable(ctx: RenderContext, entries: ShownFeedback[], withItem: boolean): string {
  if (entries.length === 0) return '<p class="no-feedback">No feedback yet.</p>';
  const rows = entries.map((e) => {
    const item = withItem ? `<td>${h(ctx.view.listingTitle(e.listingId) ?? '')}</td>` : '';
    return `<tr><td class="rating">${e.feedback.rating}/5</td><td class="text">${h(e.feedback.text)}</td>${item}<td class="buyer">${h(maskBuyer(e.buyerHandle))}</td><td class="date">${formatDay(e.feedback.day, 'iso', ctx.day)}</td></tr>`;
  });
  const head = withItem ? '<th>Item</th>' : '';
  return `<table class="feedback">
<tr><th>Rating</th><th>Feedback</th>${head}<th>Buyer</th><th>Date</th></tr>
${rows.join('\n')}
</table>`;
}

function index(ctx: RenderContext, base: string, heading: string, listings: SimListing[]): Rendered {
  const size = ctx.market.pageSize;
  const pages = pageCount(listings.length, size);
  const current = intParam(ctx.url, 'page', 1);
  if (current < 1 || current > pages) return { status: 404, html: tableDesign.notFound(ctx.market, ctx.day) };
  const main = `<h2>${h(heading)}</h2>
<p>${listings.length} listings, page ${current} of ${pages}</p>
${listingTable(ctx, slicePage(listings, current, size))}
${pager(base, current, pages)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, heading, main, ctx) };
}

function listingPage(ctx: RenderContext, l: SimListing): Rendered {
  const vendor = ctx.view.account(l.accountId);
  const stock = stockOn(l, ctx.day);
  const feedback = ctx.view.listingFeedback(l.id, ctx.day);
  const main = `<h1 class="title">${h(l.title)}</h1>
<table class="details">
<tr><th>Vendor</th><td><a href="/vendor/${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a> (level ${vendor?.level ?? 0})</td></tr>
<tr><th>Price</th><td class="price">${h(price(ctx.market, l, ctx.day))}</td></tr>
<tr><th>Quantity</th><td>${h(formatQuantity(l.quantity, l.unit, l.dose))}</td></tr>
<tr><th>Ships from</th><td>${h(countryName(l.shipsFrom))}</td></tr>
<tr><th>Ships to</th><td>${h(l.shipsTo.map(countryName).join(', '))}</td></tr>
<tr><th>Stock</th><td>${stock > 0 ? `${stock} in stock` : 'Out of stock'}</td></tr>
<tr><th>Category</th><td><a href="/cat/${seg(l.substanceClass)}">${h(CATEGORY_LABELS[l.substanceClass])}</a></td></tr>
</table>
<div class="description">${hBreaks(l.description)}</div>
<h3>Feedback (${feedback.length})</h3>
${feedbackTable(ctx, feedback.slice(0, 10), false)}
${feedback.length > 10 ? `<a href="/p/${seg(l.externalId)}/feedback">All feedback</a>` : ''}`;
  return { status: 200, html: layout(ctx.market, ctx.day, l.title, main, ctx) };
}

function vendorPage(ctx: RenderContext, vendor: SimAccount): Rendered {
  const key = ctx.view.shownKey(vendor, ctx.day);
  const listings = ctx.view.vendorListings(vendor.id, ctx.day);
  const feedback = ctx.view.vendorFeedback(vendor.id, ctx.day);
  const positive = feedback.filter((f) => f.feedback.rating >= 4).length;
  const main = `<h1 class="vendor">${h(vendor.handle)}</h1>
<p class="stats">Level ${vendor.level} | ${feedback.length} ratings | ${feedback.length ? Math.round((100 * positive) / feedback.length) : 0}% positive | member since ${formatDay(vendor.openDay, 'iso', ctx.day)}</p>
<div class="profile">${hBreaks(vendor.profileText)}${key ? `<br/><br/><br/>${renderPgpBlock(key, 'br-entities')}` : ''}</div>
<h3>Listings</h3>
${listingTable(ctx, listings)}
<p><a href="/vendor/${seg(vendor.handle)}/feedback">Feedback (${feedback.length})</a></p>`;
  return { status: 200, html: layout(ctx.market, ctx.day, vendor.handle, main, ctx) };
}

function feedbackPage(ctx: RenderContext, title: string, base: string, entries: ShownFeedback[], withItem: boolean): Rendered {
  const size = ctx.market.pageSize;
  const pages = pageCount(entries.length, size);
  const current = intParam(ctx.url, 'page', 1);
  if (current < 1 || current > pages) return { status: 404, html: tableDesign.notFound(ctx.market, ctx.day) };
  const main = `<h2>Feedback: ${h(title)}</h2>
${feedbackTable(ctx, slicePage(entries, current, size), withItem)}
${pager(base, current, pages)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, `Feedback ${title}`, main, ctx) };
}

export const tableDesign: Design = {
  cookieName: 'PHPSESSID',
  loginPath: '/login',
  logoutPath: '/logout',
  fields: { username: 'username', password: 'password', captcha: 'captcha', csrf: 'csrf_token' },
  loginPage(market, day, { csrf, captchaUrl, error }) {
    const main = `<h2>Login</h2>
${error ? `<p class="error">${h(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="${h(csrf)}">
<table>
<tr><td>Username</td><td><input type="text" name="username"></td></tr>
<tr><td>Password</td><td><input type="password" name="password"></td></tr>
<tr><td><img src="${h(captchaUrl)}" alt="captcha"></td><td><input type="text" name="captcha"></td></tr>
</table>
<input type="submit" value="Login">
</form>`;
    return layout(market, day, 'Login', main);
  },
  notFound(market, day) {
    return layout(market, day, 'Not found', '<h2>404</h2><p>The page you requested does not exist.</p>');
  },
  render(ctx) {
    const path = ctx.url.pathname;
    const { view, day } = ctx;
    if (path === '/' || path === '/index') return index(ctx, '/', 'All listings', view.listings(day));
    let m = /^\/cat\/([^/]+)$/.exec(path);
    if (m) {
      const cat = asCategory(safeDecode(m[1] ?? ''));
      return cat ? index(ctx, `/cat/${cat}`, CATEGORY_LABELS[cat], view.listings(day, cat)) : undefined;
    }
    m = /^\/p\/([^/]+)(\/feedback)?$/.exec(path);
    if (m) {
      const l = view.listing(safeDecode(m[1] ?? ''), day);
      if (!l) return undefined;
      return m[2] ? feedbackPage(ctx, l.title, `/p/${seg(l.externalId)}/feedback`, view.listingFeedback(l.id, day), false) : listingPage(ctx, l);
    }
    m = /^\/vendor\/([^/]+)(\/feedback)?$/.exec(path);
    if (m) {
      const v = view.vendorByHandle(safeDecode(m[1] ?? ''), day);
      if (!v) return undefined;
      return m[2] ? feedbackPage(ctx, v.handle, `/vendor/${seg(v.handle)}/feedback`, view.vendorFeedback(v.id, day), true) : vendorPage(ctx, v);
    }
    return undefined;
  },
};
