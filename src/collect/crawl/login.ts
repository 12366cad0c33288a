import { parkCaptcha, type ParkedForm } from './captcha.ts';
import { fetchAndRecord, type CrawlContext } from './context.ts';
import { fetchWithRetry } from './error-handler.ts';
import { loginUrl } from './market.ts';
import type { LoginForm } from './page.ts';
import { StopCrawl, countError, sleep } from './types.ts';

/**
 * Logs the crawl's undercover account in: fetches the form, parks a CAPTCHA for a human when there is one, posts
 * the credentials, and keeps the session. One login at a time for all of the crawl's workers.
 */
export class LoginFlow {
  readonly #ctx: CrawlContext;
  #inFlight: Promise<void> | undefined;
  /** Bumped on each successful login; a worker that saw an older session just waits for the new one. */
  generation = 0;

  constructor(ctx: CrawlContext) {
    this.#ctx = ctx;
  }

  /** Logs in once for all workers; workers that saw an older session than the current one return at once. */
  async ensure(seenGeneration: number): Promise<void> {
    if (seenGeneration < this.generation) return;
    if (!this.#inFlight) {
      this.#inFlight = this.#login()
        .then(() => {
          this.generation++;
        })
        .finally(() => {
          this.#inFlight = undefined;
        });
    }
    await this.#inFlight;
  }

  #toParked(form: LoginForm): ParkedForm {
    return { action: form.action, hidden: form.hidden, usernameField: form.usernameField, passwordField: form.passwordField, captchaField: form.captchaField ?? 'captcha', cookies: this.#ctx.fetcher.jar.toJSON() };
  }

  async #post(form: ParkedForm, answer: string | undefined): Promise<boolean> {
    const { db, market, account, hooks, hookContext } = this.#ctx;
    if (!account) throw new StopCrawl('login-failed', `${market.slug} asks for a login but has no active account`);
    const fields: Record<string, string> = { ...form.hidden, [form.usernameField]: account.username, [form.passwordField]: account.secrets?.password ?? account.password ?? '', ...(answer !== undefined ? { [form.captchaField]: answer } : {}) };
    await hooks.beforeCredentials?.({ action: form.action, fields }, hookContext);
    const body = new URLSearchParams(fields).toString();
    const { res } = await fetchAndRecord(this.#ctx, form.action, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: loginUrl(market) } });
    const location = res.headers.location;
    const judged = res.status >= 300 && res.status < 400 && location !== undefined && !location.includes(new URL(loginUrl(market)).pathname);
    const ok = (await hooks.afterLoginResponse?.(res, hookContext)) ?? judged;
    if (ok) {
      this.#ctx.stats.logins++;
      await db.updateTable('crawl_accounts').set({ cookies: JSON.stringify(this.#ctx.fetcher.jar.toJSON()), last_login_at: new Date() }).where('id', '=', account.id).execute();
      await db.updateTable('crawl_markets').set({ paused_reason: null }).where('market_id', '=', market.id).execute();
    }
    return ok;
  }

  async #waitForAnswer(captchaId: number): Promise<string | undefined> {
    const { db, options } = this.#ctx;
    const wait = options.captcha?.wait ?? true;
    if (!wait) return undefined;
    const poll = options.captcha?.pollMs ?? 1000;
    const deadline = Date.now() + (options.captcha?.timeoutMs ?? 15 * 60_000);
    while (Date.now() < deadline && !options.signal?.aborted) {
      const row = await db.selectFrom('crawl_captchas').select(['status', 'answer']).where('id', '=', captchaId).executeTakeFirst();
      if (row?.status === 'solved' && row.answer) return row.answer;
      if (row?.status !== 'pending') return undefined;
      await sleep(poll, options.signal);
    }
    return undefined;
  }

  async #login(): Promise<void> {
    const ctx = this.#ctx;
    const { db, market, account, stats } = ctx;
    const jar = ctx.fetcher.jar;
    if (!account) throw new StopCrawl('login-failed', `${market.slug} asks for a login but no active undercover account is configured`);
    const url = loginUrl(market);
    for (let attempt = 1; attempt <= 3; attempt++) {
      // A CAPTCHA a human solved while the crawl was paused: use it with the session it belongs to.
      const solved = await db.selectFrom('crawl_captchas').select(['id', 'form', 'answer']).where('market_id', '=', market.id).where('account_id', '=', account.id).where('status', '=', 'solved').orderBy('id', 'desc').executeTakeFirst();
      if (solved?.answer) {
        const form = solved.form as unknown as ParkedForm;
        jar.clear();
        jar.update(Object.entries(form.cookies).map(([k, v]) => `${k}=${v}`));
        await db.updateTable('crawl_captchas').set({ status: 'used' }).where('id', '=', solved.id).execute();
        if (await this.#post(form, solved.answer)) return;
        countError(stats, 'login-rejected');
        continue;
      }
      jar.clear();
      const page = await fetchWithRetry(ctx, url);
      const analysis = await ctx.analyser.analyse(page.res.body, url, market.login_fields ?? undefined);
      if (analysis.seized) throw new StopCrawl('seized', 'seizure banner on the login page');
      const form = analysis.login;
      if (!form) throw new StopCrawl('login-failed', `no login form at ${url} (HTTP ${page.res.status})`);
      const parked = this.#toParked(form);
      if (!form.captchaImage || !form.captchaField) {
        if (await this.#post(parked, undefined)) return;
        countError(stats, 'login-rejected');
        continue;
      }
      const img = await fetchWithRetry(ctx, form.captchaImage);
      const captchaId = await parkCaptcha(db, {
        marketId: market.id,
        accountId: account.id,
        jobId: ctx.jobId,
        image: img.res.body,
        imageType: img.res.headers['content-type'] ?? 'application/octet-stream',
        captureId: img.capture.captureId,
        form: { ...parked, imageUrl: form.captchaImage } as ParkedForm,
      });
      stats.captchas++;
      await ctx.options.captcha?.onParked?.({ id: captchaId, imageUrl: form.captchaImage });
      const answer = await this.#waitForAnswer(captchaId);
      if (answer === undefined) throw new StopCrawl('paused-captcha', `CAPTCHA #${captchaId} is waiting for a human: darkpatrol captcha show ${captchaId}`);
      await db.updateTable('crawl_captchas').set({ status: 'used' }).where('id', '=', captchaId).execute();
      if (await this.#post(parked, answer)) return;
      countError(stats, 'login-rejected');
    }
    throw new StopCrawl('login-failed', `login to ${market.slug} as ${account.username} failed 3 times`);
  }
}
