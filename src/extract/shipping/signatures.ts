/**
 * Packaging and shipping signatures: how a vendor says parcels look and travel ("double vacuum sealed", "MBB",
 * "DHL tracked", "letter post"). Postal operators screen parcels by exactly these traits, so the postal feed
 * carries them. Pure text patterns over listing descriptions, vendor profiles and messages.
 */
export type ShippingTraitKind = 'packaging' | 'carrier' | 'service';

export interface ShippingTrait {
  kind: ShippingTraitKind;
  /** Stable key, e.g. "vacuum-sealed", "dhl", "tracked". */
  term: string;
  /** The words that matched, as written (trimmed to 80 characters). */
  evidence: string;
}

interface TraitPattern {
  kind: ShippingTraitKind;
  term: string;
  pattern: RegExp;
}

const b = (body: string, flags = 'giu') => new RegExp(`(?<![\\p{L}\\p{N}])(?:${body})(?![\\p{L}\\p{N}])`, flags);

const PATTERNS: readonly TraitPattern[] = [
  { kind: 'packaging', term: 'vacuum-sealed', pattern: b('(?:double|triple|2x|3x)?\\s*vac(?:uum)?[\\s-]*seal(?:ed|er)?(?:\\s*x\\s*[23])?') },
  { kind: 'packaging', term: 'mylar-barrier-bag', pattern: b('mylar(?:\\s+(?:barrier\\s+)?bags?)?|mbb|barrier\\s+bags?') },
  { kind: 'packaging', term: 'smell-proof', pattern: b('smell[\\s-]*proof|odou?r[\\s-]*proof') },
  { kind: 'packaging', term: 'heat-sealed', pattern: b('heat[\\s-]*seal(?:ed)?') },
  { kind: 'packaging', term: 'decoy', pattern: b('decoys?(?:\\s+(?:items?|packaging|letters?))?') },
  { kind: 'packaging', term: 'letter-envelope', pattern: b('(?:business|padded|bubble)\\s+envelopes?|letter\\s*(?:post|box|mail)?|jiffy\\s+bags?|flat\\s+(?:letter|envelope)') },
  { kind: 'packaging', term: 'disc-case', pattern: b('(?:dvd|cd)\\s+(?:cases?|stealth)') },
  { kind: 'packaging', term: 'blister-pack', pattern: b('blister(?:\\s+packs?)?') },
  { kind: 'carrier', term: 'dhl', pattern: b('dhl') },
  { kind: 'carrier', term: 'dpd', pattern: b('dpd') },
  // upper case only: "ups and downs"
  { kind: 'carrier', term: 'ups', pattern: b('UPS', 'gu') },
  { kind: 'carrier', term: 'fedex', pattern: b('fed\\s*ex') },
  { kind: 'carrier', term: 'gls', pattern: b('gls') },
  { kind: 'carrier', term: 'postnl', pattern: b('post\\s*nl') },
  { kind: 'carrier', term: 'royal-mail', pattern: b('royal\\s*mail') },
  { kind: 'carrier', term: 'deutsche-post', pattern: b('deutsche\\s*post') },
  { kind: 'carrier', term: 'usps', pattern: b('usps') },
  { kind: 'carrier', term: 'postnord', pattern: b('post\\s*nord') },
  { kind: 'carrier', term: 'la-poste', pattern: b('la\\s*poste|colissimo') },
  { kind: 'carrier', term: 'bpost', pattern: b('bpost') },
  { kind: 'carrier', term: 'correos', pattern: b('correos') },
  { kind: 'service', term: 'tracked', pattern: b('tracked|tracking(?:\\s+(?:number|code|included))?|track\\s*&\\s*trace') },
  { kind: 'service', term: 'signed-for', pattern: b('signed(?:\\s+for)?|signature\\s+(?:required|on\\s+delivery)') },
  { kind: 'service', term: 'first-class', pattern: b('1st\\s+class|first[\\s-]+class') },
  { kind: 'service', term: 'next-day', pattern: b('next[\\s-]+day(?:\\s+delivery)?|ships?\\s+(?:within\\s+)?24\\s*h(?:ours)?') },
  { kind: 'service', term: 'express', pattern: b('express(?:\\s+(?:shipping|delivery|post))?|priority\\s+mail') },
  { kind: 'service', term: 'registered-mail', pattern: b('registered\\s+(?:mail|post|letter)') },
  { kind: 'service', term: 'stealth', pattern: b('stealth') },
];

/** Every packaging and shipping trait in `text`, once per term, in the order of the table above. */
export function shippingSignatures(text: string): ShippingTrait[] {
  const out: ShippingTrait[] = [];
  if (!text) return out;
  for (const p of PATTERNS) {
    p.pattern.lastIndex = 0;
    const m = p.pattern.exec(text);
    if (m) out.push({ kind: p.kind, term: p.term, evidence: m[0].trim().slice(0, 80) });
  }
  return out;
}

/** The traits of several texts (one vendor's profile and listings), each term once, with how many texts show it. */
export function shippingProfile(texts: Iterable<string>): Array<ShippingTrait & { texts: number }> {
  const byTerm = new Map<string, ShippingTrait & { texts: number }>();
  for (const t of texts) {
    for (const s of shippingSignatures(t)) {
      const seen = byTerm.get(`${s.kind}:${s.term}`);
      if (seen) seen.texts++;
      else byTerm.set(`${s.kind}:${s.term}`, { ...s, texts: 1 });
    }
  }
  return [...byTerm.values()].sort((x, y) => y.texts - x.texts || x.kind.localeCompare(y.kind) || x.term.localeCompare(y.term));
}
