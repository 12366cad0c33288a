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

export interface StyleOptions {
  /** Features kept per account (the heaviest by TF-IDF). */
  keep?: number;
  /** Features in more than this share of accounts carry no identity (dropped). */
  maxDfShare?: number;
}

/**
 * TF-IDF vectors for all accounts at once. `counts[i]` are account i's raw feature counts. Features seen in a
 * single account cannot link anything and are dropped.
 */
export function tfidf(counts: Array<Map<number, number>>, featureCount: number, opts: StyleOptions = {}):
  { vectors: StyleVector[]; df: Int32Array } {
  const keep = opts.keep ?? 200;
  const maxDf = Math.max(2, Math.floor(counts.length * (opts.maxDfShare ?? 0.25)));
  const df = new Int32Array(featureCount);
  for (const c of counts) for (const f of c.keys()) df[f] = (df[f] as number) + 1;
  const n = counts.length;
  const vectors = counts.map((c) => {
    const items: Array<[number, number]> = [];
    for (const [f, tf] of c) {
      const d = df[f] as number;
      if (d < 2 || d > maxDf) continue;
      items.push([f, (1 + Math.log(tf)) * Math.log(n / d)]);
    }
    items.sort((a, b) => b[1] - a[1]);
    const top = items.slice(0, keep).sort((a, b) => a[0] - b[0]);
    let norm = 0;
    for (const [, w] of top) norm += w * w;
    norm = Math.sqrt(norm) || 1;
    return { ids: Int32Array.from(top.map((t) => t[0])), w: Float32Array.from(top.map((t) => t[1] / norm)) };
  });
  return { vectors, df };
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
