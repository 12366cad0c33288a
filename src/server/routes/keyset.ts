import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { badRequest } from '../errors.ts';

/**
 * Paging for the big lists (listings, vendors, links): keyset cursors that cost O(limit) at any depth, plus the
 * plain offset for the first pages (bounded: an offset costs O(offset)). docs/api.md, "Performance".
 */
export const MAX_OFFSET = 10_000;

export const keysetPage = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(MAX_OFFSET).default(0),
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.string().max(400).regex(/^[A-Za-z0-9_-]+$/, 'not a cursor from this API').optional(),
};

export interface KeysetPage<T> {
  items: T[];
  limit: number;
  offset: number;
  /** The offset of the next page (null on the last page, with a cursor, or past MAX_OFFSET). */
  nextOffset: number | null;
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

type KeyPart = string | number;

export function encodeCursor(key: readonly KeyPart[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor whose parts must have these types; anything else is a 400. */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): KeyPart[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('invalid cursor');
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((k, i) => typeof k !== shape[i] || (typeof k === 'string' && k.length > 100) || (typeof k === 'number' && !(Math.abs(k) <= 2 ** 31 - 1))))
    throw badRequest('invalid cursor');
  return key as KeyPart[];
}

function checkMode(page: { offset: number; cursor?: string | undefined }): void {
  if (page.cursor && page.offset > 0) throw badRequest('give either cursor or offset, not both');
}

/** The page for rows fetched with limit + 1 (offset or keyset), with the cursor of its last row. */
export function toKeysetPage<T>(rows: T[], page: { limit: number; offset: number; cursor?: string | undefined }, keyOf: (row: T) => KeyPart[]): KeysetPage<T> {
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  const next = page.offset + page.limit;
  return {
    items,
    limit: page.limit,
    offset: page.offset,
    nextOffset: more && !page.cursor && next <= MAX_OFFSET ? next : null,
    nextCursor: more ? encodeCursor(keyOf(items[items.length - 1]!)) : null,
  };
}

/** Validates the paging mode and decodes the cursor (if any) into its parts. */
export function cursorOf(page: { offset: number; cursor?: string | undefined }, shape: readonly ('string' | 'number')[]): KeyPart[] | null {
  checkMode(page);
  return page.cursor ? decodeCursor(page.cursor, shape) : null;
}

/**
 * One relevance tier of a search: rows matching `where` and no earlier tier, named in each item's `match`.
 * `selective`: the planner estimates it well (an equality on an indexed column), so the plain ordered query is used;
 * otherwise (full text, substrings) the windowed strategy of newestMatching.
 */
export interface Tier {
  name: string;
  where: RawBuilder<boolean>;
  selective?: boolean;
  /**
   * Usually rare (a handle substring: most searches name one account): on a first page its index matches are read
   * first, at most a window's worth (`probe`); only a tier with more matches than that reads the shared window.
   */
  probe?: boolean;
}

/**
 * How to fetch one newest-first slice of a tier:
 *   - ordered: `where … order by (last_seen, id) desc limit n` (walks the keyset index, filtering as it goes);
 *   - window: the same order over only the newest WINDOW rows that pass the other filters, then the tier's test;
 *   - matches: the tier's matches from its own index (at most MATCH_CAP of them, counted in `k_hits`), sorted;
 *   - tiers: one window for several tiers at once: the "where" is then the tier number of a row (tierCase), and each
 *     tier's newest `limit` rows of the window come back, tagged `k_tier` (a search reads the window once, not per tier);
 *   - probe: `matches` capped at windowRows(limit) matches instead of MATCH_CAP (complete, so exact, when fewer come back);
 *   - probeTiers: one probe for every tier at once (first pages of searches whose tiers are all selective or probe):
 *     the "where" is the union of the tiers' tests, `tag` the tier number of a row (tierCase); the newest `limit`
 *     rows in (tier, last_seen desc, id desc) order come back, tagged `k_tier`, with `k_hits` as in probe.
 */
export type FetchMode = 'ordered' | 'window' | 'matches' | 'tiers' | 'probe' | 'probeTiers';

/** Rows a window reads before the matches index is asked instead. */
export const windowRows = (n: number) => 1000 + 4 * n;
/** Matches sorted in memory at most; beyond that the ordered walk is cheaper (the term is frequent). */
export const MATCH_CAP = 5000;

/** `tag`: only in probeTiers mode, the tier number of a row (tierCase). */
export type Fetch<R> = (where: RawBuilder<boolean>, after: After | null, limit: number, mode: FetchMode, tag?: RawBuilder<number>) => Promise<R[]>;

/**
 * The newest `limit` rows of a tier without trusting the planner's guess of how common a search term is (prefix
 * tsqueries are estimated blindly): a frequent term fills the window of newest rows at once; a rare one misses it and
 * is answered from its few index matches; a term between the two (more than MATCH_CAP matches, few of them recent)
 * falls back to the ordered walk. Each step is exact, so the answer is the same whichever step gives it.
 */
export async function newestMatching<R extends Keyed>(fetch: Fetch<R>, tier: Tier, where: RawBuilder<boolean>, after: After | null, limit: number): Promise<R[]> {
  if (tier.selective) return fetch(where, after, limit, 'ordered');
  const recent = await fetch(where, after, limit, 'window');
  if (recent.length >= limit) return recent;
  return matchesOrOrdered(fetch, where, after, limit);
}

/** The steps of newestMatching after a window that had too few rows: the tier's index matches, or the ordered walk. */
async function matchesOrOrdered<R extends Keyed>(fetch: Fetch<R>, where: RawBuilder<boolean>, after: After | null, limit: number): Promise<R[]> {
  const hits = await fetch(where, after, limit, 'matches');
  if ((hits[0]?.k_hits ?? 0) < MATCH_CAP) return hits.map(({ k_hits: _h, ...r }) => r as R);
  return fetch(where, after, limit, 'ordered');
}

/**
 * The window of newestMatching for every tier at once (first pages only: no keyset position): each row of the
 * newest windowRows(limit) is tagged with the first tier it matches, and each tier's newest `limit` come back. A
 * tier with `limit` rows here has its answer (the window is a prefix of the order); the others ask their index.
 */
async function tierWindow<R extends Keyed>(fetch: Fetch<R>, tiers: readonly Tier[], limit: number): Promise<Map<number, R[]>> {
  const byTier = new Map<number, R[]>();
  for (const row of await fetch(sql<boolean>`${tierCase(tiers)}`, null, limit, 'tiers')) {
    const { k_tier, k_rank: _r, ...rest } = row as R & { k_rank?: unknown };
    const list = byTier.get(k_tier!) ?? [];
    list.push(rest as R);
    byTier.set(k_tier!, list);
  }
  return byTier;
}

/** The number of the first tier a row matches (null if none). */
function tierCase(tiers: readonly Tier[]): RawBuilder<number> {
  return sql<number>`case ${sql.join(tiers.map((x, i) => sql`when ${x.where} then ${sql.lit(i)}`), sql` `)} end`;
}

/**
 * A first page of a search whose tiers are each selective or probe (vendor search: exact handle, handle substring,
 * profile words) from one statement instead of one per tier: the union of the tiers' index matches, capped at a
 * window's worth, each tagged with its first tier. Fewer than the cap means every match was read, so the first `want`
 * rows in (tier, newest) order are exactly what the tiers one by one would give; null when capped (the caller then
 * asks tier by tier, as before).
 */
async function fusedProbe<R extends Keyed>(fetch: Fetch<R>, tiers: readonly Tier[], want: number): Promise<{ row: R; tier: number }[] | null> {
  const rows = await fetch(sql<boolean>`(${sql.join(tiers.map((x) => x.where), sql` or `)})`, null, want, 'probeTiers', tierCase(tiers));
  if ((rows[0]?.k_hits ?? 0) >= windowRows(want)) return null;
  return rows.map(({ k_hits: _h, k_tier, ...r }) => ({ row: r as R, tier: k_tier! }));
}

/** PostgreSQL's text form of a timestamptz, as the cursor carries it. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

/** The position after which a tier continues: (last_seen as text, id), descending. */
export interface After {
  seen: string;
  id: number;
}

/** Rows of a "newest first" list, with their exact keyset position (`k_seen`: last_seen::text, microseconds kept). */
export interface Keyed {
  id: number;
  k_seen: string;
  /** In `matches` mode: how many matches the tier has (up to MATCH_CAP). */
  k_hits?: number;
  /** In `tiers` mode: the tier of the row. */
  k_tier?: number;
}

/**
 * Search results ranked by tier (e.g. "all terms in the title" before "terms anywhere"), newest first within a
 * tier. Each tier is answered by index-friendly queries (newestMatching), so no score is computed over the whole
 * match set. Offsets and cursors (tier, last_seen, id) both page through the tiers in order.
 */
export async function tieredPage<R extends Keyed>(
  tiers: readonly Tier[],
  fetch: Fetch<R>,
  page: { limit: number; offset: number; cursor?: string | undefined },
): Promise<KeysetPage<Omit<R, 'k_seen' | 'k_hits' | 'k_tier'> & { match?: string }>> {
  const key = cursorOf(page, ['number', 'string', 'number']);
  const start = key ? (key[0] as number) : 0;
  if (!Number.isInteger(start) || start < 0 || start >= tiers.length) throw badRequest('invalid cursor');
  if (key && (!TIMESTAMP.test(key[1] as string) || !Number.isInteger(key[2]) || (key[2] as number) < 0)) throw badRequest('invalid cursor');
  const want = page.offset + page.limit + 1;
  const out: { row: R; tier: number }[] = [];
  // Without a cursor, every tier starts at the newest row, so the tiers that need a window share one (see tierWindow).
  const shared = !key && tiers.filter((x) => !x.selective).length >= 2;
  let window: Map<number, R[]> | null = null;
  const fusable = !key && tiers.length >= 2 && tiers.every((x) => x.selective || x.probe);
  const fused = fusable ? await fusedProbe(fetch, tiers, want) : null;
  if (fused) out.push(...fused);
  // Capped: some tier has more than a window's worth of matches, so skip the per-tier probes (each could be capped
  // again) and read the shared window at once.
  const probing = !fusable;
  for (let t = fused ? tiers.length : start; t < tiers.length && out.length < want; t++) {
    const earlier = tiers.slice(0, t).map((x) => x.where);
    const where = earlier.length ? sql<boolean>`(${tiers[t]!.where}) and not (${sql.join(earlier, sql` or `)})` : tiers[t]!.where;
    const after = key && t === start ? { seen: key[1] as string, id: key[2] as number } : null;
    const need = want - out.length;
    let rows: R[];
    const probed = probing && shared && tiers[t]!.probe && !window ? await fetch(where, after, need, 'probe') : null;
    if (probed && (probed[0]?.k_hits ?? 0) < windowRows(need)) rows = probed.map(({ k_hits: _h, ...r }) => r as R);
    else if (shared && !tiers[t]!.selective) {
      window ??= await tierWindow(fetch, tiers, want);
      const recent = window.get(t) ?? [];
      rows = recent.length >= need ? recent.slice(0, need) : await matchesOrOrdered(fetch, where, after, need);
    } else rows = await newestMatching(fetch, tiers[t]!, where, after, need);
    for (const row of rows) out.push({ row, tier: t });
  }
  const slice = out.slice(page.offset);
  const shaped = slice.map(({ row, tier }) => {
    const { k_seen: _k, k_hits: _h, k_tier: _t, ...rest } = row;
    return tiers.length > 1 || tiers[0]!.name ? { ...rest, match: tiers[tier]!.name } : rest;
  });
  const p = toKeysetPage(shaped, page, () => []);
  const last = slice[Math.min(slice.length, page.limit) - 1];
  return { ...p, nextCursor: p.nextCursor && last ? encodeCursor([last.tier, last.row.k_seen, last.row.id]) : null };
}

/**
 * The SQL of one slice in a FetchMode, for a table `alias` of `table` whose rows are filtered by `filters` (access,
 * equality filters), a tier test `tier` and the keyset position `after`; `select` names the columns (over `alias`
 * and whatever `joins` adds) and must include `alias.last_seen::text as k_seen`.
 */
export function sliceSql(o: { table: string; alias: string; select: RawBuilder<unknown>; joins: RawBuilder<unknown>; filters: RawBuilder<boolean>; tier: RawBuilder<boolean>; after: After | null; limit: number; mode: FetchMode; tag?: RawBuilder<number> | undefined }): RawBuilder<unknown> {
  const t = sql.table(o.table);
  const a = sql.ref(o.alias);
  const seen = sql.ref(`${o.alias}.last_seen`);
  const id = sql.ref(`${o.alias}.id`);
  const keyset = afterSql(o.alias, o.after);
  const order = sql`order by ${seen} desc, ${id} desc`;
  if (o.mode === 'window')
    return sql`select ${o.select} from (select ${a}.* from ${t} ${a} where ${o.filters} and ${keyset} ${order} limit ${windowRows(o.limit)}) ${a} ${o.joins}
      where ${o.tier} ${order} limit ${o.limit}`;
  if (o.mode === 'tiers') {
    const tierOf = sql.ref(`${o.alias}.k_tier`);
    // Ranked first, decorated (select, joins) after: only the kept `limit` rows per tier pay for the select's lookups.
    const rankOf = sql.ref(`${o.alias}.k_rank`);
    return sql`select ${o.select}, ${tierOf} from (select ${a}.*, row_number() over (partition by ${tierOf} ${order}) as k_rank
      from (select ${a}.*, ${o.tier} as k_tier from (select ${a}.* from ${t} ${a} where ${o.filters} and ${keyset} ${order} limit ${windowRows(o.limit)}) ${a}) ${a}
      where ${tierOf} is not null) ${a} ${o.joins} where ${rankOf} <= ${o.limit} order by ${tierOf}, ${rankOf}`;
  }
  if (o.mode === 'probeTiers') {
    if (!o.tag) throw new Error('probeTiers needs the tier tag');
    return sql`with hits as materialized (select ${id}, ${seen}, ${o.tag} as k_tier from ${t} ${a} where ${o.filters} and ${o.tier} and ${keyset} limit ${windowRows(o.limit)}),
      top as (select id, k_tier from hits order by k_tier, last_seen desc, id desc limit ${o.limit})
      select ${o.select}, top.k_tier, (select count(*)::int from hits) as k_hits from top join ${t} ${a} on ${id} = top.id ${o.joins} order by top.k_tier, ${seen} desc, ${id} desc`;
  }
  if (o.mode === 'matches' || o.mode === 'probe')
    return sql`with hits as materialized (select ${id}, ${seen} from ${t} ${a} where ${o.filters} and ${o.tier} and ${keyset} limit ${o.mode === 'probe' ? windowRows(o.limit) : MATCH_CAP}),
      top as (select id from hits order by last_seen desc, id desc limit ${o.limit})
      select ${o.select}, (select count(*)::int from hits) as k_hits from top join ${t} ${a} on ${id} = top.id ${o.joins} ${order}`;
  return sql`select ${o.select} from ${t} ${a} ${o.joins} where ${o.filters} and ${o.tier} and ${keyset} ${order} limit ${o.limit}`;
}

/** `and (alias.last_seen, alias.id) < (after)`, the keyset condition for newest-first lists. */
export function afterSql(alias: string, after: After | null): RawBuilder<boolean> {
  if (!after) return sql<boolean>`true`;
  return sql<boolean>`(${sql.ref(`${alias}.last_seen`)}, ${sql.ref(`${alias}.id`)}) < (${after.seen}::timestamptz, ${after.id}::int)`;
}

/**
 * A prefix-matching tsquery for the 'simple' configuration: every word must match (as a prefix, so "coca" finds
 * "cocaine"). Words are reduced to letters, digits and . _ - @ so no tsquery syntax gets through; at most 8 words.
 * Null if nothing searchable is left.
 */
export function prefixTsQuery(q: string): string | null {
  const words = q
    .normalize('NFKC')
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}._@-]/gu, '').replace(/^[._@-]+|[._@-]+$/g, ''))
    .filter((w) => w.length > 0)
    .slice(0, 8);
  return words.length ? words.map((w) => `'${w}':*`).join(' & ') : null;
}
