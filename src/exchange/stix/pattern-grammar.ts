/**
 * The STIX 2.1 patterning language (STIX 2.1 §9; the OASIS ANTLR grammar STIXPattern.g4 of cti-pattern-validator),
 * as a tokenizer and a recursive-descent parser. It accepts exactly the grammar's sentences and answers a syntax tree
 * or a `PatternSyntaxError` naming the offset — an unterminated string, a missing bracket, a comparison without an
 * object path, a bad timestamp literal. On top of the grammar it applies the rule the OASIS validator adds: the
 * comparisons joined by AND inside one observation expression name one object type.
 *
 * Precedence (lowest first): FOLLOWEDBY, OR, AND between observation expressions; qualifiers (WITHIN, REPEATS,
 * START/STOP) bind to the observation expression before them; inside brackets OR, then AND, then the comparison.
 */

export class PatternSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'PatternSyntaxError';
  }
}

export type PatternLiteral =
  | { kind: 'string'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'timestamp'; value: string }
  | { kind: 'hex'; value: string }
  | { kind: 'binary'; value: string };

export interface ObjectPath {
  objectType: string;
  /** Components after the colon: names, and list indexes as `[n]` or `[*]`. */
  components: string[];
}

export type ComparisonNode =
  | { kind: 'compare'; path: ObjectPath; negated: boolean; op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET' | 'IN'; value: PatternLiteral | PatternLiteral[] }
  | { kind: 'exists'; path: ObjectPath }
  | { kind: 'and' | 'or'; left: ComparisonNode; right: ComparisonNode };

export type Qualifier = { kind: 'within'; seconds: number } | { kind: 'repeats'; times: number } | { kind: 'startstop'; start: string; stop: string };

export type ObservationNode =
  | { kind: 'observation'; comparison: ComparisonNode; qualifiers: Qualifier[] }
  | { kind: 'group'; expression: ObservationNode; qualifiers: Qualifier[] }
  | { kind: 'and' | 'or' | 'followedby'; left: ObservationNode; right: ObservationNode };

type TokenKind =
  | 'lbrack' | 'rbrack' | 'lparen' | 'rparen' | 'colon' | 'dot' | 'comma' | 'star' | 'op' | 'keyword' | 'ident'
  | 'string' | 'int' | 'float' | 'timestamp' | 'hex' | 'binary' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  value?: string | number;
  at: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUPERSET', 'ISSUBSET', 'LAST', 'IN', 'START', 'STOP', 'SECONDS', 'true', 'false', 'WITHIN', 'REPEATS', 'TIMES', 'EXISTS']);
const TIMESTAMP_BODY = /^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?Z$/;
const BASE64 = /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Longest pattern parsed; the parser recurses per nesting level, so depth is bounded too. */
export const MAX_PATTERN_CHARS = 64 * 1024;
const MAX_DEPTH = 200;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const quoted = (start: number): { body: string; end: number } => {
    // src[start] is the opening quote; escapes are \' and \\ only (the grammar's StringLiteral).
    let body = '';
    let j = start + 1;
    for (;;) {
      if (j >= src.length) throw new PatternSyntaxError('unterminated string literal', start);
      const c = src[j]!;
      if (c === '\\') {
        const n = src[j + 1];
        if (n !== "'" && n !== '\\') throw new PatternSyntaxError(`invalid escape \\${n ?? ''} in string literal`, j);
        body += n;
        j += 2;
      } else if (c === "'") {
        return { body, end: j + 1 };
      } else {
        body += c;
        j++;
      }
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    const at = i;
    const one: Partial<Record<string, TokenKind>> = { '[': 'lbrack', ']': 'rbrack', '(': 'lparen', ')': 'rparen', ':': 'colon', '.': 'dot', ',': 'comma', '*': 'star' };
    // A float may start with '.', so numbers are tried before the one-character tokens.
    const num = /^[+-]?(?:[0-9]*\.[0-9]+|0|[1-9][0-9]*)/.exec(src.slice(i, i + 400));
    if (num && (/[0-9]/.test(c) || ((c === '+' || c === '-' || c === '.') && /[0-9.]/.test(src[i + 1] ?? '') && num[0].length > 1))) {
      const text = num[0];
      const isFloat = text.includes('.');
      out.push({ kind: isFloat ? 'float' : 'int', text, value: Number(text), at });
      i += text.length;
      continue;
    }
    if (one[c]) {
      out.push({ kind: one[c], text: c, at });
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=' || two === '<>') {
      if (two === '<>') throw new PatternSyntaxError("'<>' is not a STIX operator (use !=)", i);
      out.push({ kind: 'op', text: two, at });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, at });
      i++;
      continue;
    }
    if (c === "'") {
      const q = quoted(i);
      out.push({ kind: 'string', text: src.slice(i, q.end), value: q.body, at });
      i = q.end;
      continue;
    }
    if ((c === 't' || c === 'h' || c === 'b') && src[i + 1] === "'") {
      const q = quoted(i + 1);
      if (c === 't') {
        if (!TIMESTAMP_BODY.test(q.body)) throw new PatternSyntaxError(`t'${q.body.slice(0, 40)}' is not a STIX timestamp literal`, i);
        out.push({ kind: 'timestamp', text: src.slice(i, q.end), value: q.body, at });
      } else if (c === 'h') {
        if (!/^([0-9a-fA-F]{2})*$/.test(q.body)) throw new PatternSyntaxError('hex literal needs pairs of hex digits', i);
        out.push({ kind: 'hex', text: src.slice(i, q.end), value: q.body, at });
      } else {
        if (!BASE64.test(q.body)) throw new PatternSyntaxError('binary literal is not base64', i);
        out.push({ kind: 'binary', text: src.slice(i, q.end), value: q.body, at });
      }
      i = q.end;
      continue;
    }
    const id = /^[a-zA-Z_][a-zA-Z0-9_-]*/.exec(src.slice(i, i + 300));
    if (id) {
      const text = id[0];
      out.push({ kind: KEYWORDS.has(text) ? 'keyword' : 'ident', text, at });
      i += text.length;
      continue;
    }
    throw new PatternSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  out.push({ kind: 'eof', text: '', at: src.length });
  return out;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private isKeyword(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'keyword' && t.text === text;
  }
  private expect(kind: TokenKind, what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) throw new PatternSyntaxError(`expected ${what}, found ${t.kind === 'eof' ? 'end of pattern' : JSON.stringify(t.text)}`, t.at);
    return this.next();
  }
  private expectKeyword(text: string): void {
    const t = this.peek();
    if (!this.isKeyword(text)) throw new PatternSyntaxError(`expected ${text}, found ${t.kind === 'eof' ? 'end of pattern' : JSON.stringify(t.text)}`, t.at);
    this.pos++;
  }
  private enter(at: number): void {
    if (++this.depth > MAX_DEPTH) throw new PatternSyntaxError('pattern nested too deeply', at);
  }

  pattern(): ObservationNode {
    const e = this.observations();
    const t = this.peek();
    if (t.kind !== 'eof') throw new PatternSyntaxError(`unexpected ${JSON.stringify(t.text)} after the pattern`, t.at);
    return e;
  }

  private observations(): ObservationNode {
    let left = this.observationOr();
    while (this.isKeyword('FOLLOWEDBY')) {
      this.pos++;
      left = { kind: 'followedby', left, right: this.observationOr() };
    }
    return left;
  }
  private observationOr(): ObservationNode {
    let left = this.observationAnd();
    while (this.isKeyword('OR')) {
      this.pos++;
      left = { kind: 'or', left, right: this.observationAnd() };
    }
    return left;
  }
  private observationAnd(): ObservationNode {
    let left = this.observation();
    while (this.isKeyword('AND')) {
      this.pos++;
      left = { kind: 'and', left, right: this.observation() };
    }
    return left;
  }
  private observation(): ObservationNode {
    const t = this.peek();
    this.enter(t.at);
    let node: ObservationNode;
    if (t.kind === 'lbrack') {
      this.pos++;
      const comparison = this.comparisonOr();
      this.expect('rbrack', "']' closing the observation expression");
      checkSameType(comparison, t.at);
      node = { kind: 'observation', comparison, qualifiers: this.qualifiers() };
    } else if (t.kind === 'lparen') {
      this.pos++;
      const expression = this.observations();
      this.expect('rparen', "')'");
      node = { kind: 'group', expression, qualifiers: this.qualifiers() };
    } else {
      throw new PatternSyntaxError(`expected '[' or '(' to start an observation expression, found ${t.kind === 'eof' ? 'end of pattern' : JSON.stringify(t.text)}`, t.at);
    }
    this.depth--;
    return node;
  }
  private qualifiers(): Qualifier[] {
    const out: Qualifier[] = [];
    for (;;) {
      if (this.isKeyword('WITHIN')) {
        this.pos++;
        const n = this.peek();
        if ((n.kind !== 'int' && n.kind !== 'float') || Number(n.value) <= 0 || n.text.startsWith('-')) throw new PatternSyntaxError('WITHIN needs a positive number of SECONDS', n.at);
        this.pos++;
        this.expectKeyword('SECONDS');
        out.push({ kind: 'within', seconds: Number(n.value) });
      } else if (this.isKeyword('REPEATS')) {
        this.pos++;
        const n = this.peek();
        if (n.kind !== 'int' || Number(n.value) <= 0 || n.text.startsWith('-')) throw new PatternSyntaxError('REPEATS needs a positive integer', n.at);
        this.pos++;
        this.expectKeyword('TIMES');
        out.push({ kind: 'repeats', times: Number(n.value) });
      } else if (this.isKeyword('START')) {
        this.pos++;
        const start = this.expect('timestamp', "a t'…' timestamp after START");
        this.expectKeyword('STOP');
        const stop = this.expect('timestamp', "a t'…' timestamp after STOP");
        out.push({ kind: 'startstop', start: String(start.value), stop: String(stop.value) });
      } else {
        return out;
      }
    }
  }

  private comparisonOr(): ComparisonNode {
    let left = this.comparisonAnd();
    while (this.isKeyword('OR')) {
      this.pos++;
      left = { kind: 'or', left, right: this.comparisonAnd() };
    }
    return left;
  }
  private comparisonAnd(): ComparisonNode {
    let left = this.propTest();
    while (this.isKeyword('AND')) {
      this.pos++;
      left = { kind: 'and', left, right: this.propTest() };
    }
    return left;
  }
  private propTest(): ComparisonNode {
    const t = this.peek();
    this.enter(t.at);
    let node: ComparisonNode;
    if (t.kind === 'lparen') {
      this.pos++;
      node = this.comparisonOr();
      this.expect('rparen', "')'");
    } else if (this.isKeyword('EXISTS')) {
      this.pos++;
      node = { kind: 'exists', path: this.objectPath() };
    } else {
      const path = this.objectPath();
      let negated = false;
      if (this.isKeyword('NOT')) {
        negated = true;
        this.pos++;
      }
      const o = this.peek();
      if (o.kind === 'op') {
        this.pos++;
        const op = o.text as '=' | '!=' | '<' | '<=' | '>' | '>=';
        const value = this.literal(op === '=' || op === '!=');
        node = { kind: 'compare', path, negated, op, value };
      } else if (o.kind === 'keyword' && ['LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'].includes(o.text)) {
        this.pos++;
        const s = this.expect('string', `a string after ${o.text}`);
        node = { kind: 'compare', path, negated, op: o.text as 'LIKE', value: { kind: 'string', value: String(s.value) } };
      } else if (this.isKeyword('IN')) {
        this.pos++;
        this.expect('lparen', "'(' starting a set");
        const set: PatternLiteral[] = [];
        if (this.peek().kind !== 'rparen') {
          set.push(this.literal(true));
          while (this.peek().kind === 'comma') {
            this.pos++;
            set.push(this.literal(true));
          }
        }
        this.expect('rparen', "')' closing the set");
        node = { kind: 'compare', path, negated, op: 'IN', value: set };
      } else {
        throw new PatternSyntaxError(`expected a comparison operator after ${pathText(path)}, found ${o.kind === 'eof' ? 'end of pattern' : JSON.stringify(o.text)}`, o.at);
      }
    }
    this.depth--;
    return node;
  }
  private literal(allowBool: boolean): PatternLiteral {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: String(t.value) };
      case 'int':
        return { kind: 'int', value: Number(t.value) };
      case 'float':
        return { kind: 'float', value: Number(t.value) };
      case 'timestamp':
        return { kind: 'timestamp', value: String(t.value) };
      case 'hex':
        return { kind: 'hex', value: String(t.value) };
      case 'binary':
        return { kind: 'binary', value: String(t.value) };
      case 'keyword':
        if (allowBool && (t.text === 'true' || t.text === 'false')) return { kind: 'bool', value: t.text === 'true' };
        break;
      default:
        break;
    }
    throw new PatternSyntaxError(`expected a literal, found ${t.kind === 'eof' ? 'end of pattern' : JSON.stringify(t.text)}`, t.at);
  }
  private objectPath(): ObjectPath {
    const type = this.peek();
    if (type.kind !== 'ident') throw new PatternSyntaxError(`expected an object type, found ${type.kind === 'eof' ? 'end of pattern' : JSON.stringify(type.text)}`, type.at);
    this.pos++;
    this.expect('colon', `':' after the object type ${type.text}`);
    const components: string[] = [];
    const first = this.peek();
    if (first.kind === 'ident' && !first.text.includes('-')) components.push(first.text);
    else if (first.kind === 'string') components.push(String(first.value));
    else throw new PatternSyntaxError(`expected a property name after ${type.text}:`, first.at);
    this.pos++;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'dot') {
        this.pos++;
        const n = this.peek();
        if (n.kind === 'ident' && !n.text.includes('-')) components.push(n.text);
        else if (n.kind === 'string') components.push(String(n.value));
        else throw new PatternSyntaxError("expected a property name after '.'", n.at);
        this.pos++;
      } else if (t.kind === 'lbrack' && this.peek(2).kind === 'rbrack' && (this.peek(1).kind === 'star' || this.peek(1).kind === 'int')) {
        const idx = this.peek(1);
        this.pos += 3;
        components.push(idx.kind === 'star' ? '[*]' : `[${idx.text.replace(/^\+/, '')}]`);
      } else {
        return { objectType: type.text, components };
      }
    }
  }
}

function pathText(p: ObjectPath): string {
  return `${p.objectType}:${p.components.map((c, i) => (c.startsWith('[') ? c : i === 0 ? c : `.${c}`)).join('')}`;
}

/** OASIS validator rule: comparisons ANDed inside one observation expression must name the same object type. */
function checkSameType(c: ComparisonNode, at: number): void {
  const walk = (n: ComparisonNode): Set<string>[] => {
    if (n.kind === 'compare' || n.kind === 'exists') return [new Set([n.path.objectType])];
    if (n.kind === 'or') return [...walk(n.left), ...walk(n.right)];
    // AND: every combination of its sides' alternatives must agree on one type.
    const out: Set<string>[] = [];
    for (const l of walk(n.left)) for (const r of walk(n.right)) out.push(new Set([...l, ...r]));
    if (out.length > 10_000) throw new PatternSyntaxError('pattern too complex', at);
    return out;
  };
  for (const types of walk(c)) {
    if (types.size > 1) throw new PatternSyntaxError(`comparisons joined by AND in one observation expression name different object types (${[...types].join(', ')})`, at);
  }
}

/** Parse a STIX 2.1 pattern; throws PatternSyntaxError. */
export function parseStixPattern(pattern: string): ObservationNode {
  if (pattern.length > MAX_PATTERN_CHARS) throw new PatternSyntaxError(`pattern longer than ${MAX_PATTERN_CHARS} characters`, MAX_PATTERN_CHARS);
  return new Parser(tokenize(pattern)).pattern();
}

/** Every comparison of a parsed pattern, in order, with its path written as STIX writes it (`hashes.'SHA-256'` → `hashes.SHA-256`). */
export function patternComparisons(node: ObservationNode): { objectType: string; path: string; negated: boolean; op: string; value: PatternLiteral | PatternLiteral[] }[] {
  const out: ReturnType<typeof patternComparisons> = [];
  const cmp = (n: ComparisonNode): void => {
    if (n.kind === 'compare') out.push({ objectType: n.path.objectType, path: pathText(n.path).slice(n.path.objectType.length + 1), negated: n.negated, op: n.op, value: n.value });
    else if (n.kind === 'and' || n.kind === 'or') {
      cmp(n.left);
      cmp(n.right);
    }
  };
  const obs = (n: ObservationNode): void => {
    if (n.kind === 'observation') cmp(n.comparison);
    else if (n.kind === 'group') obs(n.expression);
    else {
      obs(n.left);
      obs(n.right);
    }
  };
  obs(node);
  return out;
}
