// isSeizureBanner reads the page text only when links and banner places leave the answer open: the extractor
// builds the text on first read, so a market page with many links never pays for it.
import { describe, expect, it } from 'vitest';
import { isSeizureBanner, type SeizureSignals } from '../../src/domain/index.ts';

function signals(base: Omit<SeizureSignals, 'text' | 'textLength'>, text: string, reads: string[]): SeizureSignals {
  return {
    ...base,
    get text() {
      reads.push('text');
      return text;
    },
    get textLength() {
      reads.push('textLength');
      return text.replace(/\s+/g, ' ').trim().length;
    },
  };
}

describe('isSeizureBanner reads the page text only when it decides', () => {
  it('a page with many links and no wording in a banner place: no text read, not a banner', () => {
    const reads: string[] = [];
    expect(isSeizureBanner(signals({ title: 'Market', headings: 'Listings', imageAlts: '', links: 120 }, 'This site has been seized by the FBI', reads))).toBe(false);
    expect(reads).toEqual([]);
  });

  it('a splash page: text read, banner found as before', () => {
    const reads: string[] = [];
    expect(isSeizureBanner(signals({ title: '', headings: '', imageAlts: '', links: 2 }, 'This hidden site has been seized by the FBI', reads))).toBe(true);
    expect(reads).toContain('text');
    const banner: string[] = [];
    expect(isSeizureBanner(signals({ title: 'This site has been seized', headings: '', imageAlts: '', links: 3 }, 'short', banner))).toBe(true);
    expect(banner).toEqual(['textLength']);
  });
});
