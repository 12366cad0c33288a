// Issue 13 §5: classification agreement with Agora's own categories, measured on the Agora fixture pages (the same
// computation as `darkpatrol eval classify`).
import { describe, expect, it } from 'vitest';
import { classOfAgoraCategory, evaluateAgoraClassification } from '../../src/extract/index.ts';
import { fixtureDir } from '../helpers/fixtures.ts';

describe("classification vs Agora's categories", () => {
  it('maps category paths to the class they name, leaving catch-alls and non-drug categories out', () => {
    expect(classOfAgoraCategory(['Drugs', 'Cannabis', 'Weed'])).toBe('cannabis');
    expect(classOfAgoraCategory(['Drugs', 'Psychedelics', 'Mescaline'])).toBe('psychedelic');
    expect(classOfAgoraCategory(['Drugs', 'Ecstasy', 'Other'])).toBeNull();
    expect(classOfAgoraCategory(['Jewelry'])).toBeNull();
  });

  it('agrees on ≥ 95% of the fixture listings whose category names a class', () => {
    const r = evaluateAgoraClassification(fixtureDir('agora-2014-04-06'));
    expect(r).not.toBeNull();
    console.log(`classification agreement ${r!.agree}/${r!.listings}`, r!.disagreements);
    expect(r!.listings).toBeGreaterThanOrEqual(40);
    expect(r!.agreement).toBeGreaterThanOrEqual(0.95);
  });
});
