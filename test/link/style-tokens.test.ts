import { describe, expect, it } from 'vitest';
import { addStyleTokens, CountAccumulator, FeatureSpace, styleText, styleTokens } from '../../src/link/index.ts';

/**
 * The tokeniser as it was written with regular expressions (before the one-pass scans in style.ts). The scans must
 * give exactly its tokens, in its order: every style vector, candidate pair and link depends on them.
 */
function referenceTokens(text: string, kind: 'profile' | 'title' | 'body' | 'post'): string[] {
  const WORD = /[\p{L}\p{N}']+/gu;
  const EMOJI = /\p{Extended_Pictographic}|[:;]-?[)D(P]|<3|xD/gu;
  const caseShape = (word: string): string => {
    if (word.length < 2 || !/\p{L}/u.test(word)) return '';
    if (word === word.toUpperCase()) return 'U';
    if (word === word.toLowerCase()) return 'l';
    if (word[0] === word[0]?.toUpperCase()) return 'T';
    return 'm';
  };
  const out: string[] = [];
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (kind === 'title') {
    for (const l of lines) out.push(`#tl:${l.replace(/\p{L}+/gu, 'a').replace(/\d+(\.\d+)?/g, '9')}`);
    for (const w of lines.join(' ').toLowerCase().match(WORD) ?? []) if (!/\d/.test(w)) out.push(w);
    return out;
  }
  if (lines.length > 0 && kind !== 'post') {
    out.push(`#first:${(lines[0] as string).toLowerCase()}`);
    out.push(`#last:${(lines[lines.length - 1] as string).toLowerCase()}`);
  }
  for (const line of lines) {
    const bullet = /^([^\p{L}\p{N}\s]{1,3})\s/u.exec(line);
    if (bullet) out.push(`#b:${bullet[1]}`);
    const end = /([^\p{L}\p{N}\s]*)\s*(\p{Extended_Pictographic}|:\)|:D|;\)|<3|xD)?\s*$/u.exec(line);
    const lastWord = /([\p{L}']+)[^\p{L}]*$/u.exec(line)?.[1]?.toLowerCase() ?? '';
    const punct = (end?.[1] ?? '').slice(0, 4);
    out.push(`#end:${punct}`);
    if (lastWord) out.push(`#we:${lastWord}${punct}`);
    for (const e of line.match(EMOJI) ?? []) out.push(`#e:${e}`, `#pe:${punct}${e}`);
    const words = line.match(WORD) ?? [];
    const shapes = words.map(caseShape).filter((s) => s !== '');
    if (shapes.length > 0) out.push(`#c:${shapes[0]}${shapes.filter((s) => s === 'U').length > 1 ? 'U+' : ''}${shapes.filter((s) => s === 'T').length > shapes.length / 2 ? 'T+' : ''}`);
    let prev = '';
    for (const raw of words) {
      const w = raw.toLowerCase();
      if (/^\d+$/.test(w) || w.length > 30) { prev = ''; continue; }
      out.push(w);
      if (prev) out.push(`${prev} ${w}`);
      prev = w;
    }
  }
  return out;
}

const KINDS = ['profile', 'title', 'body', 'post'] as const;

/** Lines that once made the scans and the regular expressions disagree, and their neighbours. */
const TRICKY = [
  // Symbol runs after white space, and emoji / surrogate pairs at the end (the 4-unit cut splits a pair).
  'Z👍🏽\t~.1🔥 ;👍🏽',
  ',* +É٣P\ude00P"#<,02(0 👍🏽=',
  '٣=B-*"#x, )?👍🏽!',
  '\ude00/😀+\u3000\u3000 _Dİ~0🔥\'#ℹPz )👍🏽🔥',
  '2Z\r3 : ?\r!:_/<',
  '10\ud83d\'#3?\u3000\t_•👍🏽(  \n,*=ß',
  'ÉⅫ*~\ude00٣\u3000#*~•😀',
  '<!P<3 ;,Ω"0!  *►?-\ude00## \ud83d\ud83d\ud83d_\ude00 ',
  'Ships next day!! 🔥', 'Ships next day!!🔥', 'Ships next day 🔥!!', 'ships fast :)', 'ships fast :D', 'ships fast xD',
  'ships fast <3', 'love u<3', 'see u :-P', 'ok ;)', 'done ℹ', 'doneℹ', 'info ℹ️', 'fam 👨‍👩‍👧', 'thanks ❤️!!',
  'wow!!! 😀😀😀', '😀', '!!', '...', '👍🏽👍🏽', 'x', 'xD', ':D', '<3',
  // Bullets, case shapes, apostrophes, digits, astral letters and digits.
  '- item one', '•• two', '*** three', '**** four', '► five', '-no space', 'HELLO WORLD THERE', 'Hello World Foo bar',
  'iPhone McDonald eBay', "don't 'quoted' words'", "'''", "it's 4.5g for 20€", '𝐀𝐁𝐂 𝐚𝐛𝐜 𝟘𝟙 𐍈𐍈', 'İstanbul ǅemal ß',
  'a'.repeat(31) + ' short', '123 456 word 789 word',
  // Stray surrogates and unusual white space (the lines are trimmed by the same white space \s knows).
  '\ud83d', '\ude00 end', 'word\u2028next', 'a\u00a0b\u00a0!!', '\ufeffstart', 'tab\tend\t!',
  // Key material is removed before tokenising.
  '-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG v2\n\nmQENBFakeKeyMaterialAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PGP PUBLIC KEY BLOCK-----\nbye :)',
  'txid aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IHJ1bg== thanks!!', 'short QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo= run',
];

describe('style tokens', () => {
  it('are exactly the regular-expression tokeniser\'s, in order, on tricky lines', () => {
    const texts = [...TRICKY, TRICKY.join('\n'), TRICKY.slice(0, 8).join('\n\n')];
    for (const raw of texts) {
      const text = styleText(raw);
      for (const kind of KINDS) expect(styleTokens(text, kind), `${kind} ${JSON.stringify(text)}`).toEqual(referenceTokens(text, kind));
    }
  });

  it('intern to the ids and counts that interning the reference tokens gives, and count the same words', () => {
    const ref = new FeatureSpace();
    const fast = new FeatureSpace();
    const refAcc = new CountAccumulator();
    const fastAcc = new CountAccumulator();
    // Several "accounts" into one space: bigrams interned by word ids must get the ids their strings would have had.
    for (let round = 0; round < 3; round++) {
      for (const raw of TRICKY) {
        const text = styleText(raw);
        for (const kind of KINDS) {
          for (const t of referenceTokens(text, kind)) refAcc.add(ref.id(t));
          const words = addStyleTokens(text, kind, fast, fastAcc);
          expect(words).toBe(kind === 'title' ? 0 : [...text.matchAll(/[\p{L}\p{N}']+/gu)].length);
        }
        const a = refAcc.take();
        const b = fastAcc.take();
        expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
        expect(Array.from(b.tf)).toEqual(Array.from(a.tf));
      }
    }
    expect(fast.size).toBe(ref.size);
  });
});
