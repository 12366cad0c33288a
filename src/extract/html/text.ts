import type { AnyNode, Element } from 'domhandler';

/** Elements whose content is never text for a reader: code and styling are never interpreted nor extracted. */
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'head', 'iframe', 'object', 'svg', 'math']);
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre',
  'section', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'ul', 'option', 'select', 'textarea', 'title',
]);
const CELL = new Set(['td', 'th']);

export const DEFAULT_MAX_TEXT_CHARS = 1 << 20;

function isElement(node: AnyNode): node is Element {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

interface AfterMarker {
  readonly after: string;
}
const AFTER_BLOCK: AfterMarker = Object.freeze({ after: '\n' });
const AFTER_CELL: AfterMarker = Object.freeze({ after: ' ' });
const AFTER_INLINE: AfterMarker = Object.freeze({ after: '' });

/**
 * The visible text of a node, iteratively (no recursion, so any DOM depth is safe). `<br>` and block
 * boundaries become newlines, table cells are separated by a space; `<script>`/`<style>` content is skipped.
 * Stops after `maxChars` characters.
 */
export function rawTextOf(root: AnyNode, maxChars = DEFAULT_MAX_TEXT_CHARS): string {
  const only = onlyTextChild(root);
  if (only !== undefined) return textOfLeaf(root as Element, only, maxChars);
  // Built by `+=` (V8's rope strings, flattened once by the first reader), not pushed to an array and joined: the
  // page's text is read ~1.7x faster (docs/benchmarks.md, "Extraction, twelfth pass").
  let out = '';
  let size = 0;
  // Stack of nodes to visit, with shared "after this element" markers (one of three constants: no allocation per element).
  const stack: (AnyNode | AfterMarker)[] = [root];
  while (stack.length > 0 && size < maxChars) {
    const item = stack.pop()!;
    if (item === AFTER_BLOCK || item === AFTER_CELL || item === AFTER_INLINE) {
      out += item.after;
      size += item.after.length;
      continue;
    }
    const node = item as AnyNode;
    if (node.type === 'text') {
      const data = (node as { data: string }).data;
      out += data;
      size += data.length;
      continue;
    }
    if (node.type === 'cdata' || node.type === 'root') {
      const children = (node as { children: AnyNode[] }).children;
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
      continue;
    }
    if (!isElement(node)) continue;
    const name = node.name;
    if (HIDDEN.has(name) || node.type === 'script' || node.type === 'style') continue;
    if (name === 'br') {
      out += '\n';
      size++;
      continue;
    }
    const block = BLOCK.has(name);
    const cell = CELL.has(name);
    if (block) out += '\n';
    stack.push(block ? AFTER_BLOCK : cell ? AFTER_CELL : AFTER_INLINE);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out.length > maxChars ? out.slice(0, maxChars) : out;
}

/** The data of a visible element's one child when that child is a text node (most table cells and links). */
function onlyTextChild(node: AnyNode): string | undefined {
  if (!isElement(node) || node.children.length !== 1 || node.type !== 'tag' || node.name === 'br' || HIDDEN.has(node.name)) return undefined;
  const child = node.children[0]!;
  return child.type === 'text' ? (child as { data: string }).data : undefined;
}

/** What the walk of `rawTextOf` gives for such an element: its block newline, the text, its after-marker. */
function textOfLeaf(el: Element, data: string, maxChars: number): string {
  const block = BLOCK.has(el.name);
  const after = data.length >= maxChars ? '' : block ? '\n' : CELL.has(el.name) ? ' ' : '';
  const text = block ? `\n${data}${after}` : after === '' ? data : data + after;
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}

/** Whitespace as `\s` and `String.prototype.trim` read it (WhiteSpace and LineTerminator). */
function isTrimSpace(c: number): boolean {
  return c <= 32
    ? c === 32 || (c >= 9 && c <= 13)
    : c >= 0xa0 &&
        (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff);
}

/** The characters collapseWhitespace collapses: `[\s\u00a0\u200b]`. */
function isCollapsedSpace(c: number): boolean {
  return isTrimSpace(c) || c === 0x200b;
}

const COLLAPSED_SPACES = /[\s\u00a0\u200b]+/g;

/**
 * Collapses all whitespace (including newlines and NBSP) to single spaces, trimmed: `text.replace(/[\s\u00a0\u200b]+/g,
 * ' ').trim()`, with the ends skipped by char code and the regex run only on an inside holding a run to collapse (most
 * cell and link texts hold none: they come back as a slice).
 */
export function collapseWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isCollapsedSpace(text.charCodeAt(start))) start++;
  while (end > start && isCollapsedSpace(text.charCodeAt(end - 1))) end--;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (isCollapsedSpace(c) && (c !== 32 || isCollapsedSpace(text.charCodeAt(k + 1)))) return text.slice(start, end).replace(COLLAPSED_SPACES, ' ');
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** The characters a line's runs of are collapsed to one space: `[ \t\f\v\u00a0\u200b]`. */
function isLineSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 12 || c === 11 || c === 0xa0 || c === 0x200b;
}

const LINE_SPACES = /[ \t\f\v\u00a0\u200b]+/g;

/**
 * Keeps line structure: trims each line, collapses runs of spaces, at most one blank line in a row. That is
 * `text.split(/\r?\n/).map((l) => l.replace(/[ \t\f\v\u00a0\u200b]+/g, ' ').trim()).join('\n').replace(/\n{3,}/g,
 * '\n\n').trim()`, in one pass: a line's ends (whitespace, or the spaces replaced, then trimmed) are skipped by char
 * code, its inside kept as it is unless it holds a run to collapse, and the lines left joined by one newline, or two
 * where blank lines stood between them (a `\r` before a `\n` is a line end trim removes).
 */
export function normaliseLines(text: string): string {
  let out = '';
  let blank = false;
  const n = text.length;
  let i = 0;
  while (i <= n) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = n;
    let start = i;
    let end = j;
    while (start < end && isCollapsedSpace(text.charCodeAt(start))) start++;
    while (end > start && isCollapsedSpace(text.charCodeAt(end - 1))) end--;
    if (start === end) {
      blank = true;
    } else {
      let line = text.slice(start, end);
      for (let k = start; k < end; k++) {
        const c = text.charCodeAt(k);
        if (isLineSpace(c) && (c !== 32 || isLineSpace(text.charCodeAt(k + 1)))) {
          line = line.replace(LINE_SPACES, ' ');
          break;
        }
      }
      out = out === '' ? line : out + (blank ? '\n\n' : '\n') + line;
      blank = false;
    }
    i = j + 1;
  }
  return out;
}

/** Visible text collapsed to one line. */
export function textOf(node: AnyNode, maxChars?: number): string {
  return collapseWhitespace(rawTextOf(node, maxChars));
}

/** Visible text with line breaks kept (descriptions, profiles, PGP blocks). */
export function linesOf(node: AnyNode, maxChars?: number): string {
  return normaliseLines(rawTextOf(node, maxChars));
}

/** Text of the node's own text children only (not descendants). */
export function ownTextOf(node: AnyNode): string {
  if (!('children' in node)) return node.type === 'text' ? collapseWhitespace((node as { data: string }).data) : '';
  return collapseWhitespace(
    (node.children as AnyNode[])
      .filter((c) => c.type === 'text')
      .map((c) => (c as { data: string }).data)
      .join(' '),
  );
}
