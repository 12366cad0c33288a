// Which onions are the market: the latest mirror list signed with the market's pinned PGP key. Only those onions
// receive cookies, CAPTCHA answers and credentials; any other onion that claims to be the market (a link copied
// from a forum, a look-alike address) gets cookieless GETs only, is probed and preserved, and recorded as a
// phishing clone. Lists are followed as the market rotates its onions: a dead onion's URLs move to a listed one.
import { readCleartextMessage, readKey, verify } from 'openpgp';
import type { OnionStatus } from '../../../domain/market.ts';
import { FetchError } from '../../net/socks-http.ts';
import type { CrawlContext } from '../context.ts';
import { urlScope } from '../scope.ts';
import { StopCrawl } from '../types.ts';
import { frontPage } from './front.ts';
import { scanDefences } from './page-type.ts';

const ONION_RE = /\b[a-z2-7]{56}\.onion\b/g;

export type ListCheck =
  | { ok: true; onions: string[]; signedAt: Date; fingerprint: string }
  | { ok: false; reason: string };

/** Verifies a cleartext-signed mirror list against the pinned key and reads its onions. */
export async function checkMirrorList(signed: string, pinnedArmored: string): Promise<ListCheck> {
  let message;
  try {
    message = await readCleartextMessage({ cleartextMessage: signed });
  } catch (err) {
    return { ok: false, reason: `the mirror list is not a cleartext-signed PGP message (${(err as Error).message.slice(0, 80)})` };
  }
  const pinned = await readKey({ armoredKey: pinnedArmored });
  const signerIds = message.getSigningKeyIDs().map((k) => k.toHex().toUpperCase());
  const ours = pinned.getKeyIDs().map((k) => k.toHex().toUpperCase());
  if (!signerIds.some((k) => ours.includes(k))) return { ok: false, reason: `the mirror list is signed by another key (${signerIds.join(', ') || 'none'}), not the pinned ${pinned.getFingerprint().toUpperCase()}` };
  try {
    const v = await verify({ message, verificationKeys: pinned, expectSigned: true });
    const sig = await v.signatures[0]!.signature;
    const created = sig.packets[0]?.created ?? new Date(0);
    const onions = [...new Set(String(v.data).match(ONION_RE) ?? [])];
    if (onions.length === 0) return { ok: false, reason: 'the signed mirror list names no onion' };
    return { ok: true, onions, signedAt: created, fingerprint: pinned.getFingerprint().toUpperCase() };
  } catch (err) {
    return { ok: false, reason: `the mirror list's signature does not verify with the pinned key (${(err as Error).message.slice(0, 80)})` };
  }
}

const hostOf = (url: string) => new URL(url).host;

export class MirrorGuard {
  readonly #ctx: CrawlContext;
  #enabled = false;
  #trusted = new Set<string>();
  #phishing = new Set<string>();
  #known = new Set<string>();
  #primary: string | undefined;
  #bootstrapHost: string | undefined;

  constructor(ctx: CrawlContext) {
    this.#ctx = ctx;
  }

  /** True once the market's key is pinned: hosts must then be in its signed list. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The onion the crawl uses (a live one of the latest signed list). */
  get primary(): string | undefined {
    return this.#primary;
  }

  /** Cookies (session, anti-DDoS access) go only to the market's verified onions. */
  mayCarryCookies(host: string): boolean {
    return !this.#enabled || this.#trusted.has(host) || host === this.#bootstrapHost;
  }

  /** Throws (the crawl stops) before anything secret is sent to an onion that is not in the signed list. */
  assertMayReceiveCredentials(url: string): void {
    if (!this.#enabled) return;
    const host = hostOf(url);
    if (!this.#trusted.has(host)) throw new StopCrawl('login-failed', `refused to send credentials to ${host}: it is not in ${this.#ctx.market.slug}'s signed mirror list`);
  }

  /** Where a URL is fetched: as it is on a listed onion; moved to the live onion from an old one; undefined: refused. */
  route(url: string): string | undefined {
    if (!this.#enabled) return url;
    const u = new URL(url);
    if (this.#trusted.has(u.host)) return url;
    if (this.#phishing.has(u.host) || !this.#known.has(u.host) || !this.#primary) return undefined;
    u.host = this.#primary;
    return u.toString();
  }

  /**
   * Before anything else in a crawl: fetch and verify the signed mirror list (from the configured onions, then from
   * those of the last verified list), record list changes, then probe every other configured onion cookieless and
   * record those that impersonate the market. Without a pinned key this does nothing (every configured host is used).
   */
  async prepare(): Promise<void> {
    const ctx = this.#ctx;
    const { db, market } = ctx;
    const key = await db.selectFrom('market_signing_keys').select(['armored', 'fingerprint']).where('market_id', '=', market.id).executeTakeFirst();
    if (!key) return;
    this.#enabled = true;
    const onions = await db.selectFrom('market_onions').select(['onion', 'status']).where('market_id', '=', market.id).execute();
    for (const o of onions) {
      this.#known.add(o.onion);
      if (o.status === 'phishing') this.#phishing.add(o.onion);
    }
    const latest = await db.selectFrom('mirror_lists').selectAll().where('market_id', '=', market.id).orderBy('signed_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
    const startHosts = market.start_urls.map(hostOf);
    const candidates = [...new Set([...startHosts, ...(latest?.onions ?? [])])].filter((h) => !this.#phishing.has(h));
    let verified: { onions: string[]; from: string } | undefined;
    for (const host of candidates) {
      this.#bootstrapHost = host;
      const got = await this.#fetchList(host, true, key.armored);
      if (got.kind === 'unreachable') continue;
      if (got.kind === 'forged') {
        await this.#markPhishing(host, got.captureId, got.reason);
        continue;
      }
      if (got.kind === 'none') continue;
      if (latest && got.check.signedAt < latest.signed_at) {
        verified = { onions: latest.onions, from: host }; // a replayed older list: keep the newer one we hold
      } else {
        await this.#recordList(got.check, host, got.captureId, latest?.onions);
        verified = { onions: got.check.onions, from: host };
      }
      break;
    }
    this.#bootstrapHost = undefined;
    if (!verified) throw new StopCrawl('login-failed', `no onion of ${market.slug} served a mirror list signed with the pinned key ${key.fingerprint}: nothing is sent to any of them`);
    this.#trusted = new Set(verified.onions);
    for (const o of verified.onions) this.#known.add(o);
    this.#primary = this.#trusted.has(verified.from) ? verified.from : verified.onions[0];
    // Every other configured onion that is not in the list: probed without cookies, and recorded when it poses as the market.
    for (const host of new Set([...startHosts, ...market.allowed_hosts])) {
      if (this.#trusted.has(host) || this.#phishing.has(host) || !host.endsWith('.onion') || (latest?.onions.includes(host) ?? false)) continue;
      const got = await this.#fetchList(host, false, key.armored);
      if (got.kind === 'unreachable') continue;
      const reason = got.kind === 'forged' ? got.reason : got.kind === 'list' ? 'its signed list does not name it' : `it serves ${market.slug}'s pages but is not in its signed mirror list`;
      await this.#markPhishing(host, got.captureId, reason);
    }
    const allowed = [...new Set([...market.allowed_hosts.filter((h) => !this.#phishing.has(h)), ...this.#trusted])];
    await db.updateTable('crawl_markets').set({ allowed_hosts: allowed }).where('market_id', '=', market.id).execute();
    const scope = urlScope({ ...market, allowed_hosts: allowed });
    ctx.inScope = (url: string) => scope(url) && this.route(url) === url;
  }

  /** GET the mirrors page of an onion (passing the front only on a host allowed cookies) and check it. */
  async #fetchList(host: string, mayPassFront: boolean, pinned: string): Promise<
    | { kind: 'unreachable' }
    | { kind: 'none'; captureId: number }
    | { kind: 'forged'; captureId: number; reason: string }
    | { kind: 'list'; captureId: number; check: Extract<ListCheck, { ok: true }> }
  > {
    const ctx = this.#ctx;
    const url = `http://${host}${ctx.market.mirrors_path}`;
    let r;
    try {
      r = await this.#get(url);
      for (let i = 0; mayPassFront && i < 3 && frontPage({ url, res: r.res }); i++) {
        await ctx.front.pass({ url, res: r.res, fetchedAt: new Date() });
        r = await this.#get(url);
      }
    } catch (err) {
      if (err instanceof FetchError && err.kind !== 'proxy-unavailable') return { kind: 'unreachable' };
      if (err instanceof FetchError) throw new StopCrawl('proxy-unavailable', err.message);
      throw err;
    }
    const page = scanDefences(r.res.body, url).page;
    if (page?.kind !== 'mirror-list') return { kind: 'none', captureId: r.capture.captureId };
    const check = await checkMirrorList(page.signed, pinned);
    if (!check.ok) return { kind: 'forged', captureId: r.capture.captureId, reason: check.reason };
    return { kind: 'list', captureId: r.capture.captureId, check };
  }

  async #get(url: string) {
    const page = await this.#ctx.fetcher.fetch(url);
    return { res: page.res, capture: await this.#ctx.capture.record(page) };
  }

  async #event(kind: 'mirror_added' | 'mirror_removed' | 'phishing_clone', captureId: number | null, detail: string): Promise<void> {
    const { db, market } = this.#ctx;
    await db.insertInto('market_events').values({ agency_id: market.agency_id, tlp: market.tlp, market_id: market.id, kind, observed_at: new Date(), capture_id: captureId, detail }).execute();
  }

  async #setOnion(onion: string, status: OnionStatus, detail: string): Promise<OnionStatus | undefined> {
    const { db, market } = this.#ctx;
    const before = await db.selectFrom('market_onions').select('status').where('market_id', '=', market.id).where('onion', '=', onion).executeTakeFirst();
    if (before) await db.updateTable('market_onions').set({ status, detail, last_seen: new Date() }).where('market_id', '=', market.id).where('onion', '=', onion).execute();
    else await db.insertInto('market_onions').values({ market_id: market.id, onion, status, detail }).execute();
    return before?.status;
  }

  async #markPhishing(host: string, captureId: number, reason: string): Promise<void> {
    this.#phishing.add(host);
    this.#trusted.delete(host);
    const before = await this.#setOnion(host, 'phishing', reason.slice(0, 500));
    if (before !== 'phishing') await this.#event('phishing_clone', captureId, `${host}: ${reason}`.slice(0, 1000));
  }

  async #recordList(check: Extract<ListCheck, { ok: true }>, from: string, captureId: number, previous: string[] | undefined): Promise<void> {
    const { db, market } = this.#ctx;
    const same = previous && previous.length === check.onions.length && previous.every((o) => check.onions.includes(o));
    const had = await db.selectFrom('mirror_lists').select('id').where('market_id', '=', market.id).where('signed_at', '=', check.signedAt).executeTakeFirst();
    if (!had) await db.insertInto('mirror_lists').values({ market_id: market.id, fetched_from: from, capture_id: captureId, signed_at: check.signedAt, signer_fingerprint: check.fingerprint, onions: check.onions }).execute();
    if (same) return;
    const signed = check.signedAt.toISOString().slice(0, 10);
    for (const o of check.onions) {
      const before = await this.#setOnion(o, 'listed', `in the list signed ${signed}`);
      if (before !== 'listed' && previous) await this.#event('mirror_added', captureId, `${o} added to the signed mirror list of ${signed}`);
    }
    for (const o of previous ?? []) {
      if (check.onions.includes(o)) continue;
      await this.#setOnion(o, 'delisted', `not in the list signed ${signed}`);
      await this.#event('mirror_removed', captureId, `${o} dropped from the signed mirror list of ${signed}`);
    }
  }
}
