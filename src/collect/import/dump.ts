import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sql, type Kysely, type Transaction } from 'kysely';
import { bulkInsert, canBatchReferenceChecks, canCopyFromStdin, type BulkColumn, type BulkValue, type Database } from '../../store/index.ts';
import { saveSightings, type ColumnToRead, type TextToScan } from '../../extract/store/index.ts';
import { beginImport, normHandle, saveCheckpoint, upsertVendors, type ImportOptions, type ImportSummary } from './common.ts';
import { ImportFormatError, parseCreateTable, parseInsert, sqlStatements, type SqlValue } from './sql-tokenizer.ts';

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

/** MySQL DATETIME ('2024-11-06 00:52:04', server time taken as UTC) or a unix time. */
function toDate(v: SqlValue | undefined): Date | null {
  if (v === null || v === undefined || v === '' || v === '0000-00-00 00:00:00') return null;
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(/^\d{4}-\d\d-\d\d \d/.test(v) ? `${v.replace(' ', 'T')}Z` : v);
  return Number.isNaN(d.getTime()) ? null : d;
}
const toNum = (v: SqlValue | undefined): number | null => (v === null || v === undefined || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null);
const toStr = (v: SqlValue | undefined): string | null => (v === null || v === undefined ? null : String(v));

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

export async function importMysqlDump(o: DumpImportOptions): Promise<DumpImportSummary> {
  const started = Date.now();
  const m = o.mapping;
  const run = await beginImport('dump', o, 'seized_db', path.basename(o.file).replace(/\.sql$/i, '') + '-seized', 'application/sql', { mapping: m });
  const base = { kind: 'dump' as const, file: o.file, fileSha256: run.fileSha256, marketId: run.marketId, market: run.slug, captureId: run.captureId };
  if (run.done) return { ...base, rows: run.rows, counts: {}, resumedFrom: run.position, alreadyImported: true, durationMs: Date.now() - started, bytes: 0, notImported: { tables: [], columns: [] }, caseFolded: [] };

  // Foreign keys checked once per batch, not per row, where the session may; rows sent by COPY into a staging table
  // and moved by one insert … select (store/bulk.ts: BulkOptions).
  const fk = { batchedReferences: await canBatchReferenceChecks(o.db), copy: await canCopyFromStdin(o.db) };

  // Pass 1: table columns, users and vendors (and orders when feedback refers to them); rows of unmapped tables counted.
  const used = mappedColumns(m);
  const unmappedRows = new Map<string, number>();
  const columns = new Map<string, string[]>();
  const orderOf = new Map<string, { listing: SqlValue; vendor: SqlValue; buyer: SqlValue }>();
  const F = m.feedback;
  const feedsOrders = !!(F?.order && m.orders);
  let feedbackStart: { offset: number; line: number } | undefined;
  const userHandle = new Map<string, string>();
  const vendorUser = new Map<string, string>();
  const vendorProfile = new Map<string, { vendorRow: string; profile: string; pgp: string }>();
  const rowsOf = (stmt: Parameters<typeof parseInsert>[0]) => {
    const ins = parseInsert(stmt);
    if (!ins) return undefined;
    const cols = ins.columns ?? columns.get(ins.table);
    if (!cols) throw new ImportFormatError(`INSERT INTO ${ins.table} before its CREATE TABLE and without a column list`, stmt.line, stmt.offset);
    // A plain loop, not Object.fromEntries of [column, value] pairs: this runs for every row of the dump.
    const rows = ins.rows.map((r) => {
      const rec: Record<string, SqlValue> = {};
      for (let i = 0; i < cols.length; i++) {
        const v = r[i] ?? null;
        // PostgreSQL text cannot hold NUL (MySQL's \\0): it becomes U+FFFD, visibly.
        rec[cols[i]!] = typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
      }
      return rec;
    });
    return { table: ins.table, rows };
  };
  for await (const stmt of sqlStatements(o.file)) {
    if (/^CREATE\s+TABLE/i.test(stmt.text)) {
      const t = parseCreateTable(stmt.text);
      if (t) columns.set(t.table, t.columns);
      continue;
    }
    if (!/^(INSERT|REPLACE)/i.test(stmt.text)) continue;
    const head = /INTO\s+`?([^`\s(]+)/i.exec(stmt.text)?.[1] ?? '';
    if (F && head === F.table && !feedbackStart) feedbackStart = { offset: stmt.offset, line: stmt.line };
    if (!used.has(head)) {
      unmappedRows.set(head, (unmappedRows.get(head) ?? 0) + (parseInsert(stmt)?.rows.length ?? 0));
      continue;
    }
    if (feedsOrders && head === m.orders?.table) {
      // Only four columns of each order are kept: read them by position, without a record per row.
      const O = m.orders;
      const ins = parseInsert(stmt);
      const cols = ins ? (ins.columns ?? columns.get(ins.table)) : undefined;
      if (!ins || !cols) continue;
      const at = (name: string | undefined) => (name ? cols.indexOf(name) : -1);
      const [id, listing, vendor, buyer] = [at(O.id), at(O.listing), at(O.vendor), at(O.buyer)];
      const get = (r: SqlValue[], i: number) => (i < 0 ? null : (r[i] ?? null));
      for (const r of ins.rows) orderOf.set(String(get(r, id)), { listing: get(r, listing), vendor: get(r, vendor), buyer: get(r, buyer) });
      continue;
    }
    if (head !== m.users.table && head !== m.vendors?.table) continue;
    const ins = rowsOf(stmt);
    if (!ins) continue;
    for (const r of ins.rows) {
      if (ins.table === m.users.table) userHandle.set(String(r[m.users.id]), toStr(r[m.users.handle]) ?? '');
      else if (m.vendors) {
        vendorUser.set(String(r[m.vendors.id]), String(r[m.vendors.user]));
        vendorProfile.set(String(r[m.vendors.user]), { vendorRow: String(r[m.vendors.id]), profile: toStr(r[m.vendors.profile ?? '']) ?? '', pgp: toStr(r[m.vendors.pgp ?? '']) ?? '' });
      }
    }
  }

  // Accounts for every user (idempotent), with vendor profiles and PGP keys in the profile text.
  const now = new Date();
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
  for (let i = 0; i < users.length; i += 5000) {
    const slice = users.slice(i, i + 5000);
    await o.db.transaction().execute(async (trx) => {
      const ids = await upsertVendors(trx, { ...common, at: now }, slice.map(([uid, handle]) => {
        const p = vendorProfile.get(uid);
        return { handle, key: keyOf(uid), externalId: uid, profile: p ? [p.profile, p.pgp].filter(Boolean).join('\n\n') : '' };
      }));
      for (const [uid] of slice) account.set(uid, ids.get(keyOf(uid))!);
      // Selectors of vendor profiles and PGP columns, each sighting naming the dump's vendors row.
      const texts: TextToScan[] = [];
      const columns: ColumnToRead[] = [];
      for (const [uid] of slice) {
        const p = vendorProfile.get(uid);
        const vendorId = account.get(uid) ?? null;
        if (!p || vendorId === null || !m.vendors) continue;
        const origin = { source: 'profile' as const, vendorId, rowRef: `${m.vendors.table}:${p.vendorRow}`, observedAt: now };
        if (p.profile) texts.push({ ...origin, text: p.profile, html: 'auto' });
        if (p.pgp) columns.push({ ...origin, column: 'pgp', raw: p.pgp });
      }
      tally(await saveSightings(trx, { ...common, captureId: run.captureId }, texts, columns));
    });
  }
  const vendorAccount = (dumpVendorId: SqlValue | undefined) => account.get(vendorUser.get(String(dumpVendorId)) ?? '') ?? null;
  const listingIds = new Map<string, number>();
  // Ships-from/to of a listing row (ISO codes; ships_to a comma list), kept on its snapshot: the seized-data
  // split (src/exchange/split) places vendors by the countries they ship from.
  const shipping = (r: Record<string, SqlValue>) => {
    const L = m.listings;
    const from = L?.shipsFrom ? toStr(r[L.shipsFrom])?.trim().toUpperCase() || null : null;
    const to = L?.shipsTo ? (toStr(r[L.shipsTo]) ?? '').split(/[,;\s]+/).map((c) => c.trim().toUpperCase()).filter(Boolean) : [];
    return { ships_from: from, ships_to: to };
  };

  // Pass 2: everything else, from the checkpoint.
  counts.accounts = account.size;
  let rows = run.rows;
  const write = async (trx: Transaction<Database>, table: string, recs: Record<string, SqlValue>[]) => {
    if (m.listings && table === m.listings.table) {
      const L = m.listings;
      const byId = new Map(recs.map((r) => [String(r[L.id]), r])); // one statement may not update a row twice
      const values = [...byId].map(([id, r]) => {
        const created = toDate(r[L.created ?? '']) ?? now;
        return { ...owned(), market_id: run.marketId, vendor_id: vendorAccount(r[L.vendor]), external_id: id, title: String(r[L.title] ?? '').slice(0, 1000), description: L.description ? toStr(r[L.description]) : null, category: toStr(r[L.category ?? '']), quantity: toNum(r[L.quantity ?? '']), unit: toStr(r[L.unit ?? '']), first_seen: created, last_seen: created, capture_id: run.captureId, adapter: 'import:dump' };
      });
      const saved = await bulkInsert<{ id: number; external_id: string }>(
        trx,
        'listings',
        [...OWNED, c('market_id', 'int'), c('vendor_id', 'int'), c('external_id', 'text'), c('title', 'text'), c('description', 'text'), c('category', 'text'), c('quantity', 'numeric'), c('unit', 'text'), c('first_seen', 'timestamptz'), c('last_seen', 'timestamptz'), c('capture_id', 'int'), c('adapter', 'text')],
        values.map((v) => [...ownedRow, v.market_id, v.vendor_id, v.external_id, v.title, v.description, v.category, v.quantity, v.unit, v.first_seen, v.last_seen, v.capture_id, v.adapter]),
        sql`on conflict (market_id, external_id) do update set title = excluded.title returning id, external_id`,
        fk,
      );
      for (const l of saved) listingIds.set(l.external_id, l.id);
      const snapshots = [...byId].flatMap(([id, r]) => {
        const price = toNum(r[L.price ?? '']);
        const listingId = listingIds.get(id);
        if (price === null || listingId === undefined) return [];
        return [{ ...owned(), listing_id: listingId, observed_at: toDate(r[L.created ?? '']) ?? now, price, currency: L.currency, price_usd: L.currency === 'USD' ? price : null, ...shipping(r), capture_id: run.captureId, adapter: 'import:dump' }];
      });
      await bulkInsert(
        trx,
        'listing_snapshots',
        [...OWNED, c('listing_id', 'int'), c('observed_at', 'timestamptz'), c('price', 'numeric'), c('currency', 'text'), c('price_usd', 'numeric'), c('ships_from', 'text'), c('ships_to', 'text[]'), c('capture_id', 'int'), c('adapter', 'text')],
        snapshots.map((v) => [...ownedRow, v.listing_id, v.observed_at, v.price, v.currency, v.price_usd, v.ships_from, v.ships_to, v.capture_id, v.adapter]),
        sql`on conflict do nothing`,
        fk,
      );
      tally(await saveSightings(trx, { ...common, captureId: run.captureId }, values.map((v) => ({
        text: [v.title, v.description].filter(Boolean).join('\n'), html: 'auto', source: 'listing', vendorId: v.vendor_id, listingId: listingIds.get(v.external_id) ?? null, rowRef: `${L.table}:${v.external_id}`, observedAt: v.first_seen,
      }))));
      counts.listings = (counts.listings ?? 0) + recs.length;
    } else if (m.orders && table === m.orders.table) {
      const O = m.orders;
      // Rows built straight as arrays in column order (no record per row: 250k orders at scale large).
      const values = recs.map((r): BulkValue[] => [
        ...ownedRow,
        run.marketId,
        String(r[O.id]),
        O.listing ? (listingIds.get(String(r[O.listing])) ?? null) : null,
        O.vendor ? vendorAccount(r[O.vendor]) : null,
        O.buyer ? (userHandle.get(String(r[O.buyer])) ?? toStr(r[O.buyer])) : null,
        toStr(r[O.country ?? ''])?.toUpperCase() ?? null,
        toNum(r[O.quantity ?? '']),
        toNum(r[O.price ?? '']),
        O.currency,
        toDate(r[O.date ?? '']),
        toStr(r[O.status ?? '']),
        run.captureId,
      ]);
      await bulkInsert(
        trx,
        'orders',
        [...OWNED, c('market_id', 'int'), c('external_id', 'text'), c('listing_id', 'int'), c('vendor_id', 'int'), c('buyer', 'text'), c('buyer_country', 'text'), c('quantity', 'numeric'), c('price', 'numeric'), c('currency', 'text'), c('ordered_at', 'timestamptz'), c('status', 'text'), c('capture_id', 'int')],
        values,
        sql`on conflict (market_id, external_id) do nothing`,
        fk,
      );
      counts.orders = (counts.orders ?? 0) + values.length;
    } else if (m.messages && table === m.messages.table) {
      const M = m.messages;
      const values = recs.map((r) => {
        const subject = toStr(r[M.subject ?? '']);
        return {
          ...owned(),
          market_id: run.marketId,
          external_id: String(r[M.id]),
          vendor_id: account.get(String(r[M.sender])) ?? null,
          sender: userHandle.get(String(r[M.sender])) ?? toStr(r[M.sender]),
          recipient: M.recipient ? (userHandle.get(String(r[M.recipient])) ?? toStr(r[M.recipient])) : null,
          thread: subject,
          sent_at: toDate(r[M.date ?? '']),
          body: String(r[M.body] ?? ''),
          capture_id: run.captureId,
        };
      });
      const messageIds = new Map<string, number>();
      const saved = await bulkInsert<{ id: number; external_id: string }>(
        trx,
        'messages',
        [...OWNED, c('market_id', 'int'), c('external_id', 'text'), c('vendor_id', 'int'), c('sender', 'text'), c('recipient', 'text'), c('thread', 'text'), c('sent_at', 'timestamptz'), c('body', 'text'), c('capture_id', 'int')],
        values.map((v) => [...ownedRow, v.market_id, v.external_id, v.vendor_id, v.sender, v.recipient, v.thread, v.sent_at, v.body, v.capture_id]),
        sql`on conflict (market_id, external_id) do update set body = excluded.body returning id, external_id`,
        fk,
      );
      for (const r of saved) messageIds.set(r.external_id, Number(r.id));
      tally(await saveSightings(trx, { ...common, captureId: run.captureId }, values.map((v) => ({
        text: [v.thread, v.body].filter(Boolean).join('\n'), html: 'auto', source: 'message', vendorId: v.vendor_id, messageId: messageIds.get(v.external_id) ?? null, rowRef: `${M.table}:${v.external_id}`, observedAt: v.sent_at ?? now,
      }))));
      counts.messages = (counts.messages ?? 0) + values.length;
    } else if (m.wallets && table === m.wallets.table) {
      // Wallet columns are validated like any coin address: an invalid one is kept as a reject, never a selector.
      const W = m.wallets;
      const columns: ColumnToRead[] = recs.flatMap((r, i) => {
        const raw = toStr(r[W.address]) ?? '';
        if (!raw.trim()) return [];
        const row = W.id ? String(r[W.id]) : `${String(r[W.user])}#${i}`;
        return [{ column: 'wallet' as const, raw, currency: W.currency ? toStr(r[W.currency]) : null, source: 'dump' as const, vendorId: account.get(String(r[W.user])) ?? null, rowRef: `${W.table}:${row}`, observedAt: now }];
      });
      tally(await saveSightings(trx, { ...common, captureId: run.captureId }, [], columns));
      counts.wallets = (counts.wallets ?? 0) + columns.length;
    }
  };
  const owned = () => ({ agency_id: o.agencyId, tlp: o.tlp });
  // tlp left to the column default when the import names none (as an insert without it would).
  const c = (name: string, type: BulkColumn['type']): BulkColumn => ({ name, type });
  const OWNED: BulkColumn[] = o.tlp ? [c('agency_id', 'int'), c('tlp', 'text')] : [c('agency_id', 'int')];
  const ownedRow: BulkValue[] = o.tlp ? [o.agencyId, o.tlp] : [o.agencyId];
  const mapped = new Set([m.listings?.table, m.orders?.table, m.messages?.table, m.wallets?.table].filter((t): t is string => !!t));

  // Listings must be known for orders even when resuming past them: reload their ids.
  if (run.position > 0 && m.listings) {
    for (const l of await o.db.selectFrom('listings').select(['id', 'external_id']).where('market_id', '=', run.marketId).execute()) listingIds.set(l.external_id, l.id);
  }
  // One statement ahead: the next statement is read and parsed while the database writes the previous one (on
  // PostgreSQL the server works in its own process meanwhile). Writes stay one at a time and in file order.
  let writing: Promise<void> = Promise.resolve();
  try {
    for await (const stmt of sqlStatements(o.file, run.position, 1)) {
      if (!/^(INSERT|REPLACE)/i.test(stmt.text)) continue;
      const head = /INTO\s+`?([^`\s(]+)/i.exec(stmt.text)?.[1] ?? '';
      if (!mapped.has(head)) continue;
      const ins = rowsOf(stmt);
      if (!ins) continue;
      await writing;
      writing = o.db.transaction().execute(async (trx) => {
        await write(trx, ins.table, ins.rows);
        rows += ins.rows.length;
        await saveCheckpoint(trx, run.checkpointId, stmt.end, rows);
      }).then(() => o.onProgress?.({ bytes: stmt.end, totalBytes: run.totalBytes, rows }));
      // Handled here so a failing write is not an unhandled rejection while the next statement is read; the
      // await above (or below) still throws its error.
      void writing.catch(() => undefined);
    }
  } finally {
    await writing;
  }

  // Pass 3: feedback, which mysqldump's alphabetical order puts before the listings and orders it refers to.
  // Idempotent (one row per dump row, by its key), so a resumed run simply reads it again.
  if (F && feedbackStart) {
    counts.feedback = 0;
    if (listingIds.size === 0 && m.listings) {
      for (const l of await o.db.selectFrom('listings').select(['id', 'external_id']).where('market_id', '=', run.marketId).execute()) listingIds.set(l.external_id, l.id);
    }
    // One statement ahead, as in pass 2.
    try {
      for await (const stmt of sqlStatements(o.file, feedbackStart.offset, feedbackStart.line)) {
        if (!/^(INSERT|REPLACE)/i.test(stmt.text) || (/INTO\s+`?([^`\s(]+)/i.exec(stmt.text)?.[1] ?? '') !== F.table) continue;
        const ins = rowsOf(stmt);
        if (!ins) continue;
        const values = ins.rows.map((r) => {
          const order = F.order ? orderOf.get(String(r[F.order])) : undefined;
          const listing = F.listing ? r[F.listing] : order?.listing;
          const vendor = F.vendor ? r[F.vendor] : order?.vendor;
          const buyer = F.buyer ? r[F.buyer] : order?.buyer;
          const hidden = F.hidden ? r[F.hidden] : null;
          return {
            ...owned(),
            market_id: run.marketId,
            vendor_id: vendor === null || vendor === undefined ? null : vendorAccount(vendor),
            listing_id: listing === null || listing === undefined ? null : (listingIds.get(String(listing)) ?? null),
            rating: toNum(r[F.rating ?? '']),
            body: F.body ? toStr(r[F.body]) : null,
            hidden: hidden === null || hidden === undefined ? null : !['0', 'false', ''].includes(String(hidden).toLowerCase()),
            buyer: buyer === null || buyer === undefined ? null : (userHandle.get(String(buyer)) ?? String(buyer)),
            left_at: toDate(r[F.date ?? '']),
            dedupe_key: `${F.table}:${String(r[F.id])}`,
            capture_id: run.captureId,
            adapter: 'import:dump',
          };
        });
        await writing;
        writing = o.db.transaction().execute(async (trx) => {
          const saved: Array<{ id: number; dedupe_key: string }> = [];
          saved.push(...(await bulkInsert<{ id: number; dedupe_key: string }>(
            trx,
            'feedback',
            [...OWNED, c('market_id', 'int'), c('vendor_id', 'int'), c('listing_id', 'int'), c('rating', 'numeric'), c('body', 'text'), c('hidden', 'boolean'), c('buyer', 'text'), c('left_at', 'timestamptz'), c('dedupe_key', 'text'), c('capture_id', 'int'), c('adapter', 'text')],
            values.map((v) => [...ownedRow, v.market_id, v.vendor_id, v.listing_id, v.rating, v.body, v.hidden, v.buyer, v.left_at, v.dedupe_key, v.capture_id, v.adapter]),
            sql`on conflict (market_id, dedupe_key) do nothing returning id, dedupe_key`,
            fk,
          )));
          const fresh = new Set(saved.map((x) => x.dedupe_key));
          tally(await saveSightings(trx, { ...common, captureId: run.captureId }, values.filter((v) => fresh.has(v.dedupe_key) && v.body).map((v) => ({
            text: v.body ?? '', html: 'auto', source: 'feedback', vendorId: v.vendor_id, listingId: v.listing_id, rowRef: v.dedupe_key, observedAt: v.left_at ?? now,
          }))));
          counts.feedback = (counts.feedback ?? 0) + values.length;
          rows += saved.length;
        });
        void writing.catch(() => undefined);
      }
    } finally {
      await writing;
    }
  }
  await saveCheckpoint(o.db, run.checkpointId, run.totalBytes, rows, 'done');
  const notImported: DumpNotImported = {
    tables: [...new Set([...columns.keys(), ...unmappedRows.keys()])].filter((t) => !used.has(t)).sort().map((table) => ({ table, rows: unmappedRows.get(table) ?? 0 })),
    columns: [...columns].filter(([t]) => used.has(t)).map(([table, cols]) => ({ table, columns: cols.filter((c) => !used.get(table)!.has(c)) })).filter((x) => x.columns.length > 0).sort((a, b) => (a.table < b.table ? -1 : 1)),
  };
  return { ...base, rows, counts, resumedFrom: run.position, alreadyImported: false, durationMs: Date.now() - started, bytes: run.totalBytes - run.position, notImported, caseFolded };
}

export type { Kysely };
