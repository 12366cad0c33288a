import { Parser } from 'htmlparser2';
import { DomHandler, Element, type ChildNode, type Document } from 'domhandler';

/** Limits applied while building the DOM, so hostile pages cost bounded memory and time. */
export interface DomLimits {
  /** Elements nested deeper than this are flattened into their ancestor at the limit (text is kept). */
  maxDepth: number;
  /** Elements beyond this count are dropped (their text is kept in the enclosing element). */
  maxElements: number;
  /** Attribute values longer than this are truncated. */
  maxAttributeChars: number;
}

export const DEFAULT_DOM_LIMITS: DomLimits = { maxDepth: 256, maxElements: 50_000, maxAttributeChars: 16_384 };

export interface BoundedDom {
  document: Document;
  elements: number;
  maxDepthSeen: number;
  droppedForDepth: number;
  droppedForCount: number;
  truncatedAttributes: number;
}

/**
 * A DomHandler that refuses to grow the tree past the limits. htmlparser2 emits balanced open/close events, so
 * skipping an open also skips its matching close; everything inside lands in the nearest kept ancestor.
 */
class BoundedHandler extends DomHandler {
  depth = 0;
  skipped = 0;
  elements = 0;
  maxDepthSeen = 0;
  droppedForDepth = 0;
  droppedForCount = 0;
  truncatedAttributes = 0;

  constructor(private readonly limits: DomLimits) {
    super(null, { withStartIndices: false, withEndIndices: false });
  }

  override onopentag(name: string, attribs: { [key: string]: string }): void {
    if (this.skipped > 0 || this.depth >= this.limits.maxDepth || this.elements >= this.limits.maxElements) {
      if (this.skipped === 0) {
        if (this.depth >= this.limits.maxDepth) this.droppedForDepth++;
        else this.droppedForCount++;
      } else if (this.depth >= this.limits.maxDepth) {
        this.droppedForDepth++;
      } else {
        this.droppedForCount++;
      }
      this.skipped++;
      return;
    }
    for (const key in attribs) {
      const v = attribs[key]!;
      if (v.length > this.limits.maxAttributeChars) {
        attribs[key] = v.slice(0, this.limits.maxAttributeChars);
        this.truncatedAttributes++;
      }
    }
    this.elements++;
    this.depth++;
    if (this.depth > this.maxDepthSeen) this.maxDepthSeen = this.depth;
    super.onopentag(name, attribs);
  }

  override onclosetag(): void {
    if (this.skipped > 0) {
      this.skipped--;
      return;
    }
    if (this.depth > 0) this.depth--;
    super.onclosetag();
  }
}

/** The parts of htmlparser2's Parser we hook into (internal API, pinned version 10.1.0). */
interface ParserInternals {
  stack: string[];
  startIndex: number;
  endIndex: number;
  openTagStart: number;
  tagname: string;
  attribs: Record<string, string> | null;
  lowerCaseTagNames: boolean;
  getSlice(start: number, end: number): string;
  isVoidElement(name: string): boolean;
  emitOpenTag(name: string): void;
  onclosetag(start: number, endIndex: number): void;
}

/**
 * htmlparser2 keeps its open-element stack with unshift/indexOf, which is quadratic on 100,000-deep nesting.
 * We stop the stack from growing past the depth limit: deeper open tags are swallowed (their text still flows
 * into the deepest kept element) and their close tags are matched by name and swallowed too.
 * The two hooks are methods of a subclass (its prototype), not closures stored on each parser: own-property
 * overrides gave every parser its own shape and made the whole parse ~1.5× slower than htmlparser2's own.
 */
class BoundedParser extends Parser {
  readonly maxDepth: number;
  readonly droppedByName = new Map<string, number>();
  dropped = 0;

  constructor(handler: DomHandler, maxDepth: number) {
    super(handler, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
    this.maxDepth = maxDepth;
  }
}

type BoundedInternals = ParserInternals & { maxDepth: number; droppedByName: Map<string, number>; dropped: number };
const parserBase = Parser.prototype as unknown as ParserInternals;
const boundedProto = BoundedParser.prototype as unknown as ParserInternals;
boundedProto.emitOpenTag = function (this: BoundedInternals, name: string): void {
  if (this.stack.length >= this.maxDepth && !this.isVoidElement(name)) {
    this.openTagStart = this.startIndex;
    this.tagname = name;
    this.attribs = null;
    this.droppedByName.set(name, (this.droppedByName.get(name) ?? 0) + 1);
    this.dropped++;
    return;
  }
  parserBase.emitOpenTag.call(this, name);
};
boundedProto.onclosetag = function (this: BoundedInternals, start: number, endIndex: number): void {
  if (this.droppedByName.size > 0) {
    let name = this.getSlice(start, endIndex);
    if (this.lowerCaseTagNames) name = name.toLowerCase();
    const n = this.droppedByName.get(name);
    if (n !== undefined) {
      if (n <= 1) this.droppedByName.delete(name);
      else this.droppedByName.set(name, n - 1);
      this.endIndex = endIndex;
      this.startIndex = endIndex + 1;
      return;
    }
  }
  parserBase.onclosetag.call(this, start, endIndex);
};

/**
 * css-select (through cheerio) is quadratic in the number of top-level nodes of the document; real pages have a
 * handful (doctype, <html>), hostile ones can have hundreds of thousands. Put those under one wrapper element.
 */
function wrapCrowdedRoot(root: Document): void {
  if (root.children.length <= 64) return;
  const children = root.children as ChildNode[];
  const wrapper = new Element('div', { 'data-darkpatrol-root': '' }, children);
  for (const c of children) c.parent = wrapper;
  wrapper.parent = root;
  wrapper.prev = null;
  wrapper.next = null;
  root.children = [wrapper];
}

/** Parses HTML with htmlparser2 (no scripts run, entities decoded, raw-text elements kept as text). */
export function parseBoundedDom(html: string, limits: DomLimits = DEFAULT_DOM_LIMITS): BoundedDom {
  const handler = new BoundedHandler(limits);
  const parser = new BoundedParser(handler, limits.maxDepth);
  parser.end(html);
  wrapCrowdedRoot(handler.root);
  return {
    document: handler.root,
    elements: handler.elements,
    maxDepthSeen: handler.maxDepthSeen,
    droppedForDepth: handler.droppedForDepth + parser.dropped,
    droppedForCount: handler.droppedForCount,
    truncatedAttributes: handler.truncatedAttributes,
  };
}
