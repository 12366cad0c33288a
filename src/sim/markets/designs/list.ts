// "list": a bare-bones market. Listings as a plain <ul>, offset pagination (?start=N, "Showing 26–50 of 312"),
// prices as "BTC 0.01230000" / "1234.50 USD" / "XMR 1.234567", dd/mm/yyyy dates, positive/neutral/negative
// ratings, the PGP key in a <textarea> with the blank line after the armor header missing.
import type { SimAccount, SimDay, SimListing, SimMarket } from '../../world/index.ts';
import { countryName, formatDay, formatQuantity, maskBuyer } from '../format.ts';
import { h, hBreaks, page, safeDecode, seg } from '../html.ts';
import { renderPgpBlock } from '../pgp-block.ts';
import { stockOn, type ShownFeedback } from '../view.ts';
import { CATEGORY_LABELS, asCategory, intParam, polarity, price, serverTime } from './common.ts';
import type { Design, RenderContext, Rendered } from './types.ts';

function layout(market: SimMarket, day: SimDay, title: string, main: string, ctx?: RenderContext): string {
  const cats = ctx
    ? ctx.view.categories(day).map((c) => `<a href="/category?name=${seg(c.name)}">${h(CATEGORY_LABELS[c.name])}</a>`).join(' - ')
    : '';
  const body = `<p>[ <a href="/listings">${h(market.name)}</a> ] [ <a href="/logout">log out</a> ]</p>
<p class="cats">${cats}</p>
<hr>
${main}
<hr>
${serverTime(day)}`;
  return page({ title: `${market.name} :: ${title}`, body });
}

function offsetNav(base: string, start: number, size: number, total: number): string {
  const sep = base.includes('?') ? '&' : '?';
  const end = Math.min(total, start + size);
  const prev = start > 0 ? `<a href="${h(`${base}${sep}start=${Math.max(0, start - size)}`)}">&lt;&lt; previous</a>` : '';
  const next = end < total ? `<a href="${h(`${base}${sep}start=${end}`)}">next &gt;&gt;</a>` : '';
  return `<p class="offset">Showing ${total ? start + 1 : 0}–${end} of ${total} ${prev} ${next}</p>`;
}

function listItems(ctx: RenderContext, listings: SimListing[]): string {
  return listings.map((l) => {
    const vendor = ctx.view.account(l.accountId);
    return `<li><a href="/l/${seg(l.externalId)}">${h(l.title)}</a> -- ${h(price(ctx.market, l, ctx.day))} -- <a href="/profile/${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a> -- from ${h(l.shipsFrom)}</li>`;
  }).join('\n');
}

function listingsPage(ctx: RenderContext, base: string, heading: string, listings: SimListing[]): Rendered | undefined {
  const size = ctx.market.pageSize;
  const start = intParam(ctx.url, 'start', 0);
  if (start > 0 && start >= listings.length) return undefined;
  const main = `<h2>${h(heading)}</h2>
${offsetNav(base, start, size, listings.length)}
<ul class="listings">
${listItems(ctx, listings.slice(start, start + size))}
</ul>
${offsetNav(base, start, size, listings.length)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, heading, main, ctx) };
}

function ratingList(ctx: RenderContext, entries: ShownFeedback[], withItem: boolean): string {
  if (entries.length === 0) return '<p>no ratings</p>';
  return `<ol class="ratings">
${entries.map((e) => `<li class="${polarity(e.feedback.rating)}">[${polarity(e.feedback.rating)}] ${h(e.feedback.text)} -- ${h(maskBuyer(e.buyerHandle))}, ${formatDay(e.feedback.day, 'eu', ctx.day)}${withItem ? ` (${h(ctx.view.listingTitle(e.listingId) ?? '')})` : ''}</li>`).join('\n')}
</ol>`;
}

function ratingsPage(ctx: RenderContext, title: string, base: string, entries: ShownFeedback[], withItem: boolean): Rendered | undefined {
  const size = ctx.market.pageSize;
  const start = intParam(ctx.url, 'start', 0);
  if (start > 0 && start >= entries.length) return undefined;
  const main = `<h2>ratings: ${h(title)}</h2>
${offsetNav(base, start, size, entries.length)}
${ratingList(ctx, entries.slice(start, start + size), withItem)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, `ratings ${title}`, main, ctx) };
}

function listingPage(ctx: RenderContext, l: SimListing): Rendered {
  const vendor = ctx.view.account(l.accountId);
  const stock = stockOn(l, ctx.day);
  const ratings = ctx.view.listingFeedback(l.id, ctx.day);
  const counts = { positive: 0, neutral: 0, negative: 0 };
  for (const r of ratings) counts[polarity(r.feedback.rating)]++;
  const main = `<h2>${h(l.title)}</h2>
<ul class="facts">
<li><b>Price:</b> ${h(price(ctx.market, l, ctx.day))}</li>
<li><b>Seller:</b> <a href="/profile/${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a></li>
<li><b>Quantity:</b> ${h(formatQuantity(l.quantity, l.unit, l.dose))}</li>
<li><b>Shipping from:</b> ${h(countryName(l.shipsFrom))}</li>
<li><b>Shipping to:</b> ${h(l.shipsTo.map(countryName).join(', '))}</li>
<li><b>In stock:</b> ${stock}</li>
<li><b>Class:</b> ${h(CATEGORY_LABELS[l.substanceClass])}</li>
</ul>
<p class="desc">${hBreaks(l.description)}</p>
<p>ratings: +${counts.positive} / ${counts.neutral} / -${counts.negative} <a href="/l/${seg(l.externalId)}/ratings">read</a></p>`;
  return { status: 200, html: layout(ctx.market, ctx.day, l.title, main, ctx) };
}

function profilePage(ctx: RenderContext, vendor: SimAccount): Rendered {
  const key = ctx.view.shownKey(vendor, ctx.day);
  const listings = ctx.view.vendorListings(vendor.id, ctx.day);
  const ratings = ctx.view.vendorFeedback(vendor.id, ctx.day);
  const main = `<h2>profile: ${h(vendor.handle)}</h2>
<p>trust level ${vendor.level}, ${ratings.length} ratings, vendor since ${formatDay(vendor.openDay, 'eu', ctx.day)}</p>
<p class="about">${hBreaks(vendor.profileText)}</p>
${key ? `<p>public key:</p>\n${renderPgpBlock(key, 'no-blank')}` : '<p>no public key</p>'}
<h3>listings (${listings.length})</h3>
<ul class="listings">
${listItems(ctx, listings)}
</ul>
<p><a href="/profile/${seg(vendor.handle)}/ratings">all ratings</a></p>`;
  return { status: 200, html: layout(ctx.market, ctx.day, vendor.handle, main, ctx) };
}

export const listDesign: Design = {
  cookieName: 'sid',
  loginPath: '/signin',
  logoutPath: '/logout',
  fields: { username: 'user', password: 'pass', captcha: 'code', csrf: 'token' },
  loginPage(market, day, { csrf, captchaUrl, error }) {
    const main = `<h2>sign in</h2>
${error ? `<p><b>${h(error)}</b></p>` : ''}
<form method="post" action="/signin">
<input type="hidden" name="token" value="${h(csrf)}">
<p>user: <input name="user"></p>
<p>pass: <input name="pass" type="password"></p>
<p><img src="${h(captchaUrl)}" alt="code"><br>code: <input name="code"></p>
<p><input type="submit" value="enter"></p>
</form>`;
    return layout(market, day, 'sign in', main);
  },
  notFound(market, day) {
    return layout(market, day, 'not found', '<h2>not found</h2>');
  },
  render(ctx) {
    const path = ctx.url.pathname;
    const { view, day } = ctx;
    if (path === '/' || path === '/listings') return listingsPage(ctx, '/listings', 'all listings', view.listings(day));
    if (path === '/category') {
      const cat = asCategory(ctx.url.searchParams.get('name'));
      return cat ? listingsPage(ctx, `/category?name=${cat}`, CATEGORY_LABELS[cat], view.listings(day, cat)) : undefined;
    }
    let m = /^\/l\/([^/]+)(\/ratings)?$/.exec(path);
    if (m) {
      const l = view.listing(safeDecode(m[1] ?? ''), day);
      if (!l) return undefined;
      return m[2] ? ratingsPage(ctx, l.title, `/l/${seg(l.externalId)}/ratings`, view.listingFeedback(l.id, day), false) : listingPage(ctx, l);
    }
    m = /^\/profile\/([^/]+)(\/ratings)?$/.exec(path);
    if (m) {
      const v = view.vendorByHandle(safeDecode(m[1] ?? ''), day);
      if (!v) return undefined;
      return m[2] ? ratingsPage(ctx, v.handle, `/profile/${seg(v.handle)}/ratings`, view.vendorFeedback(v.id, day), true) : profilePage(ctx, v);
    }
    return undefined;
  },
};
