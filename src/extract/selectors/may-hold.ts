/**
 * A cheap test that a text cannot hold a selector, so extractSelectorsDetailed skips its full scan: most texts of a
 * dump import are short plain sentences ("hello, when will you ship?"), in which the scan text, the PGP search and
 * seventeen scanner regexes find nothing. It is true wherever any scanner could find a candidate, so a text it is
 * false for gives no selector, no PGP error and no truncation:
 * - characters toScanText would change or drop (`<` and `&` of HTML, NBSP, soft hyphen, zero-width characters): with
 *   none of them the scan text is the input itself, on which the rest is tested;
 * - `@` or `＠` (e-mail, Jabber, `@handle`), or an obfuscated at after `[`, `(` or `{` (`<` is above);
 * - 16 letters or digits in a row: base58 and Monero addresses, 0x + 40 hex (Ethereum), 40-hex fingerprints, Session
 *   ids and onion labels are all longer;
 * - a phone candidate (needs a digit) or a spaced fingerprint (four hex digits, then a space): the scanners' own regexes;
 * - a bech32 prefix (`bc1`, `tb1`, `bcrt1`, `ltc1`; `tltc1` and `rltc1` contain `ltc1`), the words every label-based
 *   scanner needs (`t.me`, `telegra…`, `telega`, `tg`, `wickr`, `signal`, `threema`) and `pgp` (`BEGIN PGP`), in any
 *   case (the scanners' label regexes are case-insensitive).
 */
import { FINGERPRINT } from './scan-fingerprint.ts';
import { PHONE_CANDIDATE } from './scan-phone.ts';

const OBFUSCATED_AT = /[[({]\s{0,2}(?:at|@)/i;
const PHONE = new RegExp(PHONE_CANDIDATE.source);
const SPACED_FINGERPRINT = new RegExp(FINGERPRINT.source);
const WORDS = /bc1|tb1|bcrt1|ltc1|t\.me|telegra|telega|tg|wickr|signal|threema|pgp/i;

/** `<`, `&`, `@`, `＠`, and what toScanText replaces or drops (NBSP, soft hyphen, zero-width characters). */
const isSpecial = (c: number) => c === 60 || c === 38 || c === 64 || c === 0xff20 || c === 0xa0 || c === 0xad || (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff;

/** False only when `text` cannot hold a selector (see above); true does not mean it holds one. */
export function mayHoldSelector(text: string): boolean {
  let run = 0; // letters and digits in a row
  let hex = 0; // hex digits in a row
  let digit = false;
  let bracket = false;
  let hexThenSpace = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run >= 16) return true;
      digit = true;
      hex++;
      continue;
    }
    const lower = c | 0x20; // ASCII letters only land in a–z
    if (lower >= 97 && lower <= 122) {
      if (++run >= 16) return true;
      hex = lower <= 102 ? hex + 1 : 0;
      continue;
    }
    run = 0;
    if (c === 32) hexThenSpace ||= hex >= 4;
    else if (c === 40 || c === 91 || c === 123) bracket = true;
    else if (isSpecial(c)) return true;
    hex = 0;
  }
  return (bracket && OBFUSCATED_AT.test(text)) || (digit && PHONE.test(text)) || (hexThenSpace && SPACED_FINGERPRINT.test(text)) || WORDS.test(text);
}
