// The structure of a captured page as inert data, for the console's induction screen: every element (tag, id,
// classes, a short piece of its own text) with a stable CSS path from the document root. Built from the same bounded
// parse the adapter runtime and induction use (loadPage), so a path picked here names the same element when
// `induceAdapter` reads a `{css}` label. Nothing of the page is kept that could run: no attributes but id and class,
// no script or style content, text only.
import type { AnyNode, Element } from 'domhandler';
import { isLoadedPage, loadPage, type LoadedPage } from '../adapter/run.ts';
import { selectIn } from '../html/select.ts';
import { collapseWhitespace, ownTextOf, rawTextOf } from '../html/text.ts';
import type { PageInput } from '../types.ts';

export interface StructureNode {
  /** CSS path from the document root: `html > body > div:nth-of-type(2) > h2:nth-of-type(1)`. */
  path: string;
  depth: number;
  tag: string;
  id: string | null;
  classes: string[];
  /** The element's own text (not its children's), collapsed, at most TEXT_CHARS characters. */
  text: string;
  /** Child elements (shown as their own nodes, unless the tree was cut). */
  children: number;
}

export interface PageStructure {
  nodes: StructureNode[];
  /** Elements in the page (as parsed) and whether the tree was cut at MAX_NODES. */
  elements: number;
  truncated: boolean;
  warnings: string[];
}

export const STRUCTURE_MAX_NODES = 4000;
const TEXT_CHARS = 120;
/** Elements whose content is never shown (code, styles, embedded documents). Their tag is kept so the tree is true. */
const OPAQUE = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed', 'svg', 'math']);
const HIDDEN = new Set(['head']);

function isEl(n: AnyNode): n is Element {
  return n.type === 'tag' || n.type === 'script' || n.type === 'style';
}

const ATTR_MAX = 80;
const clean = (s: string) => collapseWhitespace(s).slice(0, ATTR_MAX);

export class StructureError extends Error {}

function loaded(input: PageInput): LoadedPage {
  const p = loadPage(input, 'structure');
  if (!isLoadedPage(p)) throw new StructureError(p.errors.map((e) => e.message).join('; ') || 'page cannot be read');
  return p;
}

/** The inert element tree of a page (pre-order, with depth), at most `maxNodes` elements. */
export function pageStructure(input: PageInput, maxNodes = STRUCTURE_MAX_NODES): PageStructure {
  const page = loaded(input);
  const nodes: StructureNode[] = [];
  let truncated = false;
  const walk = (parent: AnyNode, parentPath: string, depth: number) => {
    const kids = ((parent as { children?: AnyNode[] }).children ?? []).filter(isEl);
    const seen = new Map<string, number>();
    for (const e of kids) {
      const n = (seen.get(e.name) ?? 0) + 1;
      seen.set(e.name, n);
      if (HIDDEN.has(e.name)) continue;
      if (nodes.length >= maxNodes) {
        truncated = true;
        return;
      }
      const step = e.name === 'html' || e.name === 'body' ? e.name : `${e.name}:nth-of-type(${n})`;
      const path = parentPath ? `${parentPath} > ${step}` : step;
      const opaque = OPAQUE.has(e.name);
      const children = opaque ? 0 : e.children.filter(isEl).length;
      nodes.push({
        path,
        depth,
        tag: e.name,
        id: e.attribs.id ? clean(e.attribs.id) : null,
        classes: (e.attribs.class ?? '').split(/\s+/).filter(Boolean).slice(0, 8).map(clean),
        text: opaque ? '' : clean(ownTextOf(e)).slice(0, TEXT_CHARS),
        children,
      });
      if (!opaque) walk(e, path, depth + 1);
    }
  };
  walk(page.root, '', 0);
  return { nodes, elements: page.stats.elements, truncated, warnings: page.warnings.map((w) => w.message) };
}

/**
 * Checks clicked paths against a page: every path must name an element. Returns the elements' paths unchanged, or
 * the first path that names nothing. `common` joins two clicks (a price and, elsewhere, its currency) into the
 * path of their nearest common ancestor.
 */
export function resolvePaths(input: PageInput, paths: string[]): { missing: string | null; common: (a: string, b: string) => string | null; texts: (p: string) => { own: string; all: string } | null } {
  const page = loaded(input);
  const find = (p: string): Element | null => {
    try {
      return selectIn(page.root, p)[0] ?? null;
    } catch {
      return null;
    }
  };
  const missing = paths.find((p) => find(p) === null) ?? null;
  return {
    missing,
    texts: (p) => {
      const e = find(p);
      if (!e) return null;
      // The first piece of text the element itself holds ("JoyInc" in "JoyInc <a>(680) (4.96)</a> ( )").
      const first = e.children.find((c) => c.type === 'text' && collapseWhitespace((c as unknown as { data: string }).data) !== '') as unknown as { data: string } | undefined;
      return { own: first ? collapseWhitespace(first.data) : '', all: collapseWhitespace(rawTextOf(e)) };
    },
    common: (a, b) => {
      if (!find(a) || !find(b)) return null;
      // The shared ancestor's path: the longest common prefix of the two paths, step by step.
      const sa = a.split(' > ');
      const sb = b.split(' > ');
      const steps: string[] = [];
      for (let i = 0; i < Math.min(sa.length, sb.length) && sa[i] === sb[i]; i++) steps.push(sa[i]!);
      return steps.length > 0 ? steps.join(' > ') : null;
    },
  };
}
