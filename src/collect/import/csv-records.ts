/**
 * Splits a CSV file into records with their exact first line and byte offset, streaming (RFC 4180 quoting: a
 * quote opens a quoted field only at the start of a field; `""` inside it is a quote; a line break inside it
 * belongs to the field). The fields of each record are then read by csv-parse, so a bad record is reported at
 * its own line and byte offset and the next record is read normally.
 *
 * A quote left open runs to the end of the file: that record is reported (at the line it starts on) and reading
 * resumes on the next line, so one stray quote does not swallow the rest of the file.
 */
import { createReadStream } from 'node:fs';
import { parse as parseSync } from 'csv-parse/sync';

export interface CsvRecord {
  /** 1-based line the record starts on, and the byte offset of its first byte. */
  line: number;
  offset: number;
  /** Byte offset just past the record (and its line break): where the next one starts. */
  end: number;
  text: string;
  /** The quote that opened a field was never closed before the end of the file (or the size cap). */
  unterminated: boolean;
  tooLong: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
/** Largest record read (a quoted field with line breaks included). */
export const MAX_CSV_RECORD_BYTES = 1024 * 1024;

/** Records from `offset` (which must be a record start) on; `line` is that offset's line number. */
export async function* csvRecords(file: string, delimiter: string, offset = 0, line = 1): AsyncGenerator<CsvRecord> {
  const delim = delimiter.charCodeAt(0);
  let pos = offset;
  let curLine = line;
  while (true) {
    let restartAt: { offset: number; line: number } | undefined;
    let parts: Buffer[] = [];
    let size = 0;
    let start = pos;
    let startLine = curLine;
    let inQuote = false;
    let quoteMaybeClosed = false; // saw a quote inside a quoted field: closing, unless the next byte is a quote
    let fieldStart = true;
    let firstLineEnd = -1; // offset just past the first LF of the current record
    let tooLong = false;
    const stream = createReadStream(file, { start: pos, highWaterMark: 64 * 1024 });
    let bom = pos === 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        let from = 0;
        if (bom) {
          bom = false;
          if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
            from = 3;
            pos += 3;
            start = pos;
          }
        }
        let segStart = from;
        for (let i = from; i < chunk.length; i++) {
          const b = chunk[i] as number;
          pos++;
          if (quoteMaybeClosed) {
            quoteMaybeClosed = false;
            if (b === QUOTE) continue; // "" inside a quoted field
            inQuote = false;
          }
          if (inQuote) {
            if (b === QUOTE) quoteMaybeClosed = true;
            else if (b === LF) {
              curLine++;
              if (firstLineEnd < 0) firstLineEnd = pos;
            }
            continue;
          }
          if (b === QUOTE) {
            if (fieldStart) inQuote = true;
            fieldStart = false;
          } else if (b === delim) fieldStart = true;
          else if (b === LF) {
            parts.push(chunk.subarray(segStart, i + 1));
            size += i + 1 - segStart;
            segStart = i + 1;
            if (!tooLong) yield record(parts, startLine, start, pos, false, false);
            else yield { line: startLine, offset: start, end: pos, text: '', unterminated: false, tooLong: true };
            parts = [];
            size = 0;
            tooLong = false;
            start = pos;
            curLine++;
            startLine = curLine;
            fieldStart = true;
            firstLineEnd = -1;
          } else if (b !== CR) fieldStart = false;
        }
        if (segStart < chunk.length && !tooLong) {
          parts.push(chunk.subarray(segStart));
          size += chunk.length - segStart;
        }
        if (size > MAX_CSV_RECORD_BYTES && !tooLong) {
          tooLong = true;
          parts = [];
          if (inQuote) {
            // An open quote that runs past the cap is treated like one left open at the end of the file.
            restartAt = firstLineEnd >= 0 ? { offset: firstLineEnd, line: startLine + 1 } : undefined;
            if (restartAt) break;
          }
        }
      }
    } finally {
      stream.destroy();
    }
    if (restartAt || inQuote) {
      // The open quote swallowed everything after it: report the record at its first line, go on after that line.
      yield { line: startLine, offset: start, end: restartAt?.offset ?? pos, text: '', unterminated: true, tooLong: false };
      if (!restartAt && firstLineEnd < 0) return; // it was the last line
      const next = restartAt ?? { offset: firstLineEnd, line: startLine + 1 };
      pos = next.offset;
      curLine = next.line;
      continue;
    }
    if (size > 0 || tooLong) yield tooLong ? { line: startLine, offset: start, end: pos, text: '', unterminated: false, tooLong: true } : record(parts, startLine, start, pos, false, false);
    return;
  }
}

function record(parts: Buffer[], line: number, offset: number, end: number, unterminated: boolean, tooLong: boolean): CsvRecord {
  return { line, offset, end, text: Buffer.concat(parts).toString('utf8'), unterminated, tooLong };
}

export type ParsedRecord = { ok: true; fields: string[] } | { ok: false; reason: string; line: number };

/** The fields of one record; an error says at which line of the file it is. */
export function parseRecord(rec: CsvRecord, delimiter: string): ParsedRecord {
  if (rec.unterminated) return { ok: false, reason: 'a quoted field is never closed (an opening quote with no closing quote before the end of the file)', line: rec.line };
  if (rec.tooLong) return { ok: false, reason: `record longer than ${MAX_CSV_RECORD_BYTES} bytes`, line: rec.line };
  try {
    const rows = parseSync(rec.text, { delimiter, relax_column_count: true, bom: false, skip_empty_lines: false }) as string[][];
    return { ok: true, fields: rows[0] ?? [] };
  } catch (err) {
    const e = err as { message: string; lines?: number };
    return { ok: false, reason: e.message.replace(/ at line \d+/, ''), line: rec.line + Math.max(0, (e.lines ?? 1) - 1) };
  }
}
