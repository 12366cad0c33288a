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

function caseShape(word: string): string {
  if (word.length < 2 || !/\p{L}/u.test(word)) return '';
  if (word === word.toUpperCase()) return 'U';
  if (word === word.toLowerCase()) return 'l';
  if (word[0] === word[0]?.toUpperCase()) return 'T';
  return 'm';
}

/** Raw feature strings of one text (with repetition: counts become term frequencies). */
export function styleTokens(text: string, kind: 'profile' | 'title' | 'body' | 'post'): string[] {
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

/** Interns feature strings to dense integer ids. */
export class FeatureSpace {
  readonly #ids = new Map<string, number>();
  id(f: string): number {
    let i = this.#ids.get(f);
    if (i === undefined) {
      i = this.#ids.size;
      this.#ids.set(f, i);
    }
    return i;
  }
  get size(): number {
    return this.#ids.size;
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
