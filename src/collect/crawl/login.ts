import { parkCaptcha, type ParkedForm } from './captcha.ts';
import { waitForCaptchaAnswer } from './captcha-wait.ts';
import { fetchAndRecord, type CrawlContext } from './context.ts';
import { fetchWithRetry } from './error-handler.ts';
import { loginUrl } from './market.ts';
import { scanDefences } from './defences/page-type.ts';
import { answerChallenge } from './defences/two-factor.ts';
import type { LoginForm } from './page.ts';
import { StopCrawl, countError } from './types.ts';

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
    this.#ctx.mirrors.assertMayReceiveCredentials(form.action);
    const fields: Record<string, string> = { ...form.hidden, [form.usernameField]: account.username, [form.passwordField]: account.secrets?.password ?? account.password ?? '', ...(answer !== undefined ? { [form.captchaField]: answer } : {}) };
    await hooks.beforeCredentials?.({ action: form.action, fields }, hookContext);
    const body = new URLSearchParams(fields).toString();
    let { res } = await fetchAndRecord(this.#ctx, form.action, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: loginUrl(market) } });
    let at = form.action;
    // A PGP two-factor prompt, in the answer or where it redirects: decrypt the code with the account's key.
    for (let step = 0; step < 3; step++) {
      let prompt = scanDefences(res.body, at).page;
      if (!prompt && res.status >= 300 && res.status < 400 && res.headers.location) {
        const next = new URL(res.headers.location, at).toString();
        if (new URL(next).pathname === new URL(loginUrl(market)).pathname) break;
        // Back at the market's front page: logged in (the frontier fetches that page; fetching it here would capture it twice).
        const target = new URL(next);
        if (market.start_urls.some((u) => new URL(u).pathname + new URL(u).search === target.pathname + target.search)) break;
        const landing = await fetchWithRetry(this.#ctx, next);
        prompt = scanDefences(landing.res.body, next).page;
        if (prompt?.kind !== 'two-factor') break;
        at = next;
      }
      if (prompt?.kind !== 'two-factor') break;
      this.#ctx.mirrors.assertMayReceiveCredentials(prompt.form.action);
      const code = await answerChallenge(prompt.challenge, account.secrets, `${market.slug} as ${account.username}`);
      this.#ctx.stats.twoFactor = (this.#ctx.stats.twoFactor ?? 0) + 1;
      const tf = new URLSearchParams({ ...prompt.form.hidden, [prompt.codeField]: code }).toString();
      ({ res } = await fetchAndRecord(this.#ctx, prompt.form.action, { method: 'POST', body: tf, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: at } }));
      at = prompt.form.action;
      if (res.status >= 300 && res.status < 400 && res.headers.location && new URL(res.headers.location, at).pathname === new URL(at).pathname) continue;
      if (!(res.status >= 300 && res.status < 400)) continue;
      break;
    }
    const location = res.headers.location;
    const judged = res.status >= 300 && res.status < 400 && location !== undefined && !location.includes(new URL(loginUrl(market)).pathname) && scanDefences(res.body, at).page?.kind !== 'two-factor';
    const ok = (await hooks.afterLoginResponse?.(res, hookContext)) ?? judged;
    if (ok) {
      this.#ctx.stats.logins++;
      await db.updateTable('crawl_accounts').set({ cookies: JSON.stringify(this.#ctx.fetcher.jar.toJSON()), last_login_at: new Date() }).where('id', '=', account.id).execute();
      await db.updateTable('crawl_markets').set({ paused_reason: null }).where('market_id', '=', market.id).execute();
    }
    return ok;
  }

  async #login(): Promise<void> {
    const ctx = this.#ctx;
    const { db, market, account, stats } = ctx;
    const jar = ctx.fetcher.jar;
    if (!account) throw new StopCrawl('login-failed', `${market.slug} asks for a login but no active undercover account is configured`);
    const url = ctx.mirrors.route(loginUrl(market));
    if (url === undefined) throw new StopCrawl('login-failed', `refused to log in at ${new URL(loginUrl(market)).host}: it is not in ${market.slug}'s signed mirror list`);
    for (let attempt = 1; attempt <= 3; attempt++) {
      // A CAPTCHA a human solved while the crawl was paused: use it with the session it belongs to.
      const solved = await db.selectFrom('crawl_captchas').select(['id', 'form', 'answer']).where('market_id', '=', market.id).where('account_id', '=', account.id).where('kind', '=', 'login').where('status', '=', 'solved').orderBy('id', 'desc').executeTakeFirst();
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
      const answer = await waitForCaptchaAnswer(ctx, captchaId);
      if (answer === undefined) throw new StopCrawl('paused-captcha', `CAPTCHA #${captchaId} is waiting for a human: darkpatrol captcha show ${captchaId}`);
      await db.updateTable('crawl_captchas').set({ status: 'used' }).where('id', '=', captchaId).execute();
      if (await this.#post(parked, answer)) return;
      countError(stats, 'login-rejected');
    }
    throw new StopCrawl('login-failed', `login to ${market.slug} as ${account.username} failed 3 times`);
  }
}
