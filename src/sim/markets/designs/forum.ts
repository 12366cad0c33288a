// "forum": a phpBB-style market. Boards are categories, topics are listings (the vendor's first post carries
// the offer), replies are buyer feedback; pagination by "start" with "Page X of Y"; the vendor's PGP key sits in
// the forum signature with <br/> line breaks and entities inside words.
import type { SimAccount, SimDay, SimListing, SimMarket } from '../../world/index.ts';
import { countryName, formatDay, formatQuantity, maskBuyer } from '../format.ts';
import { h, hBreaks, page, seg } from '../html.ts';
import { renderPgpBlock } from '../pgp-block.ts';
import { stockOn, type ShownFeedback } from '../view.ts';
import { CATEGORY_LABELS, asCategory, intParam, pageCount, price, serverTime } from './common.ts';
import type { Design, RenderContext, Rendered } from './types.ts';

const STYLE = '<style>.post{border:1px solid #bcd;margin:6px 0;padding:4px}.postprofile{float:right;width:160px}</style>\n';

function layout(market: SimMarket, day: SimDay, title: string, main: string): string {
  const body = `<div class="headerbar"><h1><a href="/index.php">${h(market.name)}</a></h1><p>The community marketplace</p></div>
<div class="navbar"><a href="/index.php">Board index</a> • <a href="/ucp.php?mode=logout">Logout</a></div>
<div id="page-body">
${main}
</div>
<div class="copyright">Powered by phpBB® Forum Software © phpBB Limited · ${serverTime(day)}</div>`;
  return page({ title: `${market.name} • ${title}`, head: STYLE, body, bodyClass: 'forum' });
}

function pagination(base: string, start: number, size: number, total: number): string {
  const pages = pageCount(total, size);
  const current = Math.floor(start / size) + 1;
  if (pages <= 1) return `<div class="pagination">${total} posts • Page <strong>1</strong> of <strong>1</strong></div>`;
  const link = (p: number, label: string) => `<a href="${h(`${base}&start=${(p - 1) * size}`)}">${label}</a>`;
  return `<div class="pagination">${total} posts • Page <strong>${current}</strong> of <strong>${pages}</strong>${current > 1 ? ` • ${link(current - 1, 'Previous')}` : ''}${current < pages ? ` • ${link(current + 1, 'Next')}` : ''}</div>`;
}

function boardIndex(ctx: RenderContext): Rendered {
  const rows = ctx.view.categories(ctx.day).map((c) => `<tr><td class="forumtitle"><a href="/viewforum.php?f=${seg(c.name)}">${h(CATEGORY_LABELS[c.name])}</a><br><span class="desc">${h(c.name)} offers</span></td><td class="topics">${c.count}</td></tr>`);
  const main = `<table class="forabg"><tr><th>Forum</th><th>Topics</th></tr>
${rows.join('\n')}
</table>
<p class="stats">Total vendors <strong>${ctx.view.vendors(ctx.day).length}</strong></p>`;
  return { status: 200, html: layout(ctx.market, ctx.day, 'Index page', main) };
}

function topicRow(ctx: RenderContext, l: SimListing): string {
  const vendor = ctx.view.account(l.accountId);
  const replies = ctx.view.listingFeedback(l.id, ctx.day).length;
  return `<li class="row"><dl><dt><a class="topictitle" href="/viewtopic.php?t=${seg(l.externalId)}">${h(l.title)}</a><br>by <a class="username" href="/memberlist.php?mode=viewprofile&amp;un=${seg(vendor?.handle ?? '')}">${h(vendor?.handle ?? '?')}</a> » ${formatDay(l.openDay, 'us', ctx.day)}</dt><dd class="posts">${replies} <dfn>Replies</dfn></dd><dd class="price">${h(price(ctx.market, l, ctx.day))}</dd></dl></li>`;
}

function viewForum(ctx: RenderContext, base: string, title: string, listings: SimListing[]): Rendered | undefined {
  const size = ctx.market.pageSize;
  const start = intParam(ctx.url, 'start', 0);
  if (start > 0 && start >= listings.length) return undefined;
  const main = `<h2 class="forum-title">${h(title)}</h2>
${pagination(base, start, size, listings.length)}
<ul class="topiclist topics">
${listings.slice(start, start + size).map((l) => topicRow(ctx, l)).join('\n')}
</ul>
${pagination(base, start, size, listings.length)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, title, main) };
}

function signature(ctx: RenderContext, vendor: SimAccount): string {
  const key = ctx.view.shownKey(vendor, ctx.day);
  return key ? `<div class="signature">${renderPgpBlock(key, 'br-entities')}</div>` : '';
}

function replyPost(ctx: RenderContext, e: ShownFeedback, n: number): string {
  const verdict = e.feedback.rating >= 4 ? '[+]' : e.feedback.rating === 3 ? '[0]' : '[-]';
  return `<div class="post reply" id="p${n}"><div class="postprofile"><strong>${h(maskBuyer(e.buyerHandle))}</strong><br>Buyer</div>
<h3>Re: feedback ${verdict}</h3><p class="author">» ${formatDay(e.feedback.day, 'us', ctx.day)}</p>
<div class="content">Rating: ${verdict} ${e.feedback.rating}/5<br>${h(e.feedback.text)}</div></div>`;
}

function viewTopic(ctx: RenderContext, l: SimListing): Rendered | undefined {
  const vendor = ctx.view.account(l.accountId);
  const replies = ctx.view.listingFeedback(l.id, ctx.day);
  const size = ctx.market.pageSize;
  const start = intParam(ctx.url, 'start', 0);
  if (start > 0 && start >= replies.length + 1) return undefined;
  // Post 0 is the offer; replies are numbered from 1, and a page holds `size` posts.
  const posts: string[] = [];
  if (start === 0 && vendor) {
    posts.push(`<div class="post offer" id="p0"><div class="postprofile"><a class="username" href="/memberlist.php?mode=viewprofile&amp;un=${seg(vendor.handle)}">${h(vendor.handle)}</a><br>Vendor · rank ${vendor.level}</div>
<h3>${h(l.title)}</h3><p class="author">» ${formatDay(l.openDay, 'us', ctx.day)}</p>
<div class="content"><strong>Price:</strong> ${h(price(ctx.market, l, ctx.day))} for ${h(formatQuantity(l.quantity, l.unit, l.dose))}<br>
<strong>Shipping:</strong> ${h(countryName(l.shipsFrom))} → ${h(l.shipsTo.map(countryName).join(', '))}<br>
<strong>Stock:</strong> ${stockOn(l, ctx.day)}<br><br>
${hBreaks(l.description)}</div>
${signature(ctx, vendor)}</div>`);
  }
  const first = Math.max(0, start - 1);
  const count = start === 0 ? size - 1 : size;
  replies.slice(first, first + count).forEach((e, i) => posts.push(replyPost(ctx, e, first + i + 1)));
  const base = `/viewtopic.php?t=${seg(l.externalId)}`;
  const main = `<h2 class="topic-title"><a href="${h(base)}">${h(l.title)}</a></h2>
<p class="crumbs"><a href="/viewforum.php?f=${seg(l.substanceClass)}">${h(CATEGORY_LABELS[l.substanceClass])}</a></p>
${pagination(base, start, size, replies.length + 1)}
${posts.join('\n')}
${pagination(base, start, size, replies.length + 1)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, l.title, main) };
}

function viewProfile(ctx: RenderContext, vendor: SimAccount): Rendered {
  const topics = ctx.view.vendorListings(vendor.id, ctx.day);
  const feedback = ctx.view.vendorFeedback(vendor.id, ctx.day);
  const main = `<h2>Viewing profile - ${h(vendor.handle)}</h2>
<dl class="details"><dt>Rank:</dt><dd>Vendor (${vendor.level})</dd><dt>Joined:</dt><dd>${formatDay(vendor.openDay, 'us', ctx.day)}</dd><dt>Feedback received:</dt><dd><a href="/feedback.php?u=${seg(vendor.handle)}">${feedback.length}</a></dd><dt>Total topics:</dt><dd><a href="/search.php?author=${seg(vendor.handle)}">${topics.length}</a></dd></dl>
<h3>About</h3><div class="about">${hBreaks(vendor.profileText)}</div>
<h3>Signature</h3>${signature(ctx, vendor)}`;
  return { status: 200, html: layout(ctx.market, ctx.day, `Viewing profile - ${vendor.handle}`, main) };
}

function feedbackList(ctx: RenderContext, vendor: SimAccount): Rendered | undefined {
  const entries = ctx.view.vendorFeedback(vendor.id, ctx.day);
  const size = ctx.market.pageSize;
  const start = intParam(ctx.url, 'start', 0);
  if (start > 0 && start >= entries.length) return undefined;
  const base = `/feedback.php?u=${seg(vendor.handle)}`;
  const rows = entries.slice(start, start + size).map((e, i) => `${replyPost(ctx, e, start + i + 1)}<p class="on-topic">in: ${h(ctx.view.listingTitle(e.listingId) ?? '')}</p>`);
  const main = `<h2>Feedback for ${h(vendor.handle)}</h2>
${pagination(base, start, size, entries.length)}
${rows.join('\n')}`;
  return { status: 200, html: layout(ctx.market, ctx.day, `Feedback ${vendor.handle}`, main) };
}

export const forumDesign: Design = {
  cookieName: 'phpbb3_sid',
  loginPath: '/ucp.php?mode=login',
  logoutPath: '/ucp.php?mode=logout',
  fields: { username: 'username', password: 'password', captcha: 'confirm_code', csrf: 'form_token' },
  loginPage(market, day, { csrf, captchaUrl, error }) {
    const main = `<h2 class="login-title">Login</h2>
${error ? `<div class="error">${h(error)}</div>` : ''}
<form method="post" action="/ucp.php?mode=login" id="login">
<fieldset><dl><dt><label for="username">Username:</label></dt><dd><input type="text" id="username" name="username"></dd></dl>
<dl><dt><label for="password">Password:</label></dt><dd><input type="password" id="password" name="password"></dd></dl>
<dl><dt><label>Confirmation code:</label></dt><dd><img src="${h(captchaUrl)}" alt="Confirmation code"><input type="text" name="confirm_code"></dd></dl>
<input type="hidden" name="form_token" value="${h(csrf)}">
<input type="submit" name="login" value="Login"></fieldset>
</form>`;
    return layout(market, day, 'Login', main);
  },
  notFound(market, day) {
    return layout(market, day, 'Information', '<div class="panel"><h2>Information</h2><p>The requested topic does not exist.</p></div>');
  },
  render(ctx) {
    const { url, view, day } = ctx;
    switch (url.pathname) {
      case '/':
      case '/index.php':
        return boardIndex(ctx);
      case '/viewforum.php': {
        const cat = asCategory(url.searchParams.get('f'));
        return cat ? viewForum(ctx, `/viewforum.php?f=${cat}`, CATEGORY_LABELS[cat], view.listings(day, cat)) : undefined;
      }
      case '/viewtopic.php': {
        const l = view.listing(url.searchParams.get('t') ?? '', day);
        return l ? viewTopic(ctx, l) : undefined;
      }
      case '/memberlist.php': {
        const v = url.searchParams.get('mode') === 'viewprofile' ? view.vendorByHandle(url.searchParams.get('un') ?? '', day) : undefined;
        return v ? viewProfile(ctx, v) : undefined;
      }
      case '/search.php': {
        const v = view.vendorByHandle(url.searchParams.get('author') ?? '', day);
        return v ? viewForum(ctx, `/search.php?author=${seg(v.handle)}`, `Topics by ${v.handle}`, view.vendorListings(v.id, day)) : undefined;
      }
      case '/feedback.php': {
        const v = view.vendorByHandle(url.searchParams.get('u') ?? '', day);
        return v ? feedbackList(ctx, v) : undefined;
      }
      default:
        return undefined;
    }
  },
};
