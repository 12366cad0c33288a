import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/index.ts';
import type { SimHandle } from '../../src/sim/index.ts';
import { configureMarketCrawl, solveCaptcha } from '../../src/collect/index.ts';

/** Configures every sim market for crawling, with its undercover accounts and login form fields. */
export async function configureSimMarkets(db: Kysely<Database>, sim: SimHandle, agencyId: number, over: { delayMs?: number; concurrency?: number; maxPages?: number } = {}): Promise<void> {
  for (const m of sim.markets) {
    await configureMarketCrawl(db, {
      agencyId,
      slug: m.slug,
      name: m.name,
      startUrls: [m.url],
      loginPath: m.loginPath,
      loginFields: m.loginFields,
      delayMs: over.delayMs ?? 0,
      concurrency: over.concurrency ?? 4,
      maxPages: over.maxPages ?? 5000,
      accounts: m.credentials.slice(0, 1).map((c) => ({ username: c.username, password: c.password })),
    });
  }
}

/** Plays the human at the CAPTCHA queue: reads the answer through the sim's in-process test hook. */
export function simHuman(db: Kysely<Database>, sim: SimHandle, slug: string) {
  return async ({ id, imageUrl }: { id: number; imageUrl: string }) => {
    const captchaId = /\/captcha\/([0-9a-f]+)\.png/.exec(imageUrl)?.[1] ?? '';
    const answer = sim.peekCaptchaAnswer(slug, captchaId);
    if (!answer) throw new Error(`sim has no CAPTCHA ${captchaId}`);
    await solveCaptcha(db, id, answer, 'test:human');
  };
}
