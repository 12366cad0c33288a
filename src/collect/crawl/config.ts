import type { Kysely } from 'kysely';
import { readKey } from 'openpgp';
import { appendAudit, type Database } from '../../store/index.ts';

export interface MarketCrawlConfig {
  agencyId: number;
  slug: string;
  name?: string;
  kind?: 'market' | 'shop' | 'forum';
  /** Extraction adapter id for the pages of this market. */
  adapter?: string | null;
  /** Onion URLs to start from ("http://<56 chars>.onion/"); their hosts are the only hosts ever fetched. */
  startUrls: string[];
  /** Extra hosts of the same market (mirrors). */
  mirrors?: string[];
  loginPath?: string | null;
  /** Login form field names when detection is not enough. */
  loginFields?: Partial<Record<'username' | 'password' | 'captcha' | 'csrf', string>> | null;
  /** Regular expressions of URLs never to fetch (logout links, destructive actions). */
  skipPatterns?: string[];
  /** Politeness: minimum delay between requests to one host, and parallel requests per market. */
  delayMs?: number;
  concurrency?: number;
  maxPages?: number;
  maxDepth?: number;
  /** Re-crawl every N minutes (null: only on demand). */
  recrawlMinutes?: number | null;
  accounts?: Array<{ username: string; password: string; proxyUsername?: string }>;
  /** Path of the market's signed mirror list (default /mirrors). */
  mirrorsPath?: string;
  /**
   * The market's PGP public key (armored), pinned now: from then on the crawler sends cookies, CAPTCHA answers and
   * credentials only to onions in a mirror list signed with it.
   */
  signingKey?: { armored: string; pinnedBy: string };
}

const DEFAULT_SKIP = ['/logout', '/ddos/verify', 'mode=logout', '/captcha/', '[?&](action|do)=(delete|buy|order|send)'];

function onionHost(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`start URL ${url} must be http(s)`);
  return u.host;
}

/** Creates or updates a market and its crawl configuration and accounts. Returns the market id. */
export async function configureMarketCrawl(db: Kysely<Database>, c: MarketCrawlConfig): Promise<number> {
  if (c.startUrls.length === 0) throw new Error('a market needs at least one start URL');
  const hosts = [...new Set([...c.startUrls.map(onionHost), ...(c.mirrors ?? []).map((m) => (m.includes('://') ? onionHost(m) : m))])];
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('markets').select('id').where('agency_id', '=', c.agencyId).where('slug', '=', c.slug).executeTakeFirst();
    const marketId =
      existing?.id ??
      (
        await trx
          .insertInto('markets')
          .values({ agency_id: c.agencyId, slug: c.slug, name: c.name ?? c.slug, kind: c.kind ?? 'market', adapter: c.adapter ?? null })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    if (existing && c.adapter !== undefined) await trx.updateTable('markets').set({ adapter: c.adapter }).where('id', '=', marketId).execute();
    for (const h of hosts) {
      await trx.insertInto('market_onions').values({ market_id: marketId, onion: h.replace(/:\d+$/, '') }).onConflict((oc) => oc.doNothing()).execute();
    }
    const values = {
      start_urls: c.startUrls,
      allowed_hosts: hosts,
      login_path: c.loginPath ?? null,
      login_fields: c.loginFields ? JSON.stringify(c.loginFields) : null,
      skip_patterns: c.skipPatterns ?? DEFAULT_SKIP,
      delay_ms: c.delayMs ?? 1000,
      concurrency: c.concurrency ?? 2,
      max_pages: c.maxPages ?? 10_000,
      max_depth: c.maxDepth ?? 50,
      recrawl_minutes: c.recrawlMinutes ?? null,
      ...(c.mirrorsPath !== undefined ? { mirrors_path: c.mirrorsPath } : {}),
      updated_at: new Date(),
    };
    await trx
      .insertInto('crawl_markets')
      .values({ market_id: marketId, ...values })
      .onConflict((oc) => oc.column('market_id').doUpdateSet(values))
      .execute();
    for (const a of c.accounts ?? []) {
      const proxyUsername = a.proxyUsername ?? `dp-${c.slug}-${a.username}`;
      await trx
        .insertInto('crawl_accounts')
        .values({ market_id: marketId, username: a.username, password: a.password, proxy_username: proxyUsername })
        .onConflict((oc) => oc.columns(['market_id', 'username']).doUpdateSet({ password: a.password, proxy_username: proxyUsername }))
        .execute();
    }
    if (c.signingKey) await pinSigningKey(trx, marketId, c.signingKey.armored, c.signingKey.pinnedBy);
    return marketId;
  });
}

/** Pins a market's PGP public key (the one its mirror lists must be signed with). Audited. */
export async function pinSigningKey(db: Kysely<Database>, marketId: number, armored: string, pinnedBy: string): Promise<string> {
  let key;
  try {
    key = await readKey({ armoredKey: armored });
  } catch (err) {
    throw new Error(`the signing key is not an armored OpenPGP public key: ${(err as Error).message.slice(0, 120)}`);
  }
  if (key.isPrivate()) throw new Error('give the market\'s public key, not a private key');
  const fingerprint = key.getFingerprint().toUpperCase();
  const publicArmored = key.armor();
  await db.insertInto('market_signing_keys').values({ market_id: marketId, fingerprint, armored: publicArmored, pinned_by: pinnedBy })
    .onConflict((oc) => oc.column('market_id').doUpdateSet({ fingerprint, armored: publicArmored, pinned_by: pinnedBy, pinned_at: new Date() })).execute();
  const m = await db.selectFrom('markets').select('agency_id').where('id', '=', marketId).executeTakeFirstOrThrow();
  await appendAudit(db, { agencyId: m.agency_id, userId: null, actor: pinnedBy, action: 'market.pin_key', objectType: 'market', objectId: String(marketId), detail: { fingerprint } });
  return fingerprint;
}
