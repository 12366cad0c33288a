/** STIX patterning (STIX 2.1 §9): building equality patterns and reading them back out of partners' indicators. */

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

/** Longest pattern read on import; STIX patterns worth reading are short. */
export const MAX_PATTERN_LENGTH = 16 * 1024;

// Linear-time: the string body alternates two disjoint classes.
const EQUALITY = /([a-z][a-z0-9-]*):([A-Za-z0-9_.*[\]-]+|[A-Za-z0-9_.*[\]-]*'[^']*'[A-Za-z0-9_.*[\]-]*)\s*=\s*'((?:[^'\\]|\\.)*)'/g;

/**
 * Every `object:path = 'string'` comparison in a pattern, in order. It reads comparisons, not the pattern's
 * logic: an importer uses it to find selectors, never to decide what a pattern matches.
 */
export function equalityComparisons(pattern: string): Comparison[] {
  if (pattern.length > MAX_PATTERN_LENGTH) return [];
  const out: Comparison[] = [];
  for (const m of pattern.matchAll(EQUALITY)) {
    out.push({ objectType: m[1]!, path: m[2]!, value: m[3]!.replace(/\\(.)/g, '$1') });
  }
  return out;
}
