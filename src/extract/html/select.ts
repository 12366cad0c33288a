import { compile, selectAll } from 'css-select';
import type { AnyNode, Element } from 'domhandler';

type Compiled = ReturnType<typeof compile<AnyNode, Element>>;

const cache = new Map<string, Compiled>();

/** Compiles a CSS selector once (css-select; throws on a bad selector). Adapters reuse a few dozen selectors. */
export function compileSelector(selector: string): Compiled {
  let q = cache.get(selector);
  if (!q) {
    q = compile<AnyNode, Element>(selector, { xmlMode: false });
    if (cache.size > 2000) cache.clear();
    cache.set(selector, q);
  }
  return q;
}

/** Elements below `root` (descendants, not root itself) matching `selector`, in document order. */
export function selectIn(root: AnyNode, selector: string): Element[] {
  return selectAll<AnyNode, Element>(compileSelector(selector), root);
}
