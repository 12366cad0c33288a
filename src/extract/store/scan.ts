/**
 * The database-free half of saving selector sightings (sightings.ts): extracting the selectors of stored texts and
 * selector columns, with their origins. Loads no store module, so the dump import's worker thread scans with it.
 */
import type { Selector, SelectorKind } from '../../domain/index.ts';
import type { SightingSource } from '../../store/schema.ts';
import { extractSelectorsDetailed, parseSelector } from '../selectors/index.ts';

/** Where a text or value was read from. */
export interface SightingOrigin {
  source: SightingSource;
  vendorId: number | null;
  listingId?: number | null;
  messageId?: number | null;
  /** The source row in its own terms (`message:3644`, `wallets:17`); null for a crawled page (the capture is the page). */
  rowRef?: string | null;
  observedAt: Date;
}

/** A stored text to scan. */
export interface TextToScan extends SightingOrigin {
  text: string;
  /** `auto` (default) treats it as HTML when it looks like HTML. Imported plain text should say `false`. */
  html?: boolean | 'auto';
  /** The text was posted in this messenger: a bare `@name` there is its handle. */
  messenger?: 'telegram';
}

/** A column that holds one selector by definition (a wallet or PGP column of a dump or a CSV). */
export interface ColumnToRead extends SightingOrigin {
  column: 'wallet' | 'pgp';
  raw: string;
  /** The currency the row names (BTC, XMR, …), if any. */
  currency?: string | null;
}

export interface Found extends SightingOrigin {
  kind: SelectorKind;
  value: string;
  meta: unknown;
}

export interface Rejected extends SightingOrigin {
  kind: string;
  reason: string;
  detail: string;
  raw: string;
}

const COIN_OF_CURRENCY: Record<string, SelectorKind> = {
  BTC: 'btc_address', XBT: 'btc_address', BITCOIN: 'btc_address', TBTC: 'btc_address',
  XMR: 'xmr_address', MONERO: 'xmr_address',
  LTC: 'ltc_address', LITECOIN: 'ltc_address',
  ETH: 'eth_address', ETHER: 'eth_address', ETHEREUM: 'eth_address',
};
const COIN_KINDS: SelectorKind[] = ['btc_address', 'ltc_address', 'xmr_address', 'eth_address'];

/**
 * Reads a wallet column: the address is validated like any coin address (checksum, version, network). The row's
 * currency only names what it was meant to be; the address itself decides its kind. Invalid → a reject.
 */
export function readWalletColumn(raw: string, currency?: string | null): { ok: true; kind: SelectorKind; value: string; meta: unknown } | { ok: false; kind: string; reason: string; detail: string } {
  const address = raw.trim();
  const meant = currency ? COIN_OF_CURRENCY[currency.trim().toUpperCase()] : undefined;
  if (!address) return { ok: false, kind: meant ?? 'coin_address', reason: 'empty', detail: 'empty wallet column' };
  for (const kind of meant ? [meant, ...COIN_KINDS.filter((k) => k !== meant)] : COIN_KINDS) {
    const p = parseSelector(kind, address);
    if (p.ok) return { ok: true, kind, value: p.value, meta: p.meta ?? {} };
  }
  const reason = meant ? parseSelector(meant, address) : undefined;
  return {
    ok: false,
    kind: meant ?? 'coin_address',
    reason: 'invalid_address',
    detail: reason && !reason.ok ? reason.reason : `not a valid ${currency ? `${currency} ` : ''}address of any supported coin (BTC, LTC, XMR, ETH)`,
  };
}

/**
 * What scanning texts and columns found, not yet saved (saveScanned): each entry carries its origin, which the caller
 * may still complete (an import scans a statement's texts before its rows have ids, then sets listingId/messageId).
 */
export interface ScannedSightings {
  found: Array<SightingOrigin & { kind: SelectorKind; value: string; meta: unknown }>;
  rejected: Array<SightingOrigin & { kind: string; reason: string; detail: string; raw: string }>;
}

/** The database-free half of saveSightings: extracts the selectors of texts and selector columns. */
export async function scanSightings(texts: readonly TextToScan[], columns: readonly ColumnToRead[] = []): Promise<ScannedSightings> {
  const found: Found[] = [];
  const rejected: Rejected[] = [];
  for (const t of texts) {
    if (!t.text || !t.text.trim()) continue;
    const r = await extractSelectorsDetailed(t.text, { html: t.html ?? 'auto', ...(t.messenger ? { atHandlesAre: t.messenger } : {}) });
    for (const s of r.selectors) found.push({ ...origin(t), kind: s.kind, value: s.value, meta: metaOf(s) });
    for (const e of r.errors) rejected.push({ ...origin(t), kind: 'pgp_key', reason: e.reason, detail: e.detail, raw: e.raw });
  }
  for (const c of columns) {
    if (!c.raw || !c.raw.trim()) continue;
    if (c.column === 'wallet') {
      const w = readWalletColumn(c.raw, c.currency);
      if (w.ok) found.push({ ...origin(c), kind: w.kind, value: w.value, meta: w.meta });
      else rejected.push({ ...origin(c), kind: w.kind, reason: w.reason, detail: w.detail, raw: c.raw });
      continue;
    }
    // A PGP column holds a key block or a bare fingerprint.
    const fp = parseSelector('pgp_key', c.raw);
    if (!/BEGIN\s{1,3}PGP/i.test(c.raw) && fp.ok) {
      found.push({ ...origin(c), kind: 'pgp_key', value: fp.value, meta: { source: 'fingerprint', keyId: fp.value.slice(-16) } });
      continue;
    }
    const r = await extractSelectorsDetailed(c.raw, { html: false, kinds: ['pgp_key', 'email'] });
    for (const s of r.selectors) found.push({ ...origin(c), kind: s.kind, value: s.value, meta: metaOf(s) });
    for (const e of r.errors) rejected.push({ ...origin(c), kind: 'pgp_key', reason: e.reason, detail: e.detail, raw: e.raw });
    if (r.selectors.length === 0 && r.errors.length === 0) {
      rejected.push({ ...origin(c), kind: 'pgp_key', reason: 'no_key', detail: 'the PGP column holds neither a public key block nor a fingerprint', raw: c.raw });
    }
  }
  return { found, rejected };
}

function origin(o: SightingOrigin): SightingOrigin {
  return { source: o.source, vendorId: o.vendorId, listingId: o.listingId ?? null, messageId: o.messageId ?? null, rowRef: o.rowRef ?? null, observedAt: o.observedAt };
}

function metaOf(s: Selector): unknown {
  return s.meta ?? {};
}
