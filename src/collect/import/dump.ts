import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sql, type Kysely, type Transaction } from 'kysely';
import { bulkInsert, bulkInsertEncoded, canBatchReferenceChecks, copyEncodedInto, canCopyFromStdin, maintainAfterBulkWrite, pgliteOf, type BulkColumn, type BulkOptions, type BulkValue, type Database } from '../../store/index.ts';
import { saveScanned, type ColumnToRead, type ScannedSightings, type TextToScan } from '../../extract/store/index.ts';
import { beginImport, normHandle, saveCheckpoint, upsertVendors, type ImportOptions, type ImportSummary } from './common.ts';
import { insertTarget, parseCreateTable, parseInsert, sqlStatements, type SqlStatement, type SqlValue } from './sql-tokenizer.ts';
import { columnFinder, columnsOf, FEEDBACK_COLUMNS, listingTitle, MESSAGE_COLUMNS, normalizeRows, ORDER_COLUMNS, sightingsOfRows, toDate, toNum, toStr, type FeedBatch } from './dump-rows.ts';
import { openDumpFeed, type DumpFeed } from './dump-feed.ts';

const col = z.string().min(1);
/** Which dump table/columns feed which part of our model. Only `users` is required. */
export const DumpMappingSchema = z.object({
  users: z.object({ table: col, id: col, handle: col }),
  vendors: z.object({ table: col, id: col, user: col, profile: col.optional(), pgp: col.optional() }).optional(),
  listings: z
    .object({ table: col, id: col, vendor: col, title: col, description: col.optional(), category: col.optional(), quantity: col.optional(), unit: col.optional(), price: col.optional(), currency: z.string().default('USD'), created: col.optional(), shipsFrom: col.optional(), shipsTo: col.optional() })
    .optional(),
  orders: z
    .object({ table: col, id: col, listing: col.optional(), vendor: col.optional(), buyer: col.optional(), country: col.optional(), quantity: col.optional(), price: col.optional(), currency: z.string().default('USD'), date: col.optional(), status: col.optional() })
    .optional(),
  messages: z.object({ table: col, id: col, sender: col, recipient: col.optional(), subject: col.optional(), body: col, date: col.optional() }).optional(),
  wallets: z.object({ table: col, id: col.optional(), user: col, address: col, currency: col.optional() }).optional(),
  /** Feedback rows; `order` ties one to an order row (its listing, vendor and buyer) when the table has no own. */
  feedback: z
    .object({ table: col, id: col, order: col.optional(), listing: col.optional(), vendor: col.optional(), buyer: col.optional(), rating: col.optional(), body: col.optional(), hidden: col.optional(), date: col.optional() })
    .optional(),
});
export type DumpMapping = z.infer<typeof DumpMappingSchema>;

/** The mapping of the sim's seized-market dump (docs/collect.md shows it as a file). */
export const SIM_SEIZED_MAPPING: DumpMapping = DumpMappingSchema.parse({
  users: { table: 'users', id: 'id', handle: 'username' },
  vendors: { table: 'vendors', id: 'id', user: 'user_id', profile: 'profile', pgp: 'pgp_key' },
  listings: { table: 'listings', id: 'id', vendor: 'vendor_id', title: 'title', description: 'description', category: 'category', quantity: 'quantity', unit: 'unit', price: 'price_usd', currency: 'USD', created: 'created_at', shipsFrom: 'ships_from', shipsTo: 'ships_to' },
  orders: { table: 'orders', id: 'id', listing: 'listing_id', vendor: 'vendor_id', buyer: 'buyer_id', country: 'ship_country', quantity: 'units', price: 'price_usd', currency: 'USD', date: 'created_at', status: 'status' },
  messages: { table: 'messages', id: 'id', sender: 'sender_id', recipient: 'recipient_id', subject: 'subject', body: 'body', date: 'created_at' },
  wallets: { table: 'wallets', id: 'id', user: 'user_id', address: 'address', currency: 'currency' },
  feedback: { table: 'feedback', id: 'id', order: 'order_id', rating: 'rating', body: 'comment', hidden: 'hidden', date: 'created_at' },
});

/** What a dump holds that the mapping does not import: whole tables (with their row counts) and columns. */
export interface DumpNotImported {
  tables: Array<{ table: string; rows: number }>;
  columns: Array<{ table: string; columns: string[] }>;
}

/** The dump columns each mapped table reads. */
export function mappedColumns(m: DumpMapping): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const parts: Array<Record<string, unknown> | undefined> = [m.users, m.vendors, m.listings, m.orders, m.messages, m.wallets, m.feedback];
  for (const p of parts) {
    if (!p) continue;
    const table = String(p.table);
    const set = out.get(table) ?? new Set<string>();
    // 'currency' of listings/orders is a constant (the price unit), not a column.
    const constant = (p === m.listings || p === m.orders) ? new Set(['currency']) : new Set<string>();
    for (const [k, v] of Object.entries(p)) if (k !== 'table' && !constant.has(k) && typeof v === 'string') set.add(v);
    out.set(table, set);
  }
  return out;
}

export function loadDumpMapping(file: string): DumpMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`mapping ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const r = DumpMappingSchema.safeParse(raw);
  if (!r.success) throw new Error(`mapping ${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export interface DumpImportOptions extends ImportOptions {
  mapping: DumpMapping;
}


/**
 * Imports a seized market's mysqldump, streaming (memory bounded by the largest statement plus one map entry per
 * user and vendor), resumable from the last committed statement. Pass 1 reads only the users/vendors tables (the
 * dump is alphabetical, so listings come before the vendors they reference); pass 2 imports everything.
 */
export interface DumpImportSummary extends ImportSummary {
  /** Tables and columns of the dump the mapping does not import (nothing is dropped without a word). */
  notImported: DumpNotImported;
  /** Accounts whose handles differ only in case or Unicode form: kept apart (a linking hint, never a merge). */
  caseFolded: Array<{ handle: string; accounts: Array<{ id: string; handle: string }> }>;
}

/** Rows built between two chances for the event loop to run (see breathe). */
const STEP_ROWS = 1000;
let lastBreath = 0;
/**
 * Lets pending I/O run when the client has worked ~5 ms since it last did: the import's write in flight is a chain
 * of statements, the next one sent only when the event loop reads the server's answer to the previous one. Await
 * of an already-settled promise does not do that (microtasks run before I/O): setImmediate does.
 */
async function breathe(): Promise<void> {
  const now = performance.now();
  if (now - lastBreath < 5) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastBreath = performance.now();
}
/** items.map(fn), with breathe every STEP_ROWS items. */
async function mapStepped<T, U>(items: readonly T[], fn: (item: T) => U): Promise<U[]> {
  const out: U[] = new Array<U>(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!);
    if (i % STEP_ROWS === STEP_ROWS - 1) await breathe();
  }
  return out;
}
/** One INSERT statement's rows (the tokenizer's arrays) and the position of a dump column in them. */
interface StatementRows {
  table: string;
  rows: SqlValue[][];
  col: (name: string | undefined) => number;
}

export async function importMysqlDump(o: DumpImportOptions): Promise<DumpImportSummary> {
  // The feed's thread (passes 2 and 3) loads its modules while pass 1 runs; it is given its work after the accounts.
  const feed = openDumpFeed();
  try {
    return await importDump(o, feed);
  } finally {
    await feed.close();
  }
}

async function importDump(o: DumpImportOptions, feed: DumpFeed): Promise<DumpImportSummary> {
  const started = Date.now();
  const m = o.mapping;
  // Pass 1 (below) reads only the file, so it runs while beginImport hashes the file and preserves it as evidence
  // (a compressed copy: about a second of waiting for a 15 MiB dump); it stops early when the import is already done.
  const begun = beginImport('dump', o, 'seized_db', path.basename(o.file).replace(/\.sql$/i, '') + '-seized', 'application/sql', { mapping: m });
  let stopPass1 = false;
  void begun.then((r) => (stopPass1 = r.done), () => (stopPass1 = true));

  // Pass 1: table columns, users and vendors (and orders when feedback refers to them); rows of unmapped tables counted.
  const used = mappedColumns(m);
  const unmappedRows = new Map<string, number>();
  const columns = new Map<string, string[]>();
  const F = m.feedback;
  const feedsOrders = !!(F?.order && m.orders);
  let feedbackStart: { offset: number; line: number } | undefined;
  let feedbackEnd = 0;
  const userHandle = new Map<string, string>();
  const vendorUser = new Map<string, string>();
  const vendorProfile = new Map<string, { vendorRow: string; profile: string; pgp: string }>();
  // Rows stay the tokenizer's value arrays (no record per row): a column is read by its position, found once per
  // statement (`col`: -1 when the statement has no such column, read as undefined, as a missing key was).
  const rowsOf = (stmt: SqlStatement): StatementRows | undefined => {
    const ins = parseInsert(stmt);
    if (!ins) return undefined;
    const cols = columnsOf(columns, stmt, ins.table, ins.columns);
    normalizeRows(ins.rows, cols.length);
    return { table: ins.table, rows: ins.rows, col: columnFinder(cols) };
  };
  const pass1 = async () => {
    for await (const stmt of sqlStatements(o.file)) {
      if (stopPass1) break;
      if (/^CREATE\s+TABLE/i.test(stmt.text)) {
        const t = parseCreateTable(stmt.text);
        if (t) columns.set(t.table, t.columns);
        continue;
      }
      const head = insertTarget(stmt.text);
      if (head === undefined) continue;
      if (F && head === F.table) {
        feedbackStart ??= { offset: stmt.offset, line: stmt.line };
        feedbackEnd = stmt.end;
      }
      if (!used.has(head)) {
        unmappedRows.set(head, (unmappedRows.get(head) ?? 0) + (parseInsert(stmt)?.rows.length ?? 0));
        continue;
      }
      if (head === m.orders?.table) continue;
      if (head !== m.users.table && head !== m.vendors?.table) continue;
      const ins = rowsOf(stmt);
      if (!ins) continue;
      if (ins.table === m.users.table) {
        const [id, handle] = [ins.col(m.users.id), ins.col(m.users.handle)];
        for (const r of ins.rows) userHandle.set(String(r[id]), toStr(r[handle]) ?? '');
      } else if (m.vendors) {
        const V = m.vendors;
        const [id, user, profile, pgp] = [ins.col(V.id), ins.col(V.user), ins.col(V.profile), ins.col(V.pgp)];
        for (const r of ins.rows) {
          vendorUser.set(String(r[id]), String(r[user]));
          vendorProfile.set(String(r[user]), { vendorRow: String(r[id]), profile: toStr(r[profile]) ?? '', pgp: toStr(r[pgp]) ?? '' });
        }
      }
    }
  };
  const read = pass1();
  // The vendors' profiles and PGP columns are scanned on the feed's thread (idle until it starts) while beginImport
  // preserves the file; each result gets its account once the accounts are written (below).
  const now = new Date();
  const scanProfiles = async () => {
    const texts: TextToScan[] = [];
    const columns: ColumnToRead[] = [];
    const byText: string[] = [];
    const byColumn: string[] = [];
    for (const uid of userHandle.keys()) {
      const p = vendorProfile.get(uid);
      if (!p || !m.vendors) continue;
      const origin = { source: 'profile' as const, vendorId: null, rowRef: `${m.vendors.table}:${p.vendorRow}`, observedAt: now };
      if (p.profile) {
        texts.push({ ...origin, text: p.profile, html: 'auto' });
        byText.push(uid);
      }
      if (p.pgp) {
        columns.push({ ...origin, column: 'pgp', raw: p.pgp });
        byColumn.push(uid);
      }
    }
    const r = await feed.scan(texts, columns);
    return { text: new Map(byText.map((uid, i) => [uid, r.texts[i]!])), column: new Map(byColumn.map((uid, i) => [uid, r.columns[i]!])) };
  };
  const profiles = read.then(scanProfiles);
  profiles.catch(() => undefined); // awaited below, unless the import stops before
  // beginImport's failure first (as when it ran before pass 1), then pass 1's.
  const [begunR, readR] = await Promise.allSettled([begun, read]);
  if (begunR.status === 'rejected') throw begunR.reason;
  const run = begunR.value;
  const base = { kind: 'dump' as const, file: o.file, fileSha256: run.fileSha256, marketId: run.marketId, market: run.slug, captureId: run.captureId };
  if (run.done) return { ...base, rows: run.rows, counts: {}, resumedFrom: run.position, alreadyImported: true, durationMs: Date.now() - started, bytes: 0, notImported: { tables: [], columns: [] }, caseFolded: [] };
  if (readR.status === 'rejected') throw readR.reason;
  // From the start, the feed keeps the orders' columns feedback needs while pass 2 maps them (feedback is pass 3); a
  // resumed run may start past them, so the feed reads them first.
  const ordersFirst = feedsOrders && run.position > 0;

  // Foreign keys checked once per batch, not per row, where the session may; rows sent by COPY into a staging table
  // and moved by one insert … select (store/bulk.ts: BulkOptions).
  // On PGlite the COPY goes to the engine itself, from '/dev/blob' (its node-postgres adapter has no COPY FROM STDIN).
  const pglite = pgliteOf(o.db);
  const fk: BulkOptions = {
    batchedReferences: await canBatchReferenceChecks(o.db),
    copy: await canCopyFromStdin(o.db),
    ...(pglite ? { copyBlob: (text: string, data: Buffer) => pglite.query(text, [], { blob: new Blob([data as unknown as BlobPart]) }) } : {}),
  };

  // Accounts for every user (idempotent), with vendor profiles and PGP keys in the profile text.
  const counts: Record<string, number> = { accounts: 0, listings: 0, orders: 0, messages: 0, wallets: 0, selectors: 0, sightings: 0, rejects: 0 };
  const tally = (r: { selectors: number; sightings: number; rejects: number }) => {
    counts.selectors = (counts.selectors ?? 0) + r.selectors;
    counts.sightings = (counts.sightings ?? 0) + r.sightings;
    counts.rejects = (counts.rejects ?? 0) + r.rejects;
  };
  const account = new Map<string, number>();
  const common = { agencyId: o.agencyId, tlp: o.tlp, marketId: run.marketId, captureId: run.captureId };
  const users = [...userHandle];
  // An account is its database row: users whose handles fold alike (Alice, alice, ALICE in a utf8mb4_bin column)
  // stay apart, each keyed "<folded> [<user id>]"; the folding is left to the linker as a hint.
  const byFold = new Map<string, string[]>();
  for (const [uid, handle] of users) {
    const fold = normHandle(handle.slice(0, 200) || '(unnamed)');
    byFold.set(fold, [...(byFold.get(fold) ?? []), uid]);
  }
  const keyOf = (uid: string): string => {
    const fold = normHandle((userHandle.get(uid) ?? '').slice(0, 200) || '(unnamed)');
    return (byFold.get(fold)?.length ?? 0) > 1 ? `${fold} [${uid}]` : fold;
  };
  const caseFolded = [...byFold].filter(([, ids]) => ids.length > 1).map(([fold, ids]) => ({ handle: fold, accounts: ids.map((id) => ({ id, handle: userHandle.get(id) ?? '' })) }));
  const scans = await profiles;
  for (let i = 0; i < users.length; i += 5000) {
    const slice = users.slice(i, i + 5000);
    await o.db.transaction().execute(async (trx) => {
      const ids = await upsertVendors(trx, { ...common, at: now }, slice.map(([uid, handle]) => {
        const p = vendorProfile.get(uid);
        return { handle, key: keyOf(uid), externalId: uid, profile: p ? [p.profile, p.pgp].filter(Boolean).join('\n\n') : '' };
      }), fk);
      for (const [uid] of slice) account.set(uid, ids.get(keyOf(uid))!);
      // Selectors of vendor profiles and PGP columns, each sighting naming the dump's vendors row and its account:
      // the slice's profile texts, then its PGP columns, as one scan of them would list them.
      const scanned: ScannedSightings = { found: [], rejected: [] };
      for (const byUser of [scans.text, scans.column]) {
        for (const [uid] of slice) {
          const r = byUser.get(uid);
          if (!r) continue;
          const vendorId = account.get(uid)!;
          for (const f of r.found) scanned.found.push({ ...f, vendorId });
          for (const f of r.rejected) scanned.rejected.push({ ...f, vendorId });
        }
      }
      tally(await saveScanned(trx, { ...common, captureId: run.captureId }, scanned, fk));
    });
  }
  const vendorAccount = (dumpVendorId: SqlValue | undefined) => account.get(vendorUser.get(String(dumpVendorId)) ?? '') ?? null;
  const listingIds = new Map<string, number>();
  // Ships-from/to of a listing row (ISO codes; ships_to a comma list), kept on its snapshot: the seized-data
  // split (src/exchange/split) places vendors by the countries they ship from.
  const shipsFrom = (v: SqlValue | undefined) => toStr(v)?.trim().toUpperCase() || null;
  const shipsTo = (v: SqlValue | undefined) => (toStr(v) ?? '').split(/[,;\s]+/).map((c) => c.trim().toUpperCase()).filter(Boolean);

  // Pass 2: everything else, from the checkpoint.
  counts.accounts = account.size;
  let rows = run.rows;
  /**
   * The main thread's share of a listings or wallets statement (the feed's thread parses them and scans their texts
   * and wallet columns for selectors): listing rows built; `write` then completes the scanned origins with the new
   * ids and saves.
   */
  interface Prepared {
    values?: BulkValue[][];
    scanned: ScannedSightings;
    /** Wallets only: the wallet columns read. */
    read?: number;
    /** Listings only: the statement's rows by dump id (one statement may not update a row twice). */
    byId?: Map<string, SqlValue[]>;
  }
  const prepare = async (ins: StatementRows, { scanned, read }: { scanned: ScannedSightings; read?: number }): Promise<Prepared> => {
    const at = ins.col;
    if (m.listings && ins.table === m.listings.table) {
      const L = m.listings;
      const [id, vendor, title, description, category, quantity, unit, created] = [at(L.id), at(L.vendor), at(L.title), at(L.description), at(L.category), at(L.quantity), at(L.unit), at(L.created)];
      const byId = new Map(ins.rows.map((r) => [String(r[id]), r]));
      const values = await mapStepped([...byId], ([externalId, r]): BulkValue[] => {
        const seen = toDate(r[created]) ?? now;
        return [...ownedRow, run.marketId, vendorAccount(r[vendor]), externalId, listingTitle(r[title]), L.description ? toStr(r[description]) : null, toStr(r[category]), toNum(r[quantity]), toStr(r[unit]), seen, seen, run.captureId, 'import:dump'];
      });
      return { values, scanned, byId };
    }
    return { scanned, read };
  };
  /**
   * The ids of the messages a statement COPYed straight in that its sightings name (by their row references,
   * `table:dump id`): every dump id of the statement is new to the market, so each names one row.
   */
  const messageIdsOf = async (trx: Transaction<Database>, scanned: ScannedSightings): Promise<Map<string, number>> => {
    const prefix = m.messages!.table.length + 1;
    const keys = [...new Set([...scanned.found, ...scanned.rejected].map((f) => (f.rowRef ?? '').slice(prefix)))];
    if (keys.length === 0) return new Map();
    const found = await sql<{ id: string; external_id: string }>`select id, external_id from messages where market_id = ${run.marketId} and external_id = any(${keys}::text[])`.execute(trx);
    return new Map(found.rows.map((r) => [r.external_id, Number(r.id)]));
  };
  /** Sets the id of each scanned origin from its row reference (`table:dump id`) once the rows are saved. */
  const completeOrigins = (scanned: ScannedSightings, table: string, field: 'listingId' | 'messageId', ids: Map<string, number>) => {
    const prefix = table.length + 1;
    for (const f of scanned.found) f[field] = ids.get((f.rowRef ?? '').slice(prefix)) ?? null;
    for (const f of scanned.rejected) f[field] = ids.get((f.rowRef ?? '').slice(prefix)) ?? null;
  };
  const write = async (trx: Transaction<Database>, ins: StatementRows, ready: Prepared): Promise<Array<[string, number]>> => {
    let written: Array<[string, number]> = [];
    const table = ins.table;
    const recs = ins.rows;
    const at = ins.col;
    if (m.listings && table === m.listings.table) {
      const L = m.listings;
      const [price, created, from, to] = [at(L.price), at(L.created), at(L.shipsFrom), at(L.shipsTo)];
      const byId = ready.byId!;
      const values = ready.values!;
      const saved = await bulkInsert<{ id: number; external_id: string }>(
        trx,
        'listings',
        [...OWNED, c('market_id', 'int'), c('vendor_id', 'int'), c('external_id', 'text'), c('title', 'text'), c('description', 'text'), c('category', 'text'), c('quantity', 'numeric'), c('unit', 'text'), c('first_seen', 'timestamptz'), c('last_seen', 'timestamptz'), c('capture_id', 'int'), c('adapter', 'text')],
        values,
        sql`on conflict (market_id, external_id) do update set title = excluded.title returning id, external_id`,
        fk,
      );
      for (const l of saved) listingIds.set(l.external_id, l.id);
      written = saved.map((l) => [l.external_id, l.id]);
      const snapshots: BulkValue[][] = [];
      for (const [externalId, r] of byId) {
        const p = toNum(r[price]);
        const listingId = listingIds.get(externalId);
        if (p === null || listingId === undefined) continue;
        snapshots.push([...ownedRow, listingId, toDate(r[created]) ?? now, p, L.currency, L.currency === 'USD' ? p : null, L.shipsFrom ? shipsFrom(r[from]) : null, L.shipsTo ? shipsTo(r[to]) : [], run.captureId, 'import:dump']);
      }
      await bulkInsert(
        trx,
        'listing_snapshots',
        [...OWNED, c('listing_id', 'int'), c('observed_at', 'timestamptz'), c('price', 'numeric'), c('currency', 'text'), c('price_usd', 'numeric'), c('ships_from', 'text'), c('ships_to', 'text[]'), c('capture_id', 'int'), c('adapter', 'text')],
        snapshots,
        sql`on conflict do nothing`,
        fk,
      );
      completeOrigins(ready.scanned, L.table, 'listingId', listingIds);
      tally(await saveScanned(trx, { ...common, captureId: run.captureId }, ready.scanned, fk));
      counts.listings = (counts.listings ?? 0) + recs.length;
    } else if (m.wallets && table === m.wallets.table) {
      tally(await saveScanned(trx, { ...common, captureId: run.captureId }, ready.scanned, fk));
      counts.wallets = (counts.wallets ?? 0) + (ready.read ?? 0);
    }
    return written;
  };
  // tlp left to the column default when the import names none (as an insert without it would).
  const c = (name: string, type: BulkColumn['type']): BulkColumn => ({ name, type });
  const OWNED: BulkColumn[] = o.tlp ? [c('agency_id', 'int'), c('tlp', 'text')] : [c('agency_id', 'int')];
  const ownedRow: BulkValue[] = o.tlp ? [o.agencyId, o.tlp] : [o.agencyId];

  // Listings must be known for orders even when resuming past them: reload their ids.
  if (run.position > 0 && m.listings) {
    for (const l of await o.db.selectFrom('listings').select(['id', 'external_id']).where('market_id', '=', run.marketId).execute()) listingIds.set(l.external_id, l.id);
  }
  /** A statement of orders, messages or feedback as the feed made it: COPY text (or rows) into `table`. */
  const insertBatch = <R>(trx: Transaction<Database>, item: FeedBatch, columns: BulkColumn[], tail: ReturnType<typeof sql>) =>
    item.encoded ? bulkInsertEncoded<R>(trx, item.table, [...OWNED, ...columns], item.encoded, tail, fk) : bulkInsert<R>(trx, item.table, [...OWNED, ...columns], item.values!, tail, fk);
  // Pass 2 (the mapped tables, from the checkpoint) and pass 3 (feedback, which mysqldump's alphabetical order puts
  // before the listings and orders it refers to; idempotent, one row per dump row by its key, so a resumed run simply
  // reads it again). The feed's thread reads, parses and maps the statements a few ahead while this thread writes
  // them, one transaction per statement, in file order; pass 2 commits its checkpoint with each statement.
  if (F && feedbackStart) counts.feedback = 0;
  // Orders, messages and feedback of a market that has none stored yet are COPYed straight into their tables (no
  // staging copy, no ON CONFLICT: the feed drops a statement's repeated order and feedback keys as the conflict clause
  // did; a key stored already fails the COPY on the unique index, and that statement is written again through ON
  // CONFLICT: directOr). FeedStart.direct says which keys and why.
  const encode = !!(fk.copy || fk.copyBlob);
  const noneYet = async (table: 'orders' | 'messages' | 'feedback') => (await o.db.selectFrom(table).select('id').where('market_id', '=', run.marketId).limit(1).executeTakeFirst()) === undefined;
  const direct = {
    orders: encode && !!m.orders && (await noneYet('orders')),
    messages: encode && !!m.messages && (await noneYet('messages')),
    feedback: encode && !!F && (await noneYet('feedback')),
  };
  feed.start({
    file: o.file,
    position: run.position,
    mapping: m,
    columns: [...columns],
    userHandle: [...userHandle],
    vendorUser: [...vendorUser],
    account: [...account],
    listingIds: [...listingIds],
    tlp: !!o.tlp,
    ownedRow,
    marketId: run.marketId,
    captureId: run.captureId,
    now,
    ...(F && feedbackStart ? { feedback: { ...feedbackStart, end: feedbackEnd } } : {}),
    ordersFirst,
    fillOrders: feedsOrders && !ordersFirst,
    encode,
    direct,
  });
  /**
   * A statement of orders or feedback COPYed straight in (FeedBatch.direct), or, when that met a key already stored
   * (an earlier statement's, or another import's of the same market) or the market was not fresh, written through
   * ON CONFLICT, which skips such rows as the direct path's duplicate check on the feed did; one transaction.
   */
  const directOr = async <T>(batch: FeedBatch, direct: (trx: Transaction<Database>) => Promise<T>, conflict: (trx: Transaction<Database>) => Promise<T>): Promise<T> => {
    if (batch.direct) {
      try {
        return await o.db.transaction().execute(direct);
      } catch (err) {
        if ((err as { code?: unknown }).code !== '23505') throw err; // unique_violation: the transaction rolled back
      }
    }
    return o.db.transaction().execute(conflict);
  };
  for (let item = await feed.next(); item.t !== 'end'; item = await feed.next()) {
    if (item.t === 'listing-ids-please') {
      if (listingIds.size === 0 && m.listings) {
        for (const l of await o.db.selectFrom('listings').select(['id', 'external_id']).where('market_id', '=', run.marketId).execute()) listingIds.set(l.external_id, l.id);
      }
      feed.addListingIds([...listingIds]);
      continue;
    }
    if (item.t === 'rows') {
      const ins: StatementRows = { table: item.table, rows: item.rows, col: columnFinder(item.cols) };
      const ready = await prepare(ins, item);
      const end = item.end;
      const written = await o.db.transaction().execute(async (trx) => {
        const w = await write(trx, ins, ready);
        rows += ins.rows.length;
        await saveCheckpoint(trx, run.checkpointId, end, rows);
        return w;
      });
      if (ins.table === m.listings?.table) feed.addListingIds(written);
      o.onProgress?.({ bytes: end, totalBytes: run.totalBytes, rows });
      continue;
    }
    const batch = item;
    if (batch.table === 'orders') {
      await directOr(
        batch,
        async (trx) => {
          await copyEncodedInto(trx, 'orders', [...OWNED, ...ORDER_COLUMNS], batch.encoded!, fk);
          await saveCheckpoint(trx, run.checkpointId, batch.end, rows + batch.count);
        },
        async (trx) => {
          await insertBatch(trx, batch, ORDER_COLUMNS, sql`on conflict (market_id, external_id) do nothing`);
          await saveCheckpoint(trx, run.checkpointId, batch.end, rows + batch.count);
        },
      );
      counts.orders = (counts.orders ?? 0) + batch.count;
      rows += batch.count;
      o.onProgress?.({ bytes: batch.end, totalBytes: run.totalBytes, rows });
    } else if (batch.table === 'messages') {
      const scanned = batch.scanned!;
      /** The statement's sightings, saved once its messages have ids (dump id → ours), and the checkpoint after it. */
      const finish = async (trx: Transaction<Database>, ids: Map<string, number>) => {
        completeOrigins(scanned, m.messages!.table, 'messageId', ids);
        const report = await saveScanned(trx, { ...common, captureId: run.captureId }, scanned, fk);
        await saveCheckpoint(trx, run.checkpointId, batch.end, rows + batch.count);
        return report;
      };
      const report = await directOr(
        batch,
        async (trx) => {
          await copyEncodedInto(trx, 'messages', [...OWNED, ...MESSAGE_COLUMNS], batch.encoded!, fk);
          return finish(trx, await messageIdsOf(trx, scanned));
        },
        async (trx) => {
          const saved = await insertBatch<{ id: number; external_id: string }>(trx, batch, MESSAGE_COLUMNS, sql`on conflict (market_id, external_id) do update set body = excluded.body returning id, external_id`);
          return finish(trx, new Map(saved.map((r) => [r.external_id, Number(r.id)])));
        },
      );
      tally(report);
      counts.messages = (counts.messages ?? 0) + batch.count;
      rows += batch.count;
      o.onProgress?.({ bytes: batch.end, totalBytes: run.totalBytes, rows });
    } else {
      // Only the sightings of rows this run inserts are saved (a resumed run reads feedback again).
      const owned = { ...common, captureId: run.captureId };
      const [report, inserted] = await directOr(
        batch,
        async (trx) => {
          // Every key of the statement is new (the COPY would have failed otherwise): all its sightings are saved.
          await copyEncodedInto(trx, 'feedback', [...OWNED, ...FEEDBACK_COLUMNS], batch.encoded!, fk);
          return [await saveScanned(trx, owned, batch.scanned!, fk), batch.direct!.inserted] as const;
        },
        async (trx) => {
          const saved = await insertBatch<{ id: number; dedupe_key: string }>(trx, batch, FEEDBACK_COLUMNS, sql`on conflict (market_id, dedupe_key) do nothing returning id, dedupe_key`);
          return [await saveScanned(trx, owned, sightingsOfRows(batch.scanned!, new Set(saved.map((x) => x.dedupe_key))), fk), saved.length] as const;
        },
      );
      tally(report);
      counts.feedback = (counts.feedback ?? 0) + batch.count;
      rows += inserted;
    }
  }
  await saveCheckpoint(o.db, run.checkpointId, run.totalBytes, rows, 'done');
  const notImported: DumpNotImported = {
    tables: [...new Set([...columns.keys(), ...unmappedRows.keys()])].filter((t) => !used.has(t)).sort().map((table) => ({ table, rows: unmappedRows.get(table) ?? 0 })),
    columns: [...columns].filter(([t]) => used.has(t)).map(([table, cols]) => ({ table, columns: cols.filter((c) => !used.get(table)!.has(c)) })).filter((x) => x.columns.length > 0).sort((a, b) => (a.table < b.table ? -1 : 1)),
  };
  await maintainAfterBulkWrite(o.db);
  return { ...base, rows, counts, resumedFrom: run.position, alreadyImported: false, durationMs: Date.now() - started, bytes: run.totalBytes - run.position, notImported, caseFolded };
}

export type { Kysely };
