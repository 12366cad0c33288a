import pg from 'pg';

let installed = false;

/**
 * int8 (counts, bigint ids) and numeric (prices) become JS numbers instead of strings; dates stay strings. Both engines go through
 * node-postgres' parsers (PGlite via its pg connection shim), so this one setting keeps them identical.
 */
export function installTypeParsers(): void {
  if (installed) return;
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
  // A calendar day stays 'YYYY-MM-DD': turning it into a Date would shift it by the local time zone.
  pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
  installed = true;
}
