/**
 * Seizure banners: what a taken-down market shows instead of itself (FBI/Europol/BKA/Politie splash pages).
 * Shared by the crawler (which stops and records a seizure) and the extractor (page type `seized`).
 *
 * The wording alone is not enough: vendors write "if your order has been seized by law enforcement…" in their
 * profiles, and a crawl that took such a sentence for a banner would record the whole market as seized and stop.
 * A banner is recognised by where the words are and what the page is: in the page title, a heading or a banner
 * image's alt text, on a page that the banner dominates (little text, few links — the market is gone), or in
 * the dominant text of such a near-empty page. A sentence inside a full market page never counts.
 */
export const SEIZURE_WORDING_RE =
  /(this (hidden )?(site|service|domain|marketplace|website|market) has been seized|has been seized by|seized (as part of|by the|pursuant)|beschlagnahmt|in beslag genomen|operation (bayonet|disruptor|onymous|dark ?hunt|spector|speed ?bump)|law enforcement (action|operation) (against|has))/i;

/** What the banner rule reads from a page (both stages fill it from their own parse). */
export interface SeizureSignals {
  /** Text of the <title>. */
  title: string;
  /** Text of h1–h3 elements (joined). */
  headings: string;
  /** alt/title text of images (splash pages are often one image). */
  imageAlts: string;
  /** Visible text (may be truncated; `textLength` is the full length). */
  text: string;
  textLength: number;
  /** Number of links (<a href>) on the page. */
  links: number;
}

/** A page whose text and links are this small is "dominated" by what it says (a splash page, not a market page). */
const BANNER_PAGE_TEXT = 4000;
const BANNER_PAGE_LINKS = 25;
const SPLASH_TEXT = 2500;
const SPLASH_LINKS = 10;
const SPLASH_OPENING = 600;

/** Reads `text` and `textLength` only when the links and the banner places leave the answer open (the extractor
 * builds the page text on first read: a market page with its many links never needs it). */
export function isSeizureBanner(s: SeizureSignals): boolean {
  const inBannerPlace = SEIZURE_WORDING_RE.test(s.title) || SEIZURE_WORDING_RE.test(s.headings) || SEIZURE_WORDING_RE.test(s.imageAlts);
  const dominated = () => s.links <= BANNER_PAGE_LINKS && s.textLength <= BANNER_PAGE_TEXT;
  if (inBannerPlace && dominated()) return true;
  // The title *and* a heading both announcing the seizure: a banner laid over a page that kept some chrome.
  if (SEIZURE_WORDING_RE.test(s.title) && SEIZURE_WORDING_RE.test(s.headings) && s.links <= BANNER_PAGE_LINKS * 2) return true;
  // A near-empty page that opens by announcing the seizure (a splash without headings).
  if (s.links > SPLASH_LINKS || s.textLength > SPLASH_TEXT) return false;
  return SEIZURE_WORDING_RE.test(s.text.replace(/\s+/g, ' ').trim().slice(0, SPLASH_OPENING));
}
