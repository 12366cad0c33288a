import type { CrawlContext } from './context.ts';
import { sleep } from './types.ts';

/** Waits for a human's answer to a parked CAPTCHA (undefined: not waiting, expired, or timed out). */
export async function waitForCaptchaAnswer(ctx: Pick<CrawlContext, 'db' | 'options'>, captchaId: number): Promise<string | undefined> {
  const { db, options } = ctx;
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
