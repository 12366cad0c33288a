import { createReadStream } from 'node:fs';

/** Malformed input: says where (1-based line, byte offset of the statement or value). */
export class ImportFormatError extends Error {
  constructor(message: string, readonly line: number, readonly offset: number) {
    super(`${message} (line ${line}, byte offset ${offset})`);
    this.name = 'ImportFormatError';
  }
}

export interface SqlStatement {
  text: string;
  /** Byte offset of the statement's first character, and of the byte after its terminating ';'. */
  offset: number;
  end: number;
  line: number;
}

/** Largest single statement accepted (mysqldump's extended INSERTs are ~1 MB by default). */
export const MAX_STATEMENT_BYTES = 64 * 1024 * 1024;

const enum B {
  Tab = 9,
  Nl = 10,
  Cr = 13,
  Space = 32,
  Dq = 34,
  Hash = 35,
  Sq = 39,
  Star = 42,
  Dash = 45,
  Slash = 47,
  Semi = 59,
  Backslash = 92,
  Bt = 96,
}
const isSpace = (b: number) => b === B.Space || (b >= B.Tab && b <= B.Cr);

type ScanState = 'normal' | 'sq' | 'dq' | 'bt' | 'quote-end' | 'line' | 'block';

/**
 * Splits a mysqldump file into statements, streaming: quotes ('…', "…", `…`) with backslash escapes and doubled
 * quotes, `-- ` and `#` line comments and block comments (conditional comments like "/*!40101 … *\/" are
 * skipped as well: they only set session variables). Memory is bounded by the largest statement.
 *
 * It scans bytes, not characters: every byte that matters (quotes, backslash, ';', comment marks, newline) is
 * ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character, so offsets are exact byte offsets and
 * statement text is copied in runs rather than character by character.
 */
export async function* sqlStatements(file: string, startOffset = 0, startLine = 1, chunkBytes = 1024 * 1024): AsyncGenerator<SqlStatement> {
  let parts: Buffer[] = [];
  let partsLength = 0;
  let stmtStart = -1;
  let stmtLine = startLine;
  let state: ScanState = 'normal';
  let quote = 0;
  let quoteStart = 0;
  let quoteLine = 0;
  let base = startOffset; // file offset of buf[0]
  let line = startLine;
  let prevStar = false;
  let escaped = false;
  let carry: Buffer | undefined;
  const tooLong = () => new ImportFormatError(`statement longer than ${MAX_STATEMENT_BYTES} bytes`, stmtLine, stmtStart);

  const stream = createReadStream(file, { start: startOffset, highWaterMark: chunkBytes });
  let ended = false;
  const chunks = stream[Symbol.asyncIterator]();
  while (!ended) {
    const next = await chunks.next();
    let buf: Buffer;
    if (next.done) {
      ended = true;
      if (!carry) break;
      buf = carry;
    } else buf = carry ? Buffer.concat([carry, next.value as Buffer]) : (next.value as Buffer);
    carry = undefined;
    let seg = stmtStart >= 0 && state !== 'line' && state !== 'block' ? 0 : -1;
    let nextBackslash = -2; // cached positions for the string fast path (-1: none left in this chunk)
    let nextNewline = -2;
    let i = 0;
    for (; i < buf.length; i++) {
      const b = buf[i]!;
      if (state === 'quote-end') {
        // The quote before this byte closed the string unless this byte doubles it.
        if (b === quote) {
          state = quote === B.Sq ? 'sq' : quote === B.Dq ? 'dq' : 'bt';
          continue;
        }
        state = 'normal';
      }
      switch (state) {
        case 'line':
          if (b === B.Nl) {
            line++;
            state = 'normal';
          }
          continue;
        case 'block':
          if (b === B.Nl) line++;
          if (prevStar && b === B.Slash) {
            state = 'normal';
            prevStar = false;
          } else prevStar = b === B.Star;
          continue;
        case 'sq':
        case 'dq':
        case 'bt': {
          if (escaped) {
            escaped = false;
            if (b === B.Nl) line++;
            continue;
          }
          // Jump to the next quote or backslash (most of a dump is string content), counting newlines on the way.
          let j = buf.indexOf(quote, i);
          if (state !== 'bt') {
            if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = buf.indexOf(B.Backslash, i);
            if (nextBackslash >= 0 && (j < 0 || nextBackslash < j)) j = nextBackslash;
          }
          const stop = j < 0 ? buf.length : j;
          while (nextNewline !== -1 && nextNewline < stop) {
            if (nextNewline >= i) line++;
            nextNewline = buf.indexOf(B.Nl, Math.max(nextNewline, i - 1) + 1);
          }
          if (j < 0) {
            i = buf.length - 1;
            continue;
          }
          i = j;
          if (buf[j] === B.Backslash && state !== 'bt') escaped = true;
          else state = 'quote-end';
          continue;
        }
        default:
          break;
      }
      if (b === B.Nl) line++;
      // Comment marks need one or two bytes of look-ahead: keep a chunk's last bytes for the next one.
      if ((b === B.Dash || b === B.Slash) && i + 2 >= buf.length && !ended) break;
      const startsComment = (b === B.Dash && buf[i + 1] === B.Dash && (buf[i + 2] === B.Space || buf[i + 2] === B.Nl || buf[i + 2] === B.Tab)) || b === B.Hash || (b === B.Slash && buf[i + 1] === B.Star);
      if (startsComment) {
        if (seg >= 0) {
          parts.push(buf.subarray(seg, i));
          partsLength += i - seg;
          seg = -1;
        }
        if (b === B.Slash) {
          state = 'block';
          prevStar = false;
          i++;
        } else state = 'line';
        continue;
      }
      if (b === B.Semi) {
        if (stmtStart >= 0) {
          if (seg >= 0) parts.push(buf.subarray(seg, i));
          yield { text: Buffer.concat(parts).toString('utf8').trim(), offset: stmtStart, end: base + i + 1, line: stmtLine };
        }
        parts = [];
        partsLength = 0;
        stmtStart = -1;
        seg = -1;
        continue;
      }
      if (stmtStart < 0) {
        if (isSpace(b)) continue;
        stmtStart = base + i;
        stmtLine = line;
      }
      if (seg < 0) seg = i;
      if (b === B.Sq || b === B.Dq || b === B.Bt) {
        state = b === B.Sq ? 'sq' : b === B.Dq ? 'dq' : 'bt';
        quote = b;
        quoteStart = base + i;
        quoteLine = line;
      }
    }
    if (i < buf.length) carry = Buffer.from(buf.subarray(i));
    if (seg >= 0) {
      parts.push(Buffer.from(buf.subarray(seg, i)));
      partsLength += i - seg;
    }
    if (partsLength > MAX_STATEMENT_BYTES) throw tooLong();
    base += i;
  }
  if (state === 'sq' || state === 'dq' || state === 'bt') {
    throw new ImportFormatError(`unterminated ${state === 'bt' ? 'identifier' : 'string'} (a broken escape or a truncated file)`, quoteLine, quoteStart);
  }
  if (state === 'block') throw new ImportFormatError('unterminated /* comment', line, base);
  if (partsLength > 0 || parts.length > 0) {
    const rest = Buffer.concat(parts).toString('utf8').trim();
    if (rest !== '') throw new ImportFormatError('last statement has no terminating ";" (truncated file?)', stmtLine, stmtStart);
  }
}

export type SqlValue = string | number | null;

/** Column names of "CREATE TABLE `t` ( `a` int, … , PRIMARY KEY …)". */
export function parseCreateTable(text: string): { table: string; columns: string[] } | undefined {
  const m = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([^`\s(]+)`?\s*\(/i.exec(text);
  if (!m) return undefined;
  const columns: string[] = [];
  for (const raw of text.slice(m[0].length).split('\n')) {
    const col = /^\s*`([^`]+)`\s+\w/.exec(raw);
    if (col) columns.push(col[1] as string);
  }
  return { table: m[1] as string, columns };
}

/** One unquoted value at lastIndex (sticky: no copying of the rest of the statement). */
const VALUE_TOKEN = /(NULL|0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[xX]'[0-9a-fA-F]*'|b'[01]*'|_\w+'(?:[^'\\]|\\.)*')/iy;

const isDigit = (c: number) => c >= 48 && c <= 57;
/** A decimal number starts at i: a digit or '-' and a digit, but not `0x` (hex, which the token regex reads). */
function isNumberStart(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 45) return isDigit(text.charCodeAt(i + 1));
  return isDigit(c) && !(c === 48 && (text.charCodeAt(i + 1) | 0x20) === 120);
}

const ESCAPES: Record<string, string> = { '0': '\0', "'": "'", '"': '"', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '\\': '\\', '%': '\\%', _: '\\_' };

/**
 * Rows of "INSERT INTO `t` [(`a`,`b`)] VALUES (…),(…)". Values: quoted strings with MySQL escapes, numbers, NULL,
 * hex (0x…, X'…'), bit (b'…') and _charset'…' introducers. Anything else is an error with its position.
 */
export function parseInsert(stmt: SqlStatement): { table: string; columns?: string[]; rows: SqlValue[][] } | undefined {
  const p = insertParser(stmt);
  if (!p) return undefined;
  return { table: p.table, columns: p.columns, rows: p.next(Infinity) ?? [] };
}

/** The table an INSERT/REPLACE statement writes to, as the dump spells it ('' when unreadable); undefined for any other statement. */
export function insertTarget(text: string): string | undefined {
  if (!/^(INSERT|REPLACE)/i.test(text)) return undefined;
  return /INTO\s+`?([^`\s(]+)/i.exec(text)?.[1] ?? '';
}

/**
 * parseInsert in steps: `next(n)` parses up to n more rows (undefined once the statement is done), so a caller can
 * let other work run between steps (the import's writes wait on the event loop). Same values and errors.
 */
export interface InsertParser {
  table: string;
  columns?: string[];
  next(maxRows: number): SqlValue[][] | undefined;
}

export function insertParser(stmt: SqlStatement): InsertParser | undefined {
  const text = stmt.text;
  const m = /^(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+`?([^`\s(]+)`?\s*(?:\(([^)]*)\))?\s*VALUES\s*/i.exec(text);
  if (!m) return undefined;
  const columns = m[2] ? m[2].split(',').map((c) => c.trim().replace(/^`|`$/g, '')) : undefined;
  let done = false;
  let i = m[0].length;
  let nextBackslash = -2; // cached: -1 when the statement has no backslash left
  const fail = (what: string): never => {
    const before = text.slice(0, i);
    const lines = before.split('\n').length - 1;
    throw new ImportFormatError(`${what} in INSERT INTO ${m[1]}`, stmt.line + lines, stmt.offset + Buffer.byteLength(before));
  };
  const ws = () => {
    for (let ch = text.charCodeAt(i); ch === 32 || (ch >= 9 && ch <= 13); ch = text.charCodeAt(++i));
  };
  const next = (maxRows: number): SqlValue[][] | undefined => {
    if (done) return undefined;
    const rows: SqlValue[][] = [];
    for (;;) {
      ws();
      if (text[i] !== '(') fail(`expected "(" but found ${JSON.stringify(text.slice(i, i + 20))}`);
      i++;
      const row: SqlValue[] = [];
      for (;;) {
        ws();
        const c = text[i];
        if (c === "'" || c === '"') {
          const q = c;
          i++;
          let s = '';
          for (;;) {
            // Copy the run up to the next quote or backslash in one slice.
            const nq = text.indexOf(q, i);
            if (nq < 0) fail('unterminated string');
            if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf('\\', i);
            const nb = nextBackslash;
            if (nb >= 0 && nb < nq) {
              s += text.slice(i, nb);
              const n = text[nb + 1];
              if (n === undefined) fail('backslash at the end of a string');
              s += ESCAPES[n as string] ?? n;
              i = nb + 2;
            } else if (text[nq + 1] === q) {
              s += text.slice(i, nq + 1);
              i = nq + 2;
            } else {
              s += text.slice(i, nq);
              i = nq + 1;
              break;
            }
          }
          row.push(s);
        } else if (isNumberStart(text, i)) {
          // A plain decimal number (most of a dump's unquoted values), read without the token regex: the same value
          // it gives (integers of more than 15 digits stay text; see the VALUE_TOKEN branch).
          const neg = text.charCodeAt(i) === 45;
          let k = neg ? i + 1 : i;
          const digits0 = k;
          let v = 0;
          for (let d = text.charCodeAt(k) - 48; d >= 0 && d <= 9; d = text.charCodeAt(++k) - 48) v = v * 10 + d;
          const intEnd = k;
          if (text.charCodeAt(k) === 46 && isDigit(text.charCodeAt(k + 1))) for (k += 2; isDigit(text.charCodeAt(k)); k++);
          if ((text.charCodeAt(k) | 0x20) === 101) {
            const e = text.charCodeAt(k + 1) === 43 || text.charCodeAt(k + 1) === 45 ? k + 2 : k + 1;
            if (isDigit(text.charCodeAt(e))) for (k = e + 1; isDigit(text.charCodeAt(k)); k++);
          }
          if (k !== intEnd) row.push(Number(text.slice(i, k)));
          else if (intEnd - digits0 > 15) row.push(text.slice(i, k));
          else row.push(neg ? -v : v);
          i = k;
        } else {
          VALUE_TOKEN.lastIndex = i;
          const tok = VALUE_TOKEN.exec(text);
          if (!tok) fail(`unexpected value ${JSON.stringify(text.slice(i, i + 20))}`);
          const t = tok![1] as string;
          i += t.length;
          if (t.length === 4 && t.toUpperCase() === 'NULL') row.push(null);
          else if (/^0x/i.test(t)) row.push(Buffer.from(t.slice(2), 'hex').toString('utf8'));
          else if (/^-?\d/.test(t)) row.push(/^-?\d+$/.test(t) && t.replace('-', '').length > 15 ? t : Number(t));
          else if (/^[xX]'/.test(t)) row.push(Buffer.from(t.slice(2, -1), 'hex').toString('utf8'));
          else if (/^b'/.test(t)) row.push(Number.parseInt(t.slice(2, -1) || '0', 2));
          else row.push(t.slice(t.indexOf("'") + 1, -1).replace(/\\(.)/g, (_, ch: string) => ESCAPES[ch] ?? ch));
        }
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ')') { i++; break; }
        fail(`expected "," or ")" but found ${JSON.stringify(text.slice(i, i + 20))}`);
      }
      rows.push(row);
      ws();
      if (text[i] === ',') {
        i++;
        if (rows.length >= maxRows) return rows;
        continue;
      }
      if (i >= text.length) break;
      fail(`unexpected ${JSON.stringify(text.slice(i, i + 20))} after a row`);
    }
    done = true;
    return rows;
  };
  return { table: m[1] as string, columns, next };
}
