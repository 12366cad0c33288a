// Classification against a market's own categories: every listing of the Agora fixture pages (listing pages and
// category rows) whose Agora category names a substance class, classified from its title alone, compared with the
// class the category says. Categories that do not name one substance class (Drugs/Other, Jewelry, Data…) are
// left out: there the market's category is not a reliable label.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extractPage } from '../adapter/run.ts';
import { agoraAdapter } from '../adapters/agora.ts';
import { classifyListing } from '../classify/index.ts';
import { DEFAULT_AGORA_FIXTURES } from './agora-fixtures.ts';

/** Agora category path segments → the substance class they name (first match from the leaf up). */
const AGORA_CLASSES: Record<string, string> = {
  cannabis: 'cannabis', weed: 'cannabis', hash: 'cannabis', concentrates: 'cannabis', edibles: 'cannabis', seeds: 'cannabis',
  stimulants: 'stimulant', cocaine: 'stimulant', meth: 'stimulant', speed: 'stimulant', prescription: 'prescription',
  opioids: 'opioid', heroin: 'opioid', opiates: 'opioid', psychedelics: 'psychedelic', lsd: 'psychedelic', mescaline: 'psychedelic',
  dmt: 'psychedelic', mushrooms: 'psychedelic', salvia: 'psychedelic', ecstasy: 'empathogen', mdma: 'empathogen', mda: 'empathogen',
  pills: 'empathogen', benzos: 'benzodiazepine', dissociatives: 'dissociative', ketamine: 'dissociative', steroids: 'steroid', rcs: 'nps',
};

export interface ClassifyAgreement {
  dir: string;
  /** Listings whose category names a class. */
  listings: number;
  agree: number;
  agreement: number;
  byClass: { cls: string; n: number; agree: number }[];
  disagreements: { title: string; category: string; expected: string; got: string }[];
}

export function classOfAgoraCategory(path: string[]): string | null {
  if (path[0]?.toLowerCase() !== 'drugs') return null;
  // A catch-all leaf ("Ecstasy/Other": ethylone, a cathinone, sits there) does not name a class reliably.
  if (path.length > 1 && path.at(-1)!.toLowerCase() === 'other') return null;
  for (const seg of [...path].reverse()) {
    const c = AGORA_CLASSES[seg.toLowerCase()];
    if (c) return c;
  }
  return null;
}

export function evaluateAgoraClassification(dir = DEFAULT_AGORA_FIXTURES): ClassifyAgreement | null {
  if (!existsSync(dir)) return null;
  const seen = new Map<string, { title: string; category: string[] }>();
  for (const sub of ['p', 'cat']) {
    if (!existsSync(`${dir}/${sub}`)) continue;
    for (const f of readdirSync(`${dir}/${sub}`).sort()) {
      const r = extractPage(agoraAdapter, { url: `http://agorahooawayyfoe.onion/${sub}/${f}`, html: readFileSync(`${dir}/${sub}/${f}`), capturedAt: '2014-04-06T12:00:00Z', captureDigest: `sha256:${sub}/${f}` });
      for (const l of r.listings) {
        const key = l.externalId ?? l.title ?? '';
        if (l.title && l.category.length > 0 && !seen.has(key)) seen.set(key, { title: l.title, category: l.category });
      }
    }
  }
  const byClass = new Map<string, { n: number; agree: number }>();
  const disagreements: ClassifyAgreement['disagreements'] = [];
  let n = 0;
  let agree = 0;
  for (const { title, category } of seen.values()) {
    const expected = classOfAgoraCategory(category);
    if (!expected) continue;
    const got = classifyListing(title).substanceClass;
    const ok = got === expected;
    n++;
    if (ok) agree++;
    else disagreements.push({ title, category: category.join('/'), expected, got });
    const c = byClass.get(expected) ?? { n: 0, agree: 0 };
    c.n++;
    if (ok) c.agree++;
    byClass.set(expected, c);
  }
  return {
    dir,
    listings: n,
    agree,
    agreement: n ? agree / n : 0,
    byClass: [...byClass].map(([cls, c]) => ({ cls, ...c })).sort((a, b) => b.n - a.n),
    disagreements,
  };
}
