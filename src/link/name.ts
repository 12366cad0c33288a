// Handle similarity robust to leetspeak, case, separators, numbers and decorations: `Dr.Gr33n_UK` ~ `drgreen`.
import { distance } from 'fastest-levenshtein';

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i', '|': 'l' };
/** Words vendors bolt onto a name without changing who they are. */
const PREFIXES = ['the', 'dr', 'mr', 'mrs', 'real', 'its', 'official', 'original', 'og'];
const SUFFIXES = ['official', 'shop', 'store', 'team', 'vendor', 'uk', 'eu', 'usa', 'us', 'nl', 'de', 'au', 'ca', 'fr', 'es'];

export interface NameKeys {
  /** Every letter after leet mapping, decorations kept: `drgreenuk`. */
  full: string;
  /** Decorations (whole tokens) stripped: `green`. */
  core: string;
}

/** Splits a handle into lower-case tokens at separators, case changes and letter/digit boundaries. */
function tokens(handle: string): string[] {
  return handle.normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9@$!|]+/)
    .filter((t) => t.length > 0);
}

function deleet(token: string): string {
  // Trailing digits are numbers (FrostyWolf420), digits between letters are leet (gr33n).
  const t = token.replace(/\d+$/, '');
  let out = '';
  for (const ch of t) out += LEET[ch] ?? ch;
  return out.replace(/[^a-z]/g, '');
}

export function nameKeys(handle: string): NameKeys {
  const toks = tokens(handle).map(deleet).filter((t) => t.length > 0);
  const full = toks.join('');
  let core = toks.slice();
  while (core.length > 1 && PREFIXES.includes(core[0] as string)) core = core.slice(1);
  while (core.length > 1 && SUFFIXES.includes(core[core.length - 1] as string)) core = core.slice(0, -1);
  let c = core.join('');
  // A glued decoration (`drgreen`, `greenuk`) is stripped only when a real name remains.
  for (const p of PREFIXES) if (c.startsWith(p) && c.length - p.length >= 5) { c = c.slice(p.length); break; }
  for (const s of SUFFIXES) if (c.endsWith(s) && c.length - s.length >= 5) { c = c.slice(0, -s.length); break; }
  return { full, core: c || full };
}

function ratio(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  return 1 - distance(a, b) / Math.max(a.length, b.length);
}

/** 0..1: 1 for the same name under leet/case/decoration, high for near-misses (a letter changed or added). */
export function nameSimilarity(a: NameKeys, b: NameKeys): number {
  if (a.core.length > 0 && a.core === b.core) return 1;
  let s = Math.max(ratio(a.core, b.core), ratio(a.full, b.full));
  const [short, long] = a.core.length <= b.core.length ? [a.core, b.core] : [b.core, a.core];
  if (short.length >= 5 && long.includes(short)) s = Math.max(s, 0.85);
  return s;
}
