// Passing an anti-DDoS front: wait in its queue as its own refresh asks (never faster than the crawl's politeness),
// park its CAPTCHA for a human exactly like the login CAPTCHA, post the answer, keep the access cookie. One pass at
// a time for all of the crawl's workers; every page of it is preserved as evidence.
import { parkCaptcha, type ParkedForm } from '../captcha.ts';
import { waitForCaptchaAnswer } from '../captcha-wait.ts';
import { fetchAndRecord, type CrawlContext } from '../context.ts';
import type { FetchedPage } from '../fetcher.ts';
import { StopCrawl, countError, sleep } from '../types.ts';
import { scanDefences, type DefencePage } from './page-type.ts';

const DEFAULT_MAX_QUEUE_WAIT_MS = 10 * 60_000;
const MAX_WRONG_ANSWERS = 3;

/** The front page a response is, if it is one (a queue or the front's CAPTCHA). */
export function frontPage(page: { url: string; res: FetchedPage['res'] }): Extract<DefencePage, { kind: 'queue' | 'anti-ddos-captcha' }> | undefined {
  if (!/html/i.test(page.res.headers['content-type'] ?? '')) return undefined;
  const p = scanDefences(page.res.body, page.url).page;
  return p && (p.kind === 'queue' || p.kind === 'anti-ddos-captcha') ? p : undefined;
}

export class FrontGate {
  readonly #ctx: CrawlContext;
  #inFlight: Promise<void> | undefined;
  /** Fronts passed in this crawl (each time the access cookie was granted). */
  passed = 0;

  constructor(ctx: CrawlContext) {
    this.#ctx = ctx;
  }

  /**
   * `page` was a front page (already preserved by the caller): pass the front, once for all workers. Resolves when
   * the market answers with something else; throws StopCrawl when a human is needed and not waited for, or when
   * the queue lasts longer than the crawl's limit.
   */
  async pass(page: FetchedPage): Promise<void> {
    if (!this.#inFlight) {
      this.#inFlight = this.#pass(page).finally(() => {
        this.#inFlight = undefined;
      });
    }
    await this.#inFlight;
  }

  async #pass(first: FetchedPage): Promise<void> {
    const ctx = this.#ctx;
    const deadline = Date.now() + (ctx.options.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS);
    let page: { url: string; res: FetchedPage['res'] } = first;
    let wrong = 0;
    for (;;) {
      const front = frontPage(page);
      if (!front) return;
      if (ctx.options.signal?.aborted) throw new StopCrawl('stopped', 'stopped while passing the anti-DDoS front');
      if (front.kind === 'queue') {
        const waitMs = Math.max(front.refreshSeconds * 1000, ctx.settings.delayMs, 250);
        if (Date.now() + waitMs > deadline) throw new StopCrawl('down', `anti-DDoS queue of ${ctx.market.slug} longer than ${Math.round((ctx.options.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS) / 1000)} s`);
        ctx.stats.errors['anti-ddos-queue'] = (ctx.stats.errors['anti-ddos-queue'] ?? 0) + 1;
        await sleep(waitMs, ctx.options.signal);
        page = { url: front.refreshUrl, res: (await fetchAndRecord(ctx, front.refreshUrl)).res };
        continue;
      }
      const answer = await this.#human(front);
      const fields = { ...front.form.hidden, [front.captchaField]: answer };
      const posted = await fetchAndRecord(ctx, front.form.action, { method: 'POST', body: new URLSearchParams(fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: page.url } });
      const { res } = posted;
      if (res.status >= 300 && res.status < 400 && res.headers.location) {
        const next = new URL(res.headers.location, front.form.action).toString();
        page = { url: next, res: (await fetchAndRecord(ctx, next)).res };
        if (!frontPage(page)) this.passed++;
        continue;
      }
      if (frontPage({ url: front.form.action, res })?.kind === 'anti-ddos-captcha') {
        countError(ctx.stats, 'anti-ddos-captcha-rejected');
        if (++wrong >= MAX_WRONG_ANSWERS) throw new StopCrawl('paused-captcha', `the anti-DDoS CAPTCHA of ${ctx.market.slug} was answered wrongly ${wrong} times`);
      }
      page = { url: front.form.action, res };
    }
  }

  /** Parks the front's CAPTCHA for a human and waits for the answer (or pauses the crawl). */
  async #human(front: Extract<DefencePage, { kind: 'anti-ddos-captcha' }>): Promise<string> {
    const ctx = this.#ctx;
    const img = await fetchAndRecord(ctx, front.captchaImage);
    const form: ParkedForm & { imageUrl: string } = { action: front.form.action, hidden: front.form.hidden, usernameField: '', passwordField: '', captchaField: front.captchaField, cookies: ctx.fetcher.jar.toJSON(), imageUrl: front.captchaImage };
    const id = await parkCaptcha(ctx.db, {
      marketId: ctx.market.id,
      accountId: ctx.account?.id ?? null,
      jobId: ctx.jobId,
      image: img.res.body,
      imageType: img.res.headers['content-type'] ?? 'application/octet-stream',
      captureId: img.capture.captureId,
      form,
      kind: 'anti-ddos',
    });
    ctx.stats.captchas++;
    await ctx.options.captcha?.onParked?.({ id, imageUrl: front.captchaImage });
    const answer = await waitForCaptchaAnswer(ctx, id);
    if (answer === undefined) throw new StopCrawl('paused-captcha', `anti-DDoS CAPTCHA #${id} is waiting for a human: darkpatrol captcha show ${id}`);
    await ctx.db.updateTable('crawl_captchas').set({ status: 'used' }).where('id', '=', id).execute();
    return answer;
  }
}
