/**
 * Stylometry, compactly: each account's texts (profile, listing titles and descriptions, posts) become a sparse
 * TF-IDF vector over word unigrams and bigrams plus habit tokens — how sentences end ('!!', '...', ' :)'), which
 * emojis follow them, list bullets, letter case, title layout, greeting and sign-off lines. Similar habits give
 * a high cosine. Vectors are truncated to their heaviest features so 40,000 accounts stay in memory.
 */

export interface StyleVector {
  /** Feature ids, ascending. */
  ids: Int32Array;
  /** L2-normalised weights, aligned with ids. */
  w: Float32Array;
}

const WORD = /[\p{L}\p{N}']+/gu;
const EMOJI = /\p{Extended_Pictographic}|[:;]-?[)D(P]|<3|xD/gu;
const LINE_END = /([^\p{L}\p{N}\s]*)\s*(\p{Extended_Pictographic}|:\)|:D|;\)|<3|xD)?\s*$/u;

function caseShape(word: string): string {
  if (word.length < 2 || !/\p{L}/u.test(word)) return '';
  if (word === word.toUpperCase()) return 'U';
  if (word === word.toLowerCase()) return 'l';
  if (word[0] === word[0]?.toUpperCase()) return 'T';
  return 'm';
}

/** caseShape without regular expressions or new strings for ASCII words (the same answer; others take caseShape). */
function fastCaseShape(word: string): string {
  const n = word.length;
  if (n < 2) return '';
  let upper = false;
  let lower = false;
  for (let k = 0; k < n; k++) {
    const c = word.charCodeAt(k);
    if (c >= 128) return caseShape(word);
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
  }
  if (!upper && !lower) return '';
  if (!lower) return 'U';
  if (!upper) return 'l';
  const c0 = word.charCodeAt(0);
  return c0 >= 97 && c0 <= 122 ? 'm' : 'T';
}

// Code point classes, as the regular expressions above see them: letter (\p{L}), number (\p{N}), white space (\s).
const C_L = 1;
const C_N = 2;
const C_S = 4;
const C_KNOWN = 8;
const classCache = new Uint8Array(0x110000);
const IS_L = /^\p{L}$/u;
const IS_N = /^\p{N}$/u;
const IS_S = /^\s$/u;
function cls(cp: number): number {
  if (cp < 128) {
    if ((cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90)) return C_L;
    if (cp >= 48 && cp <= 57) return C_N;
    return cp === 32 || (cp >= 9 && cp <= 13) ? C_S : 0;
  }
  let c = classCache[cp] as number;
  if (c === 0) {
    const s = String.fromCodePoint(cp);
    c = C_KNOWN | (IS_L.test(s) ? C_L : 0) | (IS_N.test(s) ? C_N : 0) | (IS_S.test(s) ? C_S : 0);
    classCache[cp] = c;
  }
  return c & 7;
}

/** The code point ending just before UTF-16 index i (i > 0), and its first index. */
function cpBefore(s: string, i: number): [number, number] {
  const lo = s.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = s.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return [((hi - 0xd800) << 10) + (lo - 0xdc00) + 0x10000, i - 2];
  }
  return [lo, i - 1];
}

/** The regular expression's answer: the symbols a line ends with, before any closing emoji, cut to 4 UTF-16 units. */
function lineEndPunctByRegex(line: string): string {
  return (LINE_END.exec(line)?.[1] ?? '').slice(0, 4);
}

/**
 * `lineEndPunctByRegex(line)` for a trimmed line, by one backward scan where the answer is certain; the cases it
 * cannot settle (symbols after white space, a line ending in a letter that can close an emoticon) take the regex.
 */
function lineEndPunct(line: string): string {
  let r = line.length;
  let before = -1;
  while (r > 0) {
    const [cp, at] = cpBefore(line, r);
    if (cls(cp) !== 0) { before = cp; break; }
    r = at;
  }
  // The whole line is symbols: the match starts at 0 and its first group takes all of it.
  if (before === -1) return line.slice(0, 4);
  if (cls(before) & C_S) return lineEndPunctByRegex(line);
  // A letter or number before the trailing symbols: no earlier start can match (only the emoji alternative takes a
  // letter or number, and it would have to be followed by white space only), so the trailing symbols are the group.
  if (r < line.length) return line.slice(r, r + 4);
  // Ends in a letter or number: only the end of ':D', 'xD', '<3' or U+2139 (the one pictographic letter) can match it.
  if (before === 68 || before === 51 || before === 0x2139) return lineEndPunctByRegex(line);
  return '';
}

/** `/([\p{L}']+)[^\p{L}]*$/u.exec(line)[1]`: the run of letters and apostrophes holding the last letter (else the first apostrophes). */
function lastWordOf(line: string): string {
  let i = line.length;
  while (i > 0) {
    const [cp, at] = cpBefore(line, i);
    if (cls(cp) & C_L) {
      let start = at;
      while (start > 0) {
        const [p, pat] = cpBefore(line, start);
        if (p !== 39 && !(cls(p) & C_L)) break;
        start = pat;
      }
      let end = i;
      while (end < line.length) {
        const p = line.codePointAt(end) as number;
        if (p !== 39 && !(cls(p) & C_L)) break;
        end += p > 0xffff ? 2 : 1;
      }
      return line.slice(start, end);
    }
    i = at;
  }
  const q = line.indexOf("'");
  if (q < 0) return '';
  let end = q;
  while (end < line.length && line.charCodeAt(end) === 39) end++;
  return line.slice(q, end);
}

/** `/^([^\p{L}\p{N}\s]{1,3})\s/u.exec(line)?.[1]`: one to three symbols at the start followed by white space. */
function bulletOf(line: string): string | undefined {
  let i = 0;
  let n = 0;
  while (i < line.length && n < 4) {
    const cp = line.codePointAt(i) as number;
    const c = cls(cp);
    if (c !== 0) {
      if (n >= 1 && (c & C_S)) return line.slice(0, i);
      return undefined;
    }
    n++;
    i += cp > 0xffff ? 2 : 1;
  }
  return undefined;
}

/** Where tokens go: `tok` takes a feature string, `pair` a word bigram given as its two words (see tokenize). */
interface TokenSink {
  tok(f: string): void;
  /** The bigram "`a` `b`" of two words that were just given to `tok` (b last). */
  pair(a: string, b: string): void;
}

/**
 * The style tokens of one text, in order, into `sink`; returns the number of words (WORD matches) for non-title
 * texts (titles: 0, counted by the caller). One pass per line with hand-written scans for the line's end, last word,
 * bullet and case shapes; the regular expressions they replace decide the cases a scan cannot be sure of.
 */
function tokenize(text: string, kind: 'profile' | 'title' | 'body' | 'post', sink: TokenSink): number {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (kind === 'title') {
    for (const l of lines) sink.tok(`#tl:${l.replace(/\p{L}+/gu, 'a').replace(/\d+(\.\d+)?/g, '9')}`);
    for (const w of lines.join(' ').toLowerCase().match(WORD) ?? []) if (!/\d/.test(w)) sink.tok(w);
    return 0;
  }
  let count = 0;
  if (lines.length > 0 && kind !== 'post') {
    sink.tok(`#first:${(lines[0] as string).toLowerCase()}`);
    sink.tok(`#last:${(lines[lines.length - 1] as string).toLowerCase()}`);
  }
  for (const line of lines) {
    const bullet = bulletOf(line);
    if (bullet !== undefined) sink.tok(`#b:${bullet}`);
    const punct = lineEndPunct(line);
    const lastWord = lastWordOf(line).toLowerCase();
    sink.tok(`#end:${punct}`);
    if (lastWord) sink.tok(`#we:${lastWord}${punct}`);
    for (const e of line.match(EMOJI) ?? []) { sink.tok(`#e:${e}`); sink.tok(`#pe:${punct}${e}`); }
    const words = line.match(WORD) ?? [];
    count += words.length;
    let shapes = 0;
    let first = '';
    let nU = 0;
    let nT = 0;
    for (const raw of words) {
      const s = fastCaseShape(raw);
      if (s === '') continue;
      if (shapes === 0) first = s;
      shapes++;
      if (s === 'U') nU++;
      else if (s === 'T') nT++;
    }
    if (shapes > 0) sink.tok(`#c:${first}${nU > 1 ? 'U+' : ''}${nT > shapes / 2 ? 'T+' : ''}`);
    let prev = '';
    for (const raw of words) {
      const w = raw.toLowerCase();
      if (w.length > 30 || allDigits(w)) { prev = ''; continue; }
      sink.tok(w);
      if (prev) sink.pair(prev, w);
      prev = w;
    }
  }
  return count;
}

function allDigits(w: string): boolean {
  for (let k = 0; k < w.length; k++) {
    const c = w.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return w.length > 0;
}

/** Raw feature strings of one text (with repetition: counts become term frequencies). */
export function styleTokens(text: string, kind: 'profile' | 'title' | 'body' | 'post'): string[] {
  const out: string[] = [];
  tokenize(text, kind, { tok: (f) => { out.push(f); }, pair: (a, b) => { out.push(`${a} ${b}`); } });
  return out;
}

/**
 * Tokenises one text straight into feature ids of `space`, counted in `acc` (the ids and order styleTokens + space.id
 * would give, without building the token array or the bigram strings). Returns the text's word count (non-title).
 */
export function addStyleTokens(text: string, kind: 'profile' | 'title' | 'body' | 'post', space: FeatureSpace,
  acc: CountAccumulator): number {
  // tokenize calls pair(a, b) right after tok(b), and tok(a) was the call before that one.
  let before = -1;
  let last = -1;
  return tokenize(text, kind, {
    tok: (f) => { before = last; last = space.id(f); acc.add(last); },
    pair: () => { acc.add(space.pairId(before, last)); },
  });
}

/**
 * Interns feature strings to dense integer ids, in order of first sight. Word bigrams can be interned by the ids of
 * their two words (pairId) into an open-addressing table of typed arrays, without making the "a b" string: the id is
 * the one id("a b") would have had (a bigram's string, two words joined by a space, is no other token's).
 */
export class FeatureSpace {
  readonly #ids = new Map<string, number>();
  #size = 0;
  #pa = new Int32Array(1 << 16).fill(-1);
  #pb = new Int32Array(1 << 16);
  #pv = new Int32Array(1 << 16);
  #pairs = 0;
  id(f: string): number {
    let i = this.#ids.get(f);
    if (i === undefined) {
      i = this.#size++;
      this.#ids.set(f, i);
    }
    return i;
  }
  /** The id of the bigram of words with ids a and b (never also interned as a string through id). */
  pairId(a: number, b: number): number {
    let mask = this.#pa.length - 1;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const x = this.#pa[h] as number;
      if (x === -1) break;
      if (x === a && this.#pb[h] === b) return this.#pv[h] as number;
      h = (h + 1) & mask;
    }
    const v = this.#size++;
    this.#pa[h] = a;
    this.#pb[h] = b;
    this.#pv[h] = v;
    if (++this.#pairs * 2 > mask) {
      this.#grow();
      mask = this.#pa.length - 1;
    }
    return v;
  }
  #grow(): void {
    const [oa, ob, ov] = [this.#pa, this.#pb, this.#pv];
    const cap = oa.length * 2;
    const mask = cap - 1;
    this.#pa = new Int32Array(cap).fill(-1);
    this.#pb = new Int32Array(cap);
    this.#pv = new Int32Array(cap);
    for (let k = 0; k < oa.length; k++) {
      const a = oa[k] as number;
      if (a === -1) continue;
      const b = ob[k] as number;
      let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
      h = (h ^ (h >>> 15)) & mask;
      while (this.#pa[h] !== -1) h = (h + 1) & mask;
      this.#pa[h] = a;
      this.#pb[h] = b;
      this.#pv[h] = ov[k] as number;
    }
  }
  get size(): number {
    return this.#size;
  }
}

/** One account's raw feature counts: feature ids in order of first occurrence, and how often each occurred. */
export interface FeatureCounts {
  ids: Int32Array;
  tf: Int32Array;
}

/**
 * Counts one account's features at a time in a shared typed array (no Map per account), then hands them out as a
 * compact FeatureCounts. Ids keep their order of first occurrence (tf-idf breaks weight ties by it).
 */
export class CountAccumulator {
  #count = new Int32Array(1 << 16);
  #order: number[] = [];
  add(id: number): void {
    if (id >= this.#count.length) {
      const grown = new Int32Array(Math.max(id + 1, this.#count.length * 2));
      grown.set(this.#count);
      this.#count = grown;
    }
    const c = this.#count[id] as number;
    if (c === 0) this.#order.push(id);
    this.#count[id] = c + 1;
  }
  /** The counts added since the last take, and a reset for the next account. */
  take(): FeatureCounts {
    const ids = Int32Array.from(this.#order);
    const tf = new Int32Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      const f = ids[k] as number;
      tf[k] = this.#count[f] as number;
      this.#count[f] = 0;
    }
    this.#order.length = 0;
    return { ids, tf };
  }
}

export interface StyleOptions {
  /** Features kept per account (the heaviest by TF-IDF). */
  keep?: number;
  /** Features in more than this share of accounts carry no identity (dropped). */
  maxDfShare?: number;
}

function asCounts(c: Map<number, number> | FeatureCounts): FeatureCounts {
  if (!(c instanceof Map)) return c;
  return { ids: Int32Array.from(c.keys()), tf: Int32Array.from(c.values()) };
}

/**
 * TF-IDF vectors for all accounts at once. `counts[i]` are account i's raw feature counts (a Map in insertion order,
 * or FeatureCounts). Features seen in a single account cannot link anything and are dropped. Of the rest the `keep`
 * heaviest are kept (ties: the feature that occurred first in the account), L2-normalised, in id order.
 */
export function tfidf(counts: Array<Map<number, number> | FeatureCounts>, featureCount: number, opts: StyleOptions = {}):
  { vectors: StyleVector[]; df: Int32Array } {
  const keep = opts.keep ?? 200;
  const n = counts.length;
  const maxDf = Math.max(2, Math.floor(n * (opts.maxDfShare ?? 0.25)));
  const sparse = counts.map(asCounts);
  const df = new Int32Array(featureCount);
  let longest = 0;
  for (const c of sparse) {
    for (const f of c.ids) df[f] = (df[f] as number) + 1;
    longest = Math.max(longest, c.ids.length);
  }
  const fid = new Int32Array(longest);
  const wt = new Float64Array(longest);
  const vectors = sparse.map((c) => {
    let m = 0;
    for (let k = 0; k < c.ids.length; k++) {
      const f = c.ids[k] as number;
      const d = df[f] as number;
      if (d < 2 || d > maxDf) continue;
      fid[m] = f;
      wt[m] = (1 + Math.log(c.tf[k] as number)) * Math.log(n / d);
      m++;
    }
    const chosen = topByWeight(wt, m, keep).sort((x, y) => (fid[x] as number) - (fid[y] as number));
    let norm = 0;
    for (const k of chosen) norm += (wt[k] as number) * (wt[k] as number);
    norm = Math.sqrt(norm) || 1;
    const ids = new Int32Array(chosen.length);
    const w = new Float32Array(chosen.length);
    chosen.forEach((k, x) => { ids[x] = fid[k] as number; w[x] = (wt[k] as number) / norm; });
    return { ids, w };
  });
  return { vectors, df };
}

/**
 * Positions (in 0..m-1) of the `keep` largest weights, as a stable sort by weight (descending) would take them:
 * at the cut, equal weights are taken in position order. One native sort of the weights finds the cut.
 */
function topByWeight(wt: Float64Array, m: number, keep: number): number[] {
  const out: number[] = [];
  if (m <= keep) {
    for (let k = 0; k < m; k++) out.push(k);
    return out;
  }
  const sorted = wt.slice(0, m).sort();
  const cut = sorted[m - keep] as number;
  let above = 0;
  for (let k = m - 1; k > m - keep && (sorted[k] as number) > cut; k--) above++;
  // The weights above the cut are all taken, plus the first (keep - above) positions at the cut itself.
  let atCut = keep - above;
  for (let k = 0; k < m; k++) {
    const x = wt[k] as number;
    if (x > cut) out.push(k);
    else if (x === cut && atCut > 0) { out.push(k); atCut--; }
  }
  return out;
}

export function cosine(a: StyleVector, b: StyleVector): number {
  let i = 0;
  let j = 0;
  let s = 0;
  const ai = a.ids;
  const bi = b.ids;
  while (i < ai.length && j < bi.length) {
    const x = ai[i] as number;
    const y = bi[j] as number;
    if (x === y) { s += (a.w[i] as number) * (b.w[j] as number); i++; j++; }
    else if (x < y) i++;
    else j++;
  }
  return s;
}
