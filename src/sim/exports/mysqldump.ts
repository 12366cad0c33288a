// Writing SQL in mysqldump's dialect: header/footer conditional comments, per-table DROP/CREATE, LOCK TABLES and
// extended multi-row INSERTs split near net_buffer_length, MySQL string escapes.

export type SqlValue = string | number | null;

const ESCAPES: Record<string, string> = {
  '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '"': '\\"', '\\': '\\\\',
};

/** A MySQL string literal with the escapes mysqldump writes (\0 \n \r \Z \' \" \\). */
export function sqlString(s: string): string {
  // NUL and Ctrl-Z are exactly the control characters mysqldump escapes, hence the control characters here.
  // eslint-disable-next-line no-control-regex
  return `'${s.replace(/[\0\n\r\x1a'"\\]/g, (c) => ESCAPES[c] as string)}'`;
}

export function sqlValue(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot dump non-finite number ${v}`);
    return String(v);
  }
  return sqlString(v);
}

/** A decimal with a fixed number of places, as MySQL prints DECIMAL(M,D) columns. */
export function decimal(x: number, places: number): { raw: string } {
  return { raw: x.toFixed(places) };
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC (the dump sets TIME_ZONE='+00:00'). */
export function datetime(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export interface TableDef {
  name: string;
  /** Column and key lines as they appear inside CREATE TABLE (without trailing commas). */
  lines: string[];
  rows: Array<Array<SqlValue | { raw: string }>>;
}

/** mysqldump's default net_buffer_length: an extended INSERT is cut before it grows past this. */
const NET_BUFFER = 1_000_000;

export function dumpHeader(database: string): string {
  return `-- MySQL dump 10.13  Distrib 5.7.42, for Linux (x86_64)
--
-- Host: localhost    Database: ${database}
-- ------------------------------------------------------
-- Server version\t5.7.42-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
`;
}

export function dumpFooter(completedUnix: number): string {
  return `/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on ${datetime(completedUnix)}
`;
}

/** One table's structure and data; `emit` receives chunks (so big tables never become one giant string). */
export function dumpTable(t: TableDef, emit: (chunk: string) => void): void {
  emit(`
--
-- Table structure for table \`${t.name}\`
--

DROP TABLE IF EXISTS \`${t.name}\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE \`${t.name}\` (
${t.lines.map((l) => `  ${l}`).join(',\n')}
) ENGINE=InnoDB${t.rows.length > 0 ? ` AUTO_INCREMENT=${t.rows.length + 1}` : ''} DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table \`${t.name}\`
--

LOCK TABLES \`${t.name}\` WRITE;
/*!40000 ALTER TABLE \`${t.name}\` DISABLE KEYS */;
`);
  let stmt = '';
  for (const r of t.rows) {
    const tuple = `(${r.map((v) => (v !== null && typeof v === 'object' ? v.raw : sqlValue(v))).join(',')})`;
    if (stmt.length > 0 && stmt.length + tuple.length + 2 > NET_BUFFER) {
      emit(`${stmt};\n`);
      stmt = '';
    }
    stmt = stmt.length === 0 ? `INSERT INTO \`${t.name}\` VALUES ${tuple}` : `${stmt},${tuple}`;
  }
  if (stmt.length > 0) emit(`${stmt};\n`);
  emit(`/*!40000 ALTER TABLE \`${t.name}\` ENABLE KEYS */;
UNLOCK TABLES;
`);
}
