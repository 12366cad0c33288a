/**
 * mayHoldSelector, the shortcut before the selector scan: wherever it says a text cannot hold a selector, the full
 * scan (extractSelectorsFully) finds none, and extractSelectorsDetailed gives what the full scan gives on every text.
 * Checked on the labelled examples and on seeded random texts built from the pieces each scanner keys on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractSelectorsDetailed, type ExtractSelectorsOptions } from '../../src/extract/selectors/index.ts';
import { extractSelectorsFully } from '../../src/extract/selectors/extract.ts';
import { mayHoldSelector } from '../../src/extract/selectors/may-hold.ts';
import { generate, Rng } from './selectors-gen.ts';

const labelled = JSON.parse(readFileSync(new URL('../fixtures/selectors/labelled.json', import.meta.url), 'utf8')) as { examples: Array<{ text: string }> };
const OPTIONS: ExtractSelectorsOptions[] = [{}, { html: false }, { html: true }, { html: false, atHandlesAre: 'telegram' }];

// Pieces near each scanner's trigger, and plain words and punctuation around them.
const PIECES = [
  'hello', 'ship', 'order', 'face', 'dead', 'beef', 'added', 'cafe', 'at', 'AT', 'dot', 'tg', 'Tg', 'signal', 'pgp', 'PGP',
  'BEGIN PGP PUBLIC KEY BLOCK', 'bc1', 'ltc1', 'tb1', 't.me/', 'telegram', 'wickr me', 'threema', 'fingerprint', 'phone:',
  'whatsapp', 'jabber', 'xmpp:', '.onion', '0x', '@', '＠', '&amp;', '&#64;', '<b>', '</p>', '\u00a0', '\u200b', '\u00ad',
  // Triggers split by characters the scan text drops or replaces (zero-width, soft hyphen, NBSP).
  'si\u200bgnal', 'te\u2060legram', 'wic\ufeffkr', 'thre\u200cema', 'p\u00adgp', 'b\u200dc1', '06\u2060123\u200b45678', '+31\u00a06',
  '#', '+', '+31', '00', '(', ')', '[', ']', '{', '}', '-', '.', ',', ':', '/', ' ', ' ', ' ', '  ', '\n', '\t', 'é', 'ß', '€',
];
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const HEX = '0123456789abcdefABCDEF';

function randomText(rng: Rng): string {
  const run = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[rng.int(alphabet.length)]).join('');
  let t = '';
  for (let n = 1 + rng.int(14); n > 0; n--) {
    const r = rng.int(10);
    if (r < 5) t += rng.pick(PIECES);
    else if (r === 5) t += run('0123456789', 1 + rng.int(12));
    else if (r === 6) t += run(B58, 8 + rng.int(30));
    else if (r === 7) t += Array.from({ length: 1 + rng.int(11) }, () => run(HEX, 4)).join(rng.pick([' ', '  ', '\u00a0', '']));
    else if (r === 8) t += generate(rng, rng.pick(['btc_address', 'ltc_address', 'eth_address', 'xmr_address', 'onion', 'session'] as const)).text;
    else t += run('0123456789 .-()', 3 + rng.int(14));
  }
  return t;
}

describe('mayHoldSelector', () => {
  it('is true for every labelled example, and the shortcut changes no result', async () => {
    for (const { text } of labelled.examples) {
      for (const o of OPTIONS) expect(await extractSelectorsDetailed(text, o)).toEqual(await extractSelectorsFully(text, o));
    }
    expect(labelled.examples.filter((e) => !mayHoldSelector(e.text)).length).toBeLessThan(labelled.examples.length);
  });

  it('plain sentences of a dump are skipped', () => {
    for (const t of ['hello, when will you ship?', 'Order #00000031\nhi, just placed an order, address is encrypted', 'came quick, strong stuff', '10/10', 'A+++ stealth was perfect']) {
      expect(mayHoldSelector(t)).toBe(false);
    }
  });

  it('every piece a scanner keys on makes it true', () => {
    for (const t of ['a@b', 'x [at] y', 'x ( @ ) y', 'x{at}y', '<b>', 'a&amp;b', 'a\u00a0b', 'a\u200bb', 'a\u200cb', 'a\u200db', 'a\u2060b', 'a\ufeffb', 'a\u00adb', 'a＠b', 'aaaaaaaaaaaaaaaa', 'bc1q', 'LTC1q',
      'call +31 6 1234 5678', 'ABCD EF01 2345 6789 ABCD EF01 2345 6789 ABCD EF01', 't.me/x', 'Telegram: x', 'tg @x', 'wickr x', 'signal x.12', 'threema X', '-----BEGIN PGP']) {
      expect(mayHoldSelector(t), t).toBe(true);
    }
  });

  it('on seeded random texts: where it is false the full scan finds nothing, and results never differ', async () => {
    const rng = new Rng(16);
    let skipped = 0;
    let found = 0;
    for (let i = 0; i < 6000; i++) {
      const text = randomText(rng);
      const o = OPTIONS[i % OPTIONS.length]!;
      const full = await extractSelectorsFully(text, o);
      if (full.selectors.length > 0) found++;
      if (!mayHoldSelector(text)) {
        skipped++;
        expect({ text, ...full }).toEqual({ text, selectors: [], errors: [], truncated: false });
      }
      expect(await extractSelectorsDetailed(text, o)).toEqual(full);
    }
    // Both sides are exercised: texts skipped and texts with selectors.
    expect(skipped).toBeGreaterThan(300);
    expect(found).toBeGreaterThan(300);
  });
});
