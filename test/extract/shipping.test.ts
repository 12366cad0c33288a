import { describe, expect, it } from 'vitest';
import { shippingProfile, shippingSignatures } from '../../src/extract/index.ts';

const terms = (text: string) => shippingSignatures(text).map((s) => `${s.kind}:${s.term}`);

describe('packaging and shipping signatures', () => {
  it('reads the traits vendors advertise', () => {
    expect(terms('Tracked & signed, always double vacuum sealed x3')).toEqual(['packaging:vacuum-sealed', 'service:tracked', 'service:signed-for']);
    expect(terms('Stealth: MBB + decoy')).toEqual(['packaging:mylar-barrier-bag', 'packaging:decoy', 'service:stealth']);
    expect(terms('First class post, DVD stealth')).toEqual(['packaging:disc-case', 'service:first-class', 'service:stealth']);
    expect(terms('Ships via Royal Mail 1st class, letterbox friendly')).toEqual(['packaging:letter-envelope', 'carrier:royal-mail', 'service:first-class']);
    expect(terms('Verzending met PostNL of DHL, smell-proof en heat sealed')).toEqual(['packaging:smell-proof', 'packaging:heat-sealed', 'carrier:dhl', 'carrier:postnl']);
    expect(terms('We ship within 24h, UPS express')).toEqual(['carrier:ups', 'service:next-day', 'service:express']);
    expect(terms('Ship via registered mail only')).toEqual(['service:registered-mail']);
  });

  it('does not read traits inside other words or in ordinary English', () => {
    expect(terms('ups and downs of the market; untrackedness; the newsletter; resealable; shipped')).toEqual([]);
    expect(terms('')).toEqual([]);
    expect(shippingSignatures('vacuum sealed')[0]).toEqual({ kind: 'packaging', term: 'vacuum-sealed', evidence: 'vacuum sealed' });
  });

  it('profiles a vendor across texts, most frequent trait first (ties by kind, then term)', () => {
    const p = shippingProfile(['vacuum sealed, tracked', 'Vac-sealed x2', 'DHL tracked', 'no shipping words']);
    expect(p.map((t) => [t.term, t.texts])).toEqual([['vacuum-sealed', 2], ['tracked', 2], ['dhl', 1]]);
  });
});
