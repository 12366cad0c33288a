import type { AnyNode, Element } from 'domhandler';
import { findPrices } from '../adapter/transforms.ts';
import { rawTextOf } from '../html/text.ts';

/** A set of sibling elements with the same tag and classes: the shape of listing rows, tiles and feedback rows. */
export interface RepeatedGroup {
  parent: Element;
  members: Element[];
  signature: string;
  /** Share of members with a price, with a link, with a rating. */
  priceShare: number;
  linkShare: number;
  ratingShare: number;
  /** Share of members with a date ("3 days ago", "2019-10-01"): feedback rows carry one, listing tiles rarely. */
  dateShare: number;
}

const ROW_DATE_RE = /\b(?:\d+\s+(?:second|minute|hour|day|week|month|year)s?\s+ago|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})\b/i;

const MAX_GROUPS = 400;
const MEMBER_TEXT = 4000;
export const RATING_RE = /(?:^|[\s([])(?:[0-5](?:[.,]\d{1,2})?\s*\/\s*(?:5|10)|[★☆]{3,5}|\b(?:positive|negative|neutral)\b|\d(?:\.\d)?\s*stars?)/i;

const ROWISH_RE = /product|listing|item|offer|feedback|review|rating|comment|row|entry/i;

export function isElement(n: AnyNode): n is Element {
  return n.type === 'tag';
}

function signature(el: Element): string {
  const cls = (el.attribs.class ?? '').split(/\s+/).filter(Boolean).sort().join('.');
  return cls ? `${el.name}.${cls}` : el.name;
}

export function hasLink(el: Element): boolean {
  const stack: AnyNode[] = [el];
  let seen = 0;
  while (stack.length > 0 && seen++ < 2000) {
    const n = stack.pop()!;
    if (!isElement(n)) continue;
    if (n.name === 'a' && n.attribs.href) return true;
    for (const c of n.children) stack.push(c);
  }
  return false;
}

/** Every group of ≥ `minSize` same-signature siblings, with how listing-like and feedback-like it is. */
export function findRepeatedGroups(root: AnyNode, minSize = 3): RepeatedGroup[] {
  const groups: RepeatedGroup[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length > 0 && groups.length < MAX_GROUPS) {
    const node = stack.pop()!;
    const children = 'children' in node ? (node.children as AnyNode[]) : [];
    const bySig = new Map<string, Element[]>();
    for (const c of children) {
      if (!isElement(c)) continue;
      if (c.name === 'script' || c.name === 'style' || c.name === 'option' || c.name === 'head') continue;
      stack.push(c);
      const sig = signature(c);
      let list = bySig.get(sig);
      if (!list) bySig.set(sig, (list = []));
      list.push(c);
    }
    if (!isElement(node) && node.type !== 'root') continue;
    for (const [sig, members] of bySig) {
      if (['br', 'img', 'input', 'i', 'hr', 'b', 'strong', 'span', 'td', 'th'].includes(members[0]!.name)) continue;
      // Small groups only count when their markup says they are rows (a vendor with one listing, one feedback).
      if (members.length < minSize && !(members[0]!.name === 'tr' || members[0]!.name === 'li' || ROWISH_RE.test(sig))) continue;
      let price = 0;
      let link = 0;
      let rating = 0;
      let dated = 0;
      for (const m of members) {
        const text = rawTextOf(m, MEMBER_TEXT);
        if (findPrices(text, 1).length > 0) price++;
        if (hasLink(m)) link++;
        if (RATING_RE.test(text)) rating++;
        if (ROW_DATE_RE.test(text)) dated++;
      }
      groups.push({
        parent: node as Element,
        members,
        signature: sig,
        priceShare: price / members.length,
        linkShare: link / members.length,
        ratingShare: rating / members.length,
        dateShare: dated / members.length,
      });
    }
  }
  return groups;
}

/** The most listing-like group: most members that carry both a price and a link. */
export function bestListingGroup(groups: RepeatedGroup[]): RepeatedGroup | null {
  let best: RepeatedGroup | null = null;
  let bestScore = 0;
  for (const g of groups) {
    if (g.priceShare < 0.6 || g.linkShare < 0.6) continue;
    // Rows that carry a rating and a date are feedback (buyers quote what they paid), never listings.
    if (isFeedbackLike(g)) continue;
    if (g.members.length < 3 && !ROWISH_RE.test(g.signature.split('.').slice(1).join('.'))) continue;
    const score = g.members.length * Math.min(g.priceShare, g.linkShare);
    if (score > bestScore) {
      best = g;
      bestScore = score;
    }
  }
  return best;
}

export function isFeedbackLike(g: RepeatedGroup): boolean {
  return (g.ratingShare >= 0.6 && g.dateShare >= 0.6) || (g.ratingShare >= 0.6 && inContext(g.parent, /feedback|review|comment|rating/i, 3));
}

/** The most feedback-like group: rows with a rating and little price content (or rating and date). */
export function bestFeedbackGroup(groups: RepeatedGroup[], exclude: RepeatedGroup | null): RepeatedGroup | null {
  let best: RepeatedGroup | null = null;
  let bestScore = 0;
  for (const g of groups) {
    if (g === exclude || g.ratingShare < 0.6 || (g.priceShare > 0.5 && !isFeedbackLike(g))) continue;
    if (g.members.length < 3 && !inContext(g.parent, /feedback|review|comment/i, 4)) continue;
    const score = g.members.length * g.ratingShare;
    if (score > bestScore) {
      best = g;
      bestScore = score;
    }
  }
  return best;
}

/** True when the element or one of its `levels` ancestors has a class or id matching `re`. */
export function inContext(el: Element, re: RegExp, levels: number): boolean {
  let cur: Element | null = el;
  for (let i = 0; i <= levels && cur; i++) {
    if (re.test(`${cur.attribs?.class ?? ''} ${cur.attribs?.id ?? ''}`)) return true;
    cur = cur.parent && isElement(cur.parent) ? cur.parent : null;
  }
  return false;
}
