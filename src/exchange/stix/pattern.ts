/** STIX patterning (STIX 2.1 §9): building equality patterns and reading them back out of partners' indicators. */
import { parseStixPattern, PatternSyntaxError, patternComparisons } from './pattern-grammar.ts';

/** Escape a string literal for a STIX pattern: backslash and single quote (STIX 2.1 §9.2). */
export function escapePatternString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

export interface Comparison {
  objectType: string;
  path: string;
  value: string;
}

/** `[type:path = 'v' AND type:path2 = 'w']` — comparisons on one observation are joined with AND. */
export function equalityPattern(comparisons: readonly Comparison[]): string {
  if (comparisons.length === 0) throw new Error('a pattern needs at least one comparison');
  return `[${comparisons.map((c) => `${c.objectType}:${c.path} = '${escapePatternString(c.value)}'`).join(' AND ')}]`;
}

/**
 * Every `object:path = 'string'` comparison of a pattern, in order, read from its syntax tree (pattern-grammar.ts).
 * A pattern that does not parse yields none. It reads comparisons, not the pattern's logic: an importer uses it to
 * find selectors, never to decide what a pattern matches (negated comparisons are left out).
 */
export function equalityComparisons(pattern: string): Comparison[] {
  let tree;
  try {
    tree = parseStixPattern(pattern);
  } catch (e) {
    if (e instanceof PatternSyntaxError) return [];
    throw e;
  }
  return patternComparisons(tree)
    .filter((c) => c.op === '=' && !c.negated && !Array.isArray(c.value) && c.value.kind === 'string')
    .map((c) => ({ objectType: c.objectType, path: c.path, value: (c.value as { value: string }).value }));
}
