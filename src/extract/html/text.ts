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
  const out: string[] = [];
  let size = 0;
  // Stack of nodes to visit, with shared "after this element" markers (one of three constants: no allocation per element).
  const stack: (AnyNode | AfterMarker)[] = [root];
  while (stack.length > 0 && size < maxChars) {
    const item = stack.pop()!;
    if (item === AFTER_BLOCK || item === AFTER_CELL || item === AFTER_INLINE) {
      out.push(item.after);
      size += item.after.length;
      continue;
    }
    const node = item as AnyNode;
    if (node.type === 'text') {
      const data = (node as { data: string }).data;
      out.push(data);
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
      out.push('\n');
      size++;
      continue;
    }
    const block = BLOCK.has(name);
    const cell = CELL.has(name);
    if (block) out.push('\n');
    stack.push(block ? AFTER_BLOCK : cell ? AFTER_CELL : AFTER_INLINE);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  const text = out.join('');
  return text.length > maxChars ? text.slice(0, maxChars) : text;
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

/** Collapses all whitespace (including newlines and NBSP) to single spaces, trimmed. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u00a0\u200b]+/g, ' ').trim();
}

/** Keeps line structure: trims each line, collapses runs of spaces, at most one blank line in a row. */
export function normaliseLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/[ \t\f\v\u00a0\u200b]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
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
