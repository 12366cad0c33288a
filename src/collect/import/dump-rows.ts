/**
 * The client's share of a seized-dump import's passes 2 and 3 (dump.ts), with no database: the dump's statements
 * read, parsed, mapped to our rows, their texts scanned for selectors and the rows encoded in COPY's text format. It
 * runs on a worker thread of its own (dump-feed.ts), so this CPU work overlaps the database's writes, which the main
 * thread sends; the feed is bounded (a few statements ahead), so memory stays bounded by a few statements.
 *
 * Ids the database assigns are handed in: the accounts (before the feed starts) and each listings statement's ids
 * (after its write), which orders and feedback name. Items come out in file order: pass 2's mapped statements, then
 * pass 3's feedback statements, then `end`; a malformed statement is an `error` item in its place, so the main thread
 * commits everything before it, as when it parsed the statements itself.
 */
// Modules that load nothing heavy at run time (kysely, pg, the store): this runs on a thread of its own, which loads
// its modules anew (store/copy-text.ts, extract/store/scan.ts).
import type { BulkColumn, BulkValue } from '../../store/bulk.ts';
import { BatchEncoder, type EncodedBatch } from '../../store/copy-text.ts';
import { scanSightings, type ColumnToRead, type ScannedSightings, type TextToScan } from '../../extract/store/scan.ts';
import type { DumpMapping } from './dump.ts';
import { ImportFormatError, insertParser, insertTarget, sqlStatements, type SqlStatement, type SqlValue } from './sql-tokenizer.ts';

/** Rows of a statement parsed, mapped and encoded at a time (DumpRows.stepsOf). */
const STEP_ROWS = 1000;

/** MySQL DATETIME ('2024-11-06 00:52:04', server time taken as UTC) or a unix time. */
export function toDate(v: SqlValue | undefined): Date | null {
  if (v === null || v === undefined || v === '' || v === '0000-00-00 00:00:00') return null;
  if (typeof v === 'string' && v.length === 19) {
    const d = plainDatetime(v);
    if (d) return d;
  }
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(/^\d{4}-\d\d-\d\d \d/.test(v) ? `${v.replace(' ', 'T')}Z` : v);
  return Number.isNaN(d.getTime()) ? null : d;
}
/**
 * 'YYYY-MM-DD hh:mm:ss' with every field in range (year from 1000; day 1–31, rolled into the next month past the
 * month's end as the string parse does) read by its digits: the same instant as `new Date('YYYY-MM-DDThh:mm:ssZ')`
 * without parsing a string; anything else (undefined) takes the string parse.
 */
function plainDatetime(v: string): Date | undefined {
  const n = (at: number, len: number) => {
    let x = 0;
    for (let i = at; i < at + len; i++) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      x = x * 10 + d;
    }
    return x;
  };
  if (v[4] !== '-' || v[7] !== '-' || v[10] !== ' ' || v[13] !== ':' || v[16] !== ':') return undefined;
  const y = n(0, 4);
  const mo = n(5, 2);
  const d = n(8, 2);
  const h = n(11, 2);
  const mi = n(14, 2);
  const s = n(17, 2);
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined;
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}
export const toNum = (v: SqlValue | undefined): number | null => (v === null || v === undefined || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null);
export const toStr = (v: SqlValue | undefined): string | null => (v === null || v === undefined ? null : String(v));

/** Rows of a statement cut to its columns, undefined → NULL, NUL → U+FFFD (PostgreSQL text cannot hold NUL). */
export function normalizeRows(rows: SqlValue[][], width: number): void {
  for (const r of rows) {
    if (r.length > width) r.length = width;
    for (let i = 0; i < width; i++) {
      const v = r[i];
      if (v === undefined) r[i] = null;
      else if (typeof v === 'string' && v.includes('\0')) r[i] = v.replaceAll('\0', '\uFFFD');
    }
  }
}
/** The position of a dump column in a statement's rows (-1: none); the last of duplicate names wins, as in a record. */
export const columnFinder = (cols: string[]) => (name: string | undefined) => (name === undefined ? -1 : cols.lastIndexOf(name));
export function columnsOf(columns: ReadonlyMap<string, string[]>, stmt: SqlStatement, table: string, listed: string[] | undefined): string[] {
  const cols = listed ?? columns.get(table);
  if (!cols) throw noColumnList(stmt, table);
  return cols;
}
/** The error of an INSERT whose columns are not known: no column list of its own and no CREATE TABLE before it. */
const noColumnList = (stmt: SqlStatement, table: string) => new ImportFormatError(`INSERT INTO ${table} before its CREATE TABLE and without a column list`, stmt.line, stmt.offset);

/** A listing's title as stored, cut to 1,000 characters: the main thread's row and the feed's scanned text both start with it. */
export const listingTitle = (v: SqlValue | undefined): string => String(v ?? '').slice(0, 1000);

/** One scan per text and per column (DumpFeed.scan). */
export interface ScannedEach {
  texts: ScannedSightings[];
  columns: ScannedSightings[];
}
/**
 * Each text and each column scanned on its own: scanSightings(texts, columns) is these results joined in order, so a
 * caller can scan before it knows the origins' ids, then complete each result's origins and join them.
 */
export async function scanEach(texts: readonly TextToScan[], columns: readonly ColumnToRead[]): Promise<ScannedEach> {
  const out: ScannedEach = { texts: [], columns: [] };
  for (const t of texts) out.texts.push(await scanSightings([t]));
  for (const c of columns) out.columns.push(await scanSightings([], [c]));
  return out;
}

/** The sightings of `scanned` whose row is one of `rows` (row refs): those of the rows an insert actually wrote. */
export function sightingsOfRows(scanned: ScannedSightings, rows: ReadonlySet<string>): ScannedSightings {
  const of = (f: { rowRef?: string | null }) => rows.has(f.rowRef ?? '');
  return { found: scanned.found.filter(of), rejected: scanned.rejected.filter(of) };
}

const c = (name: string, type: BulkColumn['type']): BulkColumn => ({ name, type });
/** The owner columns (tlp left to the column default when the import names none, as an insert without it would). */
export const ownedColumns = (tlp: boolean): BulkColumn[] => (tlp ? [c('agency_id', 'int'), c('tlp', 'text')] : [c('agency_id', 'int')]);
export const ORDER_COLUMNS = [c('market_id', 'int'), c('external_id', 'text'), c('listing_id', 'int'), c('vendor_id', 'int'), c('buyer', 'text'), c('buyer_country', 'text'), c('quantity', 'numeric'), c('price', 'numeric'), c('currency', 'text'), c('ordered_at', 'timestamptz'), c('status', 'text'), c('capture_id', 'int')];
export const MESSAGE_COLUMNS = [c('market_id', 'int'), c('external_id', 'text'), c('vendor_id', 'int'), c('sender', 'text'), c('recipient', 'text'), c('thread', 'text'), c('sent_at', 'timestamptz'), c('body', 'text'), c('capture_id', 'int')];
export const FEEDBACK_COLUMNS = [c('market_id', 'int'), c('vendor_id', 'int'), c('listing_id', 'int'), c('rating', 'numeric'), c('body', 'text'), c('hidden', 'boolean'), c('buyer', 'text'), c('left_at', 'timestamptz'), c('dedupe_key', 'text'), c('capture_id', 'int'), c('adapter', 'text')];

/** What the feed needs to start: the mapping, pass 1's findings and the ids the database gave so far. */
export interface FeedStart {
  file: string;
  /** Pass 2 starts here (the checkpoint). */
  position: number;
  mapping: DumpMapping;
  columns: Array<[string, string[]]>;
  userHandle: Array<[string, string]>;
  vendorUser: Array<[string, string]>;
  account: Array<[string, number]>;
  /** Listing ids already in the store (a resumed run). */
  listingIds: Array<[string, number]>;
  tlp: boolean;
  ownedRow: BulkValue[];
  marketId: number;
  captureId: number;
  now: Date;
  /** The feedback statements' range (pass 1 saw it), if the mapping has feedback and the dump any. */
  feedback?: { offset: number; line: number; end: number };
  /** A resumed run may start past the orders: read the four columns feedback needs first. */
  ordersFirst: boolean;
  /** Keep the orders' four columns while pass 2 maps them (feedback refers to orders, not resumed past them). */
  fillOrders: boolean;
  /** Rows as COPY text (the store takes COPY); otherwise the row arrays themselves. */
  encode: boolean;
  /**
   * Tables that hold no row of this market yet (with `encode`): their rows are COPYed straight in. For orders and
   * feedback the feed drops what their ON CONFLICT … DO NOTHING would have skipped within a statement — a dump row
   * whose key (orders: external id; feedback: dedupe key) an earlier row of the statement had — keeping the first, as
   * the insert did. Messages keep every row: their ON CONFLICT … DO UPDATE refuses a key repeated within a statement,
   * so such a statement must fail as before. A key stored already (an earlier statement's, or one repeated within a
   * messages statement) fails the COPY: the main thread writes that statement through ON CONFLICT.
   */
  direct?: { orders: boolean; feedback: boolean; messages: boolean };
}

/** A statement of orders, messages or feedback, ready to write. */
export interface FeedBatch {
  t: 'batch';
  pass: 2 | 3;
  table: 'orders' | 'messages' | 'feedback';
  /** Byte offset after the statement (pass 2's checkpoint). */
  end: number;
  /** Dump rows of the statement. */
  count: number;
  encoded?: EncodedBatch;
  values?: BulkValue[][];
  scanned?: ScannedSightings;
  /**
   * COPY straight into the table (FeedStart.direct): the statement's rows (orders and feedback: its repeated keys
   * dropped); `inserted` is how many rows that is. Should a key be stored already, the main thread writes them through ON CONFLICT instead.
   */
  direct?: { inserted: number };
}
export type FeedItem =
  /**
   * Listings and wallets: the parsed rows, mapped on the main thread (the listings' snapshots need their new ids), and
   * their texts and wallet columns scanned (listingId left to the main thread); `read`: the wallet columns read.
   */
  | { t: 'rows'; table: string; cols: string[]; rows: SqlValue[][]; end: number; scanned: ScannedSightings; read?: number }
  | FeedBatch
  /** The feed has no listing ids at the start of pass 3: the main thread sends the store's (addListingIds). */
  | { t: 'listing-ids-please' }
  | { t: 'error'; error: SerializedError }
  | { t: 'end' };

/** The feed thread's answer to a scan (DumpFeed.scan), posted beside the feed's items. */
export type ScanReply = { t: 'scanned'; id: number; result: ScannedEach } | { t: 'scanned'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  line?: number;
  offset?: number;
  stack?: string;
}
export function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack, ...(e instanceof ImportFormatError ? { line: e.line, offset: e.offset } : {}) };
}
/** The error as it was thrown on the feed's thread: an ImportFormatError stays one (same message, line, offset). */
export function deserializeError(e: SerializedError): Error {
  if (e.name === 'ImportFormatError' && e.line !== undefined && e.offset !== undefined) {
    const out = Object.create(ImportFormatError.prototype) as ImportFormatError;
    Object.assign(out, { message: e.message, line: e.line, offset: e.offset, stack: e.stack });
    Object.defineProperty(out, 'name', { value: 'ImportFormatError', writable: true, configurable: true, enumerable: false });
    return out;
  }
  const out = new Error(e.message);
  out.name = e.name;
  if (e.stack) out.stack = e.stack;
  return out;
}

/**
 * Produces the feed of passes 2 and 3. `addListingIds` hands in the ids of each listings statement the main thread
 * wrote (one call per listings item, possibly empty); orders and feedback wait for all listings before them.
 */
export class DumpRows {
  private readonly columns: Map<string, string[]>;
  private readonly userHandle: Map<string, string>;
  private readonly vendorUser: Map<string, string>;
  private readonly account: Map<string, number>;
  private readonly listingIds: Map<string, number>;
  private readonly orderOf = new Map<string, { listing: SqlValue; vendor: SqlValue; buyer: SqlValue }>();
  private listingsSent = 0;
  private listingsBack = 0;
  private waiter: (() => void) | undefined;

  constructor(private readonly s: FeedStart) {
    this.columns = new Map(s.columns);
    this.userHandle = new Map(s.userHandle);
    this.vendorUser = new Map(s.vendorUser);
    this.account = new Map(s.account);
    this.listingIds = new Map(s.listingIds);
  }

  addListingIds(entries: Array<[string, number]>): void {
    for (const [k, v] of entries) this.listingIds.set(k, v);
    this.listingsBack++;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async allListingIds(): Promise<void> {
    while (this.listingsBack < this.listingsSent) await new Promise<void>((resolve) => (this.waiter = resolve));
  }

  private rowsOf(stmt: SqlStatement): { table: string; cols: string[]; rows: SqlValue[][] } | undefined {
    const ins = this.stepsOf(stmt);
    return ins && { table: ins.table, cols: ins.cols, rows: [...ins.steps].flat() };
  }

  /**
   * An INSERT statement's rows in steps of STEP_ROWS, cut to its columns (normalizeRows): a caller that maps and
   * encodes each step before it parses the next lets the step's arrays die young, where a whole statement's (~12,000
   * rows) outlived the young generation and were copied and promoted by the GC. Same rows and errors as parsing it
   * whole: a statement without columns throws after its parse errors, as then.
   */
  private stepsOf(stmt: SqlStatement): { table: string; cols: string[]; steps: Iterable<SqlValue[][]> } | undefined {
    const p = insertParser(stmt);
    if (!p) return undefined;
    const cols = p.columns ?? this.columns.get(p.table);
    if (!cols) {
      p.next(Infinity); // the statement's own parse errors come first
      throw noColumnList(stmt, p.table);
    }
    const width = cols.length;
    function* steps(): Generator<SqlValue[][]> {
      for (let rows = p!.next(STEP_ROWS); rows; rows = p!.next(STEP_ROWS)) {
        normalizeRows(rows, width);
        yield rows;
      }
    }
    return { table: p.table, cols, steps: steps() };
  }

  private keepOrders(ins: { cols: string[]; rows: SqlValue[][] }): void {
    const O = this.s.mapping.orders!;
    const at = columnFinder(ins.cols);
    const [id, listing, vendor, buyer] = [at(O.id), at(O.listing), at(O.vendor), at(O.buyer)];
    const get = (r: SqlValue[], i: number) => (i < 0 ? null : (r[i] ?? null));
    for (const r of ins.rows) this.orderOf.set(String(get(r, id)), { listing: get(r, listing), vendor: get(r, vendor), buyer: get(r, buyer) });
  }

  private vendorAccount(dumpVendorId: SqlValue | undefined): number | null {
    return this.account.get(this.vendorUser.get(String(dumpVendorId)) ?? '') ?? null;
  }

  /** A listings statement's texts to scan: one per listing (the last row of a repeated id), title and description. */
  private listingTexts(at: (name: string | undefined) => number, rows: SqlValue[][]): TextToScan[] {
    const L = this.s.mapping.listings!;
    const [id, vendor, title, description, created] = [at(L.id), at(L.vendor), at(L.title), at(L.description), at(L.created)];
    const byId = new Map(rows.map((r) => [String(r[id]), r]));
    return [...byId].map(([externalId, r]) => ({
      text: [listingTitle(r[title]), L.description ? toStr(r[description]) : null].filter(Boolean).join('\n'),
      html: 'auto',
      source: 'listing',
      vendorId: this.vendorAccount(r[vendor]),
      listingId: null,
      rowRef: `${L.table}:${externalId}`,
      observedAt: toDate(r[created]) ?? this.s.now,
    }));
  }

  /** A wallets statement's wallet columns, validated like any coin address (an invalid one is a reject, never a selector). */
  private walletColumns(at: (name: string | undefined) => number, rows: SqlValue[][]): ColumnToRead[] {
    const W = this.s.mapping.wallets!;
    const [id, user, address, currency] = [at(W.id), at(W.user), at(W.address), at(W.currency)];
    return rows.flatMap((r, i): ColumnToRead[] => {
      const raw = toStr(r[address]) ?? '';
      if (!raw.trim()) return [];
      const row = W.id ? String(r[id]) : `${String(r[user])}#${i}`;
      return [{ column: 'wallet', raw, currency: W.currency ? toStr(r[currency]) : null, source: 'dump', vendorId: this.account.get(String(r[user])) ?? null, rowRef: `${W.table}:${row}`, observedAt: this.s.now }];
    });
  }

  /**
   * One statement's batch, built a step at a time (stepsOf): `add` each step's mapped rows (and their scanned
   * sightings), then `finish`. Direct (FeedStart.direct): with `keyAt`, only the first row of each key is written, as
   * ON CONFLICT DO NOTHING would keep it. Keys of earlier statements are not remembered (memory stays bounded by a
   * statement): one stored before fails the COPY, and the main thread writes the statement through ON CONFLICT.
   */
  private builder(pass: 2 | 3, table: FeedBatch['table'], columns: BulkColumn[], direct?: { keyAt?: number }) {
    const encoder = this.s.encode ? new BatchEncoder([...ownedColumns(this.s.tlp), ...columns]) : undefined;
    const kept: BulkValue[][] = [];
    const keyAt = direct?.keyAt;
    const seen = keyAt === undefined ? undefined : new Set<string>();
    const scanned: ScannedSightings = { found: [], rejected: [] };
    let count = 0;
    let inserted = 0;
    let anyScan = false;
    return {
      add(values: BulkValue[][], scan?: ScannedSightings): void {
        count += values.length;
        let rows = values;
        if (seen) {
          rows = values.filter((v) => {
            const key = String(v[keyAt!]);
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          });
        }
        inserted += rows.length;
        if (encoder) encoder.add(rows);
        else for (const v of rows) kept.push(v);
        if (scan) {
          anyScan = true;
          for (const f of scan.found) scanned.found.push(f);
          for (const f of scan.rejected) scanned.rejected.push(f);
        }
      },
      finish: (end: number): FeedBatch => ({
        t: 'batch',
        pass,
        table,
        end,
        count,
        ...(encoder ? { encoded: encoder.finish() } : { values: kept }),
        ...(direct ? { direct: { inserted } } : {}),
        ...(anyScan ? { scanned } : {}),
      }),
    };
  }

  async *run(): AsyncGenerator<FeedItem> {
    try {
      yield* this.passes();
      yield { t: 'end' };
    } catch (err) {
      yield { t: 'error', error: serializeError(err) };
    }
  }

  private async *passes(): AsyncGenerator<FeedItem> {
    const { mapping: m, ownedRow, marketId, captureId, now } = this.s;
    if (this.s.ordersFirst) {
      for await (const stmt of sqlStatements(this.s.file)) {
        if (insertTarget(stmt.text) !== m.orders!.table) continue;
        const ins = this.rowsOf(stmt);
        if (ins) this.keepOrders(ins);
      }
    }
    const mapped = new Set([m.listings?.table, m.orders?.table, m.messages?.table, m.wallets?.table].filter((t): t is string => !!t));
    // Pass 2: the mapped tables, from the checkpoint.
    for await (const stmt of sqlStatements(this.s.file, this.s.position, 1)) {
      const head = insertTarget(stmt.text);
      if (head === undefined || !mapped.has(head)) continue;
      const ins = this.stepsOf(stmt);
      if (!ins) continue;
      const at = columnFinder(ins.cols);
      if (m.orders && ins.table === m.orders.table) {
        const O = m.orders;
        const [id, listing, vendor, buyer, country, quantity, price, date, status] =
          [at(O.id), at(O.listing), at(O.vendor), at(O.buyer), at(O.country), at(O.quantity), at(O.price), at(O.date), at(O.status)];
        const out = this.builder(2, 'orders', ORDER_COLUMNS, this.s.direct?.orders ? { keyAt: ownedRow.length + 1 } : undefined);
        for (const rows of ins.steps) {
          if (this.s.fillOrders) this.keepOrders({ cols: ins.cols, rows });
          // Orders name listings by their ids: every listings statement before them must be written first.
          await this.allListingIds();
          out.add(rows.map((r): BulkValue[] => [
            ...ownedRow,
            marketId,
            String(r[id]),
            O.listing ? (this.listingIds.get(String(r[listing])) ?? null) : null,
            O.vendor ? this.vendorAccount(r[vendor]) : null,
            O.buyer ? (this.userHandle.get(String(r[buyer])) ?? toStr(r[buyer])) : null,
            toStr(r[country])?.toUpperCase() ?? null,
            toNum(r[quantity]),
            toNum(r[price]),
            O.currency,
            toDate(r[date]),
            toStr(r[status]),
            captureId,
          ]));
        }
        yield out.finish(stmt.end);
      } else if (m.messages && ins.table === m.messages.table) {
        const M = m.messages;
        const [id, sender, recipient, subject, body, date] = [at(M.id), at(M.sender), at(M.recipient), at(M.subject), at(M.body), at(M.date)];
        const o0 = ownedRow.length; // market_id, external_id, vendor_id, sender, recipient, thread, sent_at, body, capture_id follow
        const out = this.builder(2, 'messages', MESSAGE_COLUMNS, this.s.direct?.messages ? {} : undefined);
        for (const rows of ins.steps) {
          const values = rows.map((r): BulkValue[] => [
            ...ownedRow,
            marketId,
            String(r[id]),
            this.account.get(String(r[sender])) ?? null,
            this.userHandle.get(String(r[sender])) ?? toStr(r[sender]),
            M.recipient ? (this.userHandle.get(String(r[recipient])) ?? toStr(r[recipient])) : null,
            toStr(r[subject]),
            toDate(r[date]),
            String(r[body] ?? ''),
            captureId,
          ]);
          out.add(values, await scanSightings(values.map((v) => ({
            text: [v[o0 + 5] as string | null, v[o0 + 7] as string].filter(Boolean).join('\n'), html: 'auto', source: 'message', vendorId: v[o0 + 2] as number | null, messageId: null, rowRef: `${M.table}:${v[o0 + 1] as string}`, observedAt: (v[o0 + 6] as Date | null) ?? now,
          }))));
        }
        yield out.finish(stmt.end);
      } else {
        // Listings and wallets: the whole statement's rows, mapped on the main thread, their selectors scanned here.
        const rows = [...ins.steps].flat();
        const item = { t: 'rows' as const, table: ins.table, cols: ins.cols, rows, end: stmt.end };
        if (m.listings && ins.table === m.listings.table) {
          this.listingsSent++;
          yield { ...item, scanned: await scanSightings(this.listingTexts(at, rows)) };
        } else {
          const columns = this.walletColumns(at, rows);
          yield { ...item, scanned: await scanSightings([], columns), read: columns.length };
        }
      }
    }

    // Pass 3: feedback, which mysqldump's alphabetical order puts before the listings and orders it refers to.
    const F = m.feedback;
    const range = this.s.feedback;
    if (!F || !range) return;
    await this.allListingIds();
    if (this.listingIds.size === 0 && m.listings) {
      this.listingsSent++;
      yield { t: 'listing-ids-please' };
      await this.allListingIds();
    }
    for await (const stmt of sqlStatements(this.s.file, range.offset, range.line)) {
      if (stmt.offset >= range.end) break; // past the last feedback statement (pass 1 saw where it ends)
      if (insertTarget(stmt.text) !== F.table) continue;
      const ins = this.stepsOf(stmt);
      if (!ins) continue;
      const at = columnFinder(ins.cols);
      const [id, orderCol, listingCol, vendorCol, buyerCol, ratingCol, bodyCol, hiddenCol, dateCol] =
        [at(F.id), at(F.order), at(F.listing), at(F.vendor), at(F.buyer), at(F.rating), at(F.body), at(F.hidden), at(F.date)];
      // market_id, vendor_id, listing_id, rating, body, hidden, buyer, left_at, dedupe_key, capture_id, adapter
      // after the owner columns (o0).
      const o0 = ownedRow.length;
      const out = this.builder(3, 'feedback', FEEDBACK_COLUMNS, this.s.direct?.feedback ? { keyAt: o0 + 8 } : undefined);
      for (const rows of ins.steps) {
        const values = rows.map((r): BulkValue[] => {
          const order = F.order ? this.orderOf.get(String(r[orderCol])) : undefined;
          const listing = F.listing ? r[listingCol] : order?.listing;
          const vendor = F.vendor ? r[vendorCol] : order?.vendor;
          const buyer = F.buyer ? r[buyerCol] : order?.buyer;
          const hidden = F.hidden ? r[hiddenCol] : null;
          return [
            ...ownedRow,
            marketId,
            vendor === null || vendor === undefined ? null : this.vendorAccount(vendor),
            listing === null || listing === undefined ? null : (this.listingIds.get(String(listing)) ?? null),
            toNum(r[ratingCol]),
            F.body ? toStr(r[bodyCol]) : null,
            hidden === null || hidden === undefined ? null : !['0', 'false', ''].includes(String(hidden).toLowerCase()),
            buyer === null || buyer === undefined ? null : (this.userHandle.get(String(buyer)) ?? String(buyer)),
            toDate(r[dateCol]),
            `${F.table}:${String(r[id])}`,
            captureId,
            'import:dump',
          ];
        });
        // Only the sightings of rows this run inserts are saved (the main thread filters by the inserted keys).
        out.add(values, await scanSightings(values.flatMap((v): TextToScan[] => {
          const body = v[o0 + 4] as string | null;
          return body ? [{ text: body, html: 'auto', source: 'feedback', vendorId: v[o0 + 1] as number | null, listingId: v[o0 + 2] as number | null, rowRef: v[o0 + 8] as string, observedAt: (v[o0 + 7] as Date | null) ?? now }] : [];
        })));
      }
      yield out.finish(stmt.end);
    }
  }
}

export type { ColumnToRead };
