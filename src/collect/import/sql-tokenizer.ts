import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

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

/**
 * Splits a mysqldump file into statements, streaming: quotes ('…', "…", `…`) with backslash escapes and doubled
 * quotes, `-- ` and `#` line comments and block comments (conditional comments like "/*!40101 … *\/" are
 * skipped as well: they only set session variables). Memory is bounded by the largest statement.
 */
export async function* sqlStatements(file: string, startOffset = 0, startLine = 1): AsyncGenerator<SqlStatement> {
  const decoder = new StringDecoder('utf8');
  let stmt = '';
  let stmtStart = -1;
  let stmtLine = startLine;
  let state: 'normal' | 'sq' | 'dq' | 'bt' | 'line' | 'block' = 'normal';
  let quoteStart = 0;
  let quoteLine = 0;
  let offset = startOffset;
  let line = startLine;
  let prev = '';
  let escaped = false;
  for await (const chunk of createReadStream(file, { start: startOffset })) {
    const text = decoder.write(chunk as Buffer);
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      const width = c.charCodeAt(0) < 0x80 ? 1 : Buffer.byteLength(c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdbff ? c + (text[i + 1] ?? '') : c) / (c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdbff ? 2 : 1);
      const at = offset;
      offset += width;
      if (c === '\n') line++;
      switch (state) {
        case 'line':
          if (c === '\n') state = 'normal';
          prev = c;
          continue;
        case 'block':
          if (prev === '*' && c === '/') {
            state = 'normal';
            prev = '';
          } else prev = c;
          continue;
        case 'sq':
        case 'dq':
        case 'bt': {
          stmt += c;
          const q = state === 'sq' ? "'" : state === 'dq' ? '"' : '`';
          if (escaped) escaped = false;
          else if (c === '\\' && state !== 'bt') escaped = true;
          else if (c === q) {
            // a doubled quote stays inside the string
            if (text[i + 1] === q) {
              stmt += q;
              i++;
              offset += 1;
            } else state = 'normal';
          }
          if (stmt.length > MAX_STATEMENT_BYTES) throw new ImportFormatError(`statement longer than ${MAX_STATEMENT_BYTES} bytes`, stmtLine, stmtStart);
          prev = c;
          continue;
        }
        default:
          break;
      }
      if (c === '-' && text[i + 1] === '-' && (text[i + 2] === ' ' || text[i + 2] === '\n' || text[i + 2] === '\t')) {
        state = 'line';
        continue;
      }
      if (c === '#') {
        state = 'line';
        continue;
      }
      if (c === '/' && text[i + 1] === '*') {
        state = 'block';
        prev = '';
        i++;
        offset += 1;
        continue;
      }
      if (c === ';') {
        if (stmtStart >= 0) yield { text: stmt.trim(), offset: stmtStart, end: offset, line: stmtLine };
        stmt = '';
        stmtStart = -1;
        continue;
      }
      if (stmtStart < 0) {
        if (/\s/.test(c)) continue;
        stmtStart = at;
        stmtLine = line;
      }
      stmt += c;
      if (c === "'" || c === '"' || c === '`') {
        state = c === "'" ? 'sq' : c === '"' ? 'dq' : 'bt';
        quoteStart = at;
        quoteLine = line;
      }
      if (stmt.length > MAX_STATEMENT_BYTES) throw new ImportFormatError(`statement longer than ${MAX_STATEMENT_BYTES} bytes`, stmtLine, stmtStart);
    }
  }
  if (state === 'sq' || state === 'dq' || state === 'bt') {
    throw new ImportFormatError(`unterminated ${state === 'bt' ? 'identifier' : 'string'} (a broken escape or a truncated file)`, quoteLine, quoteStart);
  }
  if (state === 'block') throw new ImportFormatError('unterminated /* comment', line, offset);
  if (stmt.trim() !== '') throw new ImportFormatError('last statement has no terminating ";" (truncated file?)', stmtLine, stmtStart);
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

const ESCAPES: Record<string, string> = { '0': '\0', "'": "'", '"': '"', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '\\': '\\', '%': '\\%', _: '\\_' };

/**
 * Rows of "INSERT INTO `t` [(`a`,`b`)] VALUES (…),(…)". Values: quoted strings with MySQL escapes, numbers, NULL,
 * hex (0x…, X'…'), bit (b'…') and _charset'…' introducers. Anything else is an error with its position.
 */
export function parseInsert(stmt: SqlStatement): { table: string; columns?: string[]; rows: SqlValue[][] } | undefined {
  const text = stmt.text;
  const m = /^(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?INTO\s+`?([^`\s(]+)`?\s*(?:\(([^)]*)\))?\s*VALUES\s*/i.exec(text);
  if (!m) return undefined;
  const columns = m[2] ? m[2].split(',').map((c) => c.trim().replace(/^`|`$/g, '')) : undefined;
  const rows: SqlValue[][] = [];
  let i = m[0].length;
  const fail = (what: string): never => {
    const before = text.slice(0, i);
    const lines = before.split('\n').length - 1;
    throw new ImportFormatError(`${what} in INSERT INTO ${m[1]}`, stmt.line + lines, stmt.offset + Buffer.byteLength(before));
  };
  const ws = () => { while (i < text.length && /\s/.test(text[i] as string)) i++; };
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
          if (i >= text.length) fail('unterminated string');
          const ch = text[i] as string;
          if (ch === '\\') {
            const n = text[i + 1];
            if (n === undefined) fail('backslash at the end of a string');
            s += ESCAPES[n as string] ?? n;
            i += 2;
          } else if (ch === q) {
            if (text[i + 1] === q) {
              s += q;
              i += 2;
            } else {
              i++;
              break;
            }
          } else {
            s += ch;
            i++;
          }
        }
        row.push(s);
      } else {
        const tok = /^(NULL|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|[xX]'[0-9a-fA-F]*'|b'[01]*'|_\w+'(?:[^'\\]|\\.)*')/i.exec(text.slice(i, i + 4096));
        if (!tok) fail(`unexpected value ${JSON.stringify(text.slice(i, i + 20))}`);
        const t = tok![1] as string;
        i += t.length;
        if (/^NULL$/i.test(t)) row.push(null);
        else if (/^-?\d/.test(t)) row.push(/^-?\d+$/.test(t) && t.replace('-', '').length > 15 ? t : Number(t));
        else if (/^0x/i.test(t)) row.push(Buffer.from(t.slice(2), 'hex').toString('utf8'));
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
    if (text[i] === ',') { i++; continue; }
    if (i >= text.length) break;
    fail(`unexpected ${JSON.stringify(text.slice(i, i + 20))} after a row`);
  }
  return { table: m[1] as string, columns, rows };
}
