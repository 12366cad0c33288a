/**
 * Turns page text (HTML or plain) into the text the scanners read, keeping a map back to the input so
 * every selector reports its offset and raw slice in the original string.
 *
 * HTML: tags are dropped (block tags and `<br>` become a newline), `<script>`/`<style>` bodies and comments
 * are dropped, entities are decoded (numeric ones also without `;`, as browsers do). Always: zero-width
 * characters and soft hyphens are dropped (they are used to break up selectors), NBSP becomes a space.
 * One linear pass, no regex backtracking over the input.
 */

export interface ScanText {
  text: string;
  /** Offset in the input of the first source character of `text[i..j)`. */
  start(i: number): number;
  /** Offset in the input just past the last source character of `text[i..j)` (pass j). */
  end(j: number): number;
}

// Segment kinds: a copy run maps 1:1; a replacement maps all its output characters to one source span.
interface Seg {
  out: number;
  src: number;
  /** -1 for a copy run; otherwise the source length of the replaced span. */
  srcLen: number;
}

const BLOCK_TAGS = new Set([
  'br', 'p', 'div', 'li', 'ul', 'ol', 'tr', 'td', 'th', 'table', 'tbody', 'thead', 'pre', 'h1', 'h2', 'h3',
  'h4', 'h5', 'h6', 'blockquote', 'section', 'article', 'header', 'footer', 'hr', 'dd', 'dt', 'dl', 'form',
  'textarea', 'option', 'select', 'title', 'body', 'html', 'head', 'main', 'nav', 'aside', 'fieldset',
]);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', shy: '', zwsp: '', zwnj: '', zwj: '',
  copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–', laquo: '«', raquo: '»',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', euro: '€', pound: '£', yen: '¥', cent: '¢', middot: '·',
  bull: '•', deg: '°', times: '×', plusmn: '±', sect: '§', para: '¶', commat: '@', period: '.', colon: ':',
  lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', lbrack: '[', rbrack: ']', plus: '+', equals: '=', sol: '/',
  num: '#', dollar: '$', percnt: '%', excl: '!', quest: '?', semi: ';', comma: ',', lowbar: '_', hyphen: '-',
  dash: '-', ast: '*', verbar: '|', tilde: '˜', Hat: '^', grave: '`', NewLine: '\n', Tab: '\t',
};

const DROPPED = /[\u200B-\u200D\u2060\uFEFF\u00AD]/;

export interface ToScanTextOptions {
  /** Treat the input as HTML (strip tags, decode entities). `auto` looks for tags or entities. */
  html: boolean | 'auto';
}

export function looksLikeHtml(input: string): boolean {
  const head = input.length > 65536 ? input.slice(0, 65536) : input;
  return /<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|\/[a-zA-Z]|!--)/.test(head) || /&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/.test(head);
}

export function toScanText(input: string, opts: ToScanTextOptions): ScanText {
  const html = opts.html === 'auto' ? looksLikeHtml(input) : opts.html;
  const parts: string[] = [];
  const segs: Seg[] = [];
  let outLen = 0;
  let runStart = -1; // start (in input) of the current copy run

  const flushRun = (upTo: number): void => {
    if (runStart >= 0 && upTo > runStart) {
      segs.push({ out: outLen, src: runStart, srcLen: -1 });
      parts.push(input.slice(runStart, upTo));
      outLen += upTo - runStart;
    }
    runStart = -1;
  };
  const replace = (src: number, srcLen: number, out: string): void => {
    const prev = segs[segs.length - 1];
    // Runs of block tags ("<div><div>…") collapse into the newline already written: keeps deep nesting cheap.
    if (out === '\n' && prev && prev.srcLen >= 0 && prev.src + prev.srcLen === src && prev.out === outLen - 1 && parts[parts.length - 1] === '\n') {
      prev.srcLen += srcLen;
      return;
    }
    if (out.length > 0) {
      segs.push({ out: outLen, src, srcLen });
      parts.push(out);
      outLen += out.length;
    }
  };

  const n = input.length;
  const gt: GtCache = { from: -1, at: -1 };
  let i = 0;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (html && c === 60 /* < */) {
      const tag = readTag(input, i, gt);
      if (tag) {
        flushRun(i);
        if (tag.skipTo !== undefined) {
          i = tag.skipTo;
          replace(tag.start, i - tag.start, '\n');
          continue;
        }
        // Attribute values carry selectors too (href="http://….onion", mailto:, t.me links).
        for (const v of attributeValues(input, i, tag.end)) {
          replace(v.start, 0, '\n');
          if (v.text === undefined) {
            runStart = v.start;
            flushRun(v.end);
          } else {
            replace(v.start, v.end - v.start, v.text);
          }
          replace(v.end, 0, '\n');
        }
        replace(i, tag.end - i, tag.block ? '\n' : '');
        i = tag.end;
        continue;
      }
    } else if (html && c === 38 /* & */) {
      const ent = readEntity(input, i);
      if (ent) {
        flushRun(i);
        replace(i, ent.end - i, ent.text);
        i = ent.end;
        continue;
      }
    } else if (c === 0xa0) {
      flushRun(i);
      replace(i, 1, ' ');
      i++;
      continue;
    } else if (c === 0xad || (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff) {
      flushRun(i);
      i++;
      continue;
    }
    if (runStart < 0) runStart = i;
    i++;
  }
  flushRun(n);

  const text = parts.join('');
  const find = (pos: number): Seg | undefined => {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segs[mid] as Seg).out <= pos) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo];
  };
  return {
    text,
    start(pos: number): number {
      const s = find(pos);
      if (!s) return 0;
      return s.srcLen < 0 ? s.src + (pos - s.out) : s.src;
    },
    end(pos: number): number {
      if (pos <= 0) return 0;
      const s = find(pos - 1);
      if (!s) return 0;
      return s.srcLen < 0 ? s.src + (pos - s.out) : s.src + s.srcLen;
    },
  };
}

const SCANNED_ATTRS = /^(?:href|src|title|alt|value|content|action|placeholder|data-[\w-]+)$/i;
const ATTR = /\s([a-zA-Z_:][\w:.-]{0,40})\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>`=]+))/g;

/** Values of the attributes worth scanning; `text` is set when entities had to be decoded. */
function attributeValues(s: string, start: number, end: number): { start: number; end: number; text?: string }[] {
  const tag = s.slice(start, end);
  const out: { start: number; end: number; text?: string }[] = [];
  ATTR.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ATTR.exec(tag)) !== null) {
    if (!SCANNED_ATTRS.test(m[1] as string)) continue;
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    if (value.length === 0) continue;
    const vStart = start + m.index + m[0].length - value.length - (m[4] === undefined ? 1 : 0);
    const entry: { start: number; end: number; text?: string } = { start: vStart, end: vStart + value.length };
    if (value.includes('&')) entry.text = decodeEntitiesOnce(value);
    out.push(entry);
  }
  return out;
}

interface TagRead {
  start: number;
  end: number;
  block: boolean;
  /** For comments, script and style: where scanning resumes (their body is dropped). */
  skipTo?: number;
}

const MAX_TAG = 4096;

/** The next `>` after `from` (`at` = -1: none), so unclosed `<` runs stay linear. */
interface GtCache {
  from: number;
  at: number;
}

function nextGt(s: string, i: number, cache: GtCache): number {
  if (cache.from >= 0 && cache.from <= i && (cache.at < 0 || cache.at > i)) return cache.at;
  cache.from = i;
  cache.at = s.indexOf('>', i + 1);
  return cache.at;
}

function readTag(s: string, i: number, gtCache: GtCache): TagRead | undefined {
  if (s.startsWith('<!--', i)) {
    const close = s.indexOf('-->', i + 4);
    return { start: i, end: i, block: false, skipTo: close < 0 ? s.length : close + 3 };
  }
  const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9]{0,15})(?=[\s/>])/.exec(s.slice(i, i + 20)) ?? (s[i + 1] === '!' ? ['<!', '', '!'] : null);
  if (!m) return undefined;
  const gt = nextGt(s, i, gtCache);
  if (gt < 0 || gt - i > MAX_TAG) return undefined;
  const name = (m[2] ?? '').toLowerCase();
  const end = gt + 1;
  if ((name === 'script' || name === 'style') && m[1] === '') {
    const closeRe = name === 'script' ? /<\/script\s*>/gi : /<\/style\s*>/gi;
    closeRe.lastIndex = end;
    const close = closeRe.exec(s);
    return { start: i, end, block: true, skipTo: close ? close.index + close[0].length : s.length };
  }
  return { start: i, end, block: BLOCK_TAGS.has(name) };
}

function readEntity(s: string, i: number): { end: number; text: string } | undefined {
  const m = /^&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,9}));?/.exec(s.slice(i, i + 14));
  if (!m) return undefined;
  const hasSemi = m[0].endsWith(';');
  if (m[1] !== undefined || m[2] !== undefined) {
    const cp = m[1] !== undefined ? Number.parseInt(m[1], 10) : Number.parseInt(m[2] as string, 16);
    if (cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { end: i + m[0].length, text: '\uFFFD' };
    const ch = String.fromCodePoint(cp);
    return { end: i + m[0].length, text: DROPPED.test(ch) ? '' : ch === '\u00a0' ? ' ' : ch };
  }
  if (!hasSemi) return undefined;
  const named = NAMED_ENTITIES[m[3] as string];
  if (named === undefined) return undefined;
  return { end: i + m[0].length, text: named };
}

/** Decodes entities left in a string after one pass (double-encoded pages: `&amp;#86;`). */
export function decodeEntitiesOnce(s: string): string {
  if (!s.includes('&')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const amp = s.indexOf('&', i);
    if (amp < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, amp);
    const ent = readEntity(s, amp);
    if (ent) {
      out += ent.text;
      i = ent.end;
    } else {
      out += '&';
      i = amp + 1;
    }
  }
  return out;
}
