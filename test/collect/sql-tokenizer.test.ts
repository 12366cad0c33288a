import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportFormatError, insertParser, parseInsert, sqlStatements, type SqlStatement } from '../../src/collect/import/sql-tokenizer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dp-sqltok-'));
const PIECES = [
  "INSERT INTO `t` VALUES (1,'a''b','c\\'d'),(2,\"x\"\"y\",NULL);",
  '-- comment ; here\n',
  '# hash ; comment\n',
  '/*!40101 SET NAMES utf8mb4 */;',
  '/* multi\nline ; */',
  ' \n\t',
  'CREATE TABLE `u` (\n  `id` int,\n  `név` text\n);',
  "INSERT INTO u VALUES (1,'ünï\\ncode ; € 🙂'),(2,'a-- b'),(3,'/* not */');",
  'SELECT 1 - -2;',
  "SELECT 'x\\\\';",
  'SELECT `a``b`;',
];

async function statements(file: string, chunkBytes?: number): Promise<SqlStatement[] | string> {
  const out: SqlStatement[] = [];
  try {
    for await (const s of sqlStatements(file, 0, 1, chunkBytes)) out.push(s);
  } catch (err) {
    return (err as Error).message;
  }
  return out;
}

describe('mysqldump tokenizer', () => {
  it('gives the same statements whatever the read chunk size, with exact byte offsets (multi-byte text included)', async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 60; t++) {
      let text = '';
      for (let k = 1 + Math.floor(rnd() * 8); k > 0; k--) text += PIECES[Math.floor(rnd() * PIECES.length)];
      const file = path.join(dir, `case-${t}.sql`);
      writeFileSync(file, text);
      const whole = await statements(file);
      for (const chunk of [1, 2, 3, 5, 16]) expect(await statements(file, chunk)).toEqual(whole);
      if (typeof whole === 'string') continue;
      const raw = readFileSync(file);
      for (const s of whole) {
        expect(raw[s.end - 1]).toBe(0x3b); // the byte before `end` is the terminating ';'
        expect(raw.subarray(s.offset, s.end).toString('utf8').startsWith(s.text.slice(0, 6))).toBe(true);
        expect(s.line).toBe(raw.subarray(0, s.offset).toString('latin1').split('\n').length);
      }
    }
  });

  it('reports an unterminated string and a missing final ";" with their positions', async () => {
    const broken = path.join(dir, 'broken.sql');
    writeFileSync(broken, "INSERT INTO t VALUES (1,'ok');\nINSERT INTO t VALUES (2,'never closed);\n");
    expect(await statements(broken, 4)).toMatch(/unterminated string.*line 2, byte offset 55/);
    writeFileSync(broken, "INSERT INTO t VALUES (1,'ok');\nINSERT INTO t VALUES (2,'x')");
    expect(await statements(broken, 3)).toMatch(/no terminating ";".*line 2, byte offset 31/);
  });

  it('parses rows with MySQL escapes, doubled quotes, NULL, numbers, hex and bit literals', () => {
    const text = "INSERT INTO `t` (`a`,`b`) VALUES (1,'a''b\\'c\\\\d\\n'),(-2.5e1,NULL),(0x4142,b'101'),(X'43',_utf8'é\\'')";
    const ins = parseInsert({ text, offset: 0, end: text.length, line: 1 });
    expect(ins).toEqual({ table: 't', columns: ['a', 'b'], rows: [[1, "a'b'c\\d\n"], [-25, null], ['AB', 5], ['C', "é'"]] });
    const bad = "INSERT INTO t VALUES (1,oops)";
    expect(() => parseInsert({ text: bad, offset: 100, end: 100 + bad.length, line: 4 })).toThrow(ImportFormatError);
    expect(() => parseInsert({ text: bad, offset: 100, end: 100 + bad.length, line: 4 })).toThrow(/unexpected value "oops\)".*line 4, byte offset 124/);
  });

  it('parses a statement in steps of n rows (insertParser): the same rows, then undefined; errors at the same place', () => {
    const text = "INSERT INTO `t` (`a`,`b`) VALUES (1,'x'),(2,'y,z'),(3,NULL),(4,'(5)'),(5,'')";
    const stmt = { text, offset: 0, end: text.length, line: 1 };
    for (const n of [1, 2, 3, 5, 100]) {
      const p = insertParser(stmt)!;
      expect([p.table, p.columns]).toEqual(['t', ['a', 'b']]);
      const rows = [];
      for (let chunk = p.next(n); chunk; chunk = p.next(n)) {
        expect(chunk.length).toBeLessThanOrEqual(n);
        rows.push(...chunk);
      }
      expect(rows).toEqual(parseInsert(stmt)!.rows);
      expect(p.next(n)).toBeUndefined();
    }
    const bad = "INSERT INTO t VALUES (1,'a'),(2,'b'),(3,oops)";
    const p = insertParser({ text: bad, offset: 100, end: 100 + bad.length, line: 4 })!;
    expect(p.next(2)).toEqual([[1, 'a'], [2, 'b']]);
    expect(() => p.next(2)).toThrow(/unexpected value "oops\)".*line 4, byte offset 140/);
  });
});
