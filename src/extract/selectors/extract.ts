/**
 * extractSelectors: one pass to build scan text (HTML cleaned, offsets kept), PGP blocks first (their
 * base64 is masked so it cannot yield false addresses), then every other scanner over the same text.
 * Bounded: input length, candidates per scanner, matches, PGP block size and count are all capped.
 */
import { SELECTOR_KINDS } from '../../domain/index.ts';
import type { Selector, SelectorKind } from '../../domain/index.ts';
import { findArmorBlocks } from './armor.ts';
import { mayHoldSelector } from './may-hold.ts';
import { emailOfUserId, readArmorBody } from './pgp.ts';
import type { PgpKeyError } from './pgp.ts';
import { ScanContext } from './scan-context.ts';
import type { Hit, ResolvedOptions } from './scan-context.ts';
import { scanCoins } from './scan-coins.ts';
import { scanOnions } from './scan-onion.ts';
import { scanEmails } from './scan-email.ts';
import { scanPhones } from './scan-phone.ts';
import { scanHandles } from './scan-handles.ts';
import { scanFingerprints } from './scan-fingerprint.ts';
import { toScanText } from './text.ts';
import type { ScanText } from './text.ts';

export interface ExtractSelectorsOptions {
  /** Only these kinds (default: all). */
  kinds?: readonly SelectorKind[];
  /** Treat input as HTML; `auto` (default) looks for tags or entities. */
  html?: boolean | 'auto';
  /** Characters of input scanned (default 16 Mi); the rest is ignored and `truncated` is set. */
  maxInputLength?: number;
  /** Selectors returned at most (default 10,000). */
  maxMatches?: number;
  /** Candidates a single scanner checks at most (default 200,000). */
  maxCandidatesPerScanner?: number;
  /** Largest PGP block read, in characters (default 64 Ki). */
  maxPgpBlockChars?: number;
  /** PGP blocks read at most (default 32). */
  maxPgpBlocks?: number;
  /** Calling code (digits, e.g. `31`) for labelled national phone numbers; without it they stay national. */
  defaultCallingCode?: string;
  /** Also report e-mails found in PGP user IDs (meta.source `pgp_uid`; default true). */
  includePgpUidEmails?: boolean;
  /**
   * The text comes from this messenger (a Telegram channel export): a bare `@name` is then its handle.
   * Elsewhere a bare `@name` is too ambiguous and needs a label or link.
   */
  atHandlesAre?: 'telegram';
}

export interface ExtractionResult {
  /** Sorted by offset. */
  selectors: Selector[];
  /** PGP blocks that were found but could not be read. */
  errors: PgpKeyError[];
  /** A cap was reached: input length, matches, candidates or PGP blocks. */
  truncated: boolean;
}

export const DEFAULT_LIMITS = {
  maxInputLength: 16 * 1024 * 1024,
  maxMatches: 10_000,
  maxCandidatesPerScanner: 200_000,
  maxPgpBlockChars: 64 * 1024,
  maxPgpBlocks: 32,
} as const;

const ALL_KINDS: ReadonlySet<SelectorKind> = new Set(SELECTOR_KINDS);

function resolve(opts: ExtractSelectorsOptions = {}): ResolvedOptions {
  const pos = (v: number | undefined, d: number, name: string): number => {
    if (v === undefined) return d;
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
    return v;
  };
  if (opts.defaultCallingCode !== undefined && !/^[1-9]\d{0,2}$/.test(opts.defaultCallingCode)) {
    throw new RangeError(`defaultCallingCode must be 1-3 digits without '+', got ${JSON.stringify(opts.defaultCallingCode)}`);
  }
  const out: ResolvedOptions = {
    kinds: opts.kinds ? new Set(opts.kinds) : ALL_KINDS,
    html: opts.html ?? 'auto',
    maxInputLength: pos(opts.maxInputLength, DEFAULT_LIMITS.maxInputLength, 'maxInputLength'),
    maxMatches: pos(opts.maxMatches, DEFAULT_LIMITS.maxMatches, 'maxMatches'),
    maxCandidatesPerScanner: pos(opts.maxCandidatesPerScanner, DEFAULT_LIMITS.maxCandidatesPerScanner, 'maxCandidatesPerScanner'),
    maxPgpBlockChars: pos(opts.maxPgpBlockChars, DEFAULT_LIMITS.maxPgpBlockChars, 'maxPgpBlockChars'),
    maxPgpBlocks: pos(opts.maxPgpBlocks, DEFAULT_LIMITS.maxPgpBlocks, 'maxPgpBlocks'),
    includePgpUidEmails: opts.includePgpUidEmails ?? true,
  };
  if (opts.defaultCallingCode !== undefined) out.defaultCallingCode = opts.defaultCallingCode;
  if (opts.atHandlesAre !== undefined) {
    if (opts.atHandlesAre !== 'telegram') throw new RangeError(`atHandlesAre must be 'telegram', got ${JSON.stringify(opts.atHandlesAre)}`);
    out.atHandlesAre = opts.atHandlesAre;
  }
  return out;
}

/** All selectors in `text` (HTML or plain), with PGP errors and whether a cap was hit. Never throws on content. */
export async function extractSelectorsDetailed(text: string, opts?: ExtractSelectorsOptions): Promise<ExtractionResult> {
  const p = prepare(text, opts);
  return mayHoldSelector(p.input) ? scanAll(p) : { selectors: [], errors: [], truncated: p.truncated };
}

/** extractSelectorsDetailed without the mayHoldSelector shortcut: every scanner runs (its test compares the two). */
export async function extractSelectorsFully(text: string, opts?: ExtractSelectorsOptions): Promise<ExtractionResult> {
  return scanAll(prepare(text, opts));
}

interface Prepared {
  input: string;
  o: ResolvedOptions;
  truncated: boolean;
}

function prepare(text: string, opts: ExtractSelectorsOptions | undefined): Prepared {
  if (typeof text !== 'string') throw new TypeError('extractSelectors expects a string');
  const o = resolve(opts);
  return text.length > o.maxInputLength ? { input: text.slice(0, o.maxInputLength), o, truncated: true } : { input: text, o, truncated: false };
}

async function scanAll({ input, o, truncated }: Prepared): Promise<ExtractionResult> {
  const scan = toScanText(input, { html: o.html });
  const { hits: pgpHits, errors, masked, truncated: pgpTruncated } = await scanPgp(scan, input, o);
  const ctx = new ScanContext(masked, o);
  for (const h of pgpHits) ctx.emit(h);
  scanFingerprints(ctx);
  scanCoins(ctx);
  scanOnions(ctx);
  scanEmails(ctx);
  scanPhones(ctx);
  scanHandles(ctx);

  const selectors = ctx.hits.map((h) => toSelector(h, scan, input));
  selectors.sort((a, b) => a.offset - b.offset || a.kind.localeCompare(b.kind));
  return { selectors, errors, truncated: truncated || pgpTruncated || ctx.truncated };
}

/** All selectors in `text` (HTML or plain), sorted by offset. Unreadable PGP blocks are left out (see `extractSelectorsDetailed`). */
export async function extractSelectors(text: string, opts?: ExtractSelectorsOptions): Promise<Selector[]> {
  return (await extractSelectorsDetailed(text, opts)).selectors;
}

function toSelector(h: Hit, scan: ScanText, input: string): Selector {
  const offset = scan.start(h.start);
  const raw = h.raw ?? input.slice(offset, scan.end(h.end));
  const s = { kind: h.kind, value: h.value, raw, offset } as Selector;
  if (h.meta !== undefined) (s as { meta?: unknown }).meta = h.meta;
  return s;
}

interface PgpScan {
  hits: Hit[];
  errors: PgpKeyError[];
  /** The scan text with every found block blanked out (same length). */
  masked: string;
  truncated: boolean;
}

async function scanPgp(scan: ScanText, input: string, o: ResolvedOptions): Promise<PgpScan> {
  const hits: Hit[] = [];
  const errors: PgpKeyError[] = [];
  const text = scan.text;
  const wantKeys = o.kinds.has('pgp_key');
  const wantUidEmails = o.includePgpUidEmails && o.kinds.has('email');
  if (!/BEGIN\s{1,3}PGP/i.test(text)) return { hits, errors, masked: text, truncated: false };

  const blocks = findArmorBlocks(text, o.maxPgpBlockChars, o.maxPgpBlocks + 1);
  const truncated = blocks.length > o.maxPgpBlocks;
  const parts: string[] = [];
  let cursor = 0;
  for (const b of blocks.slice(0, o.maxPgpBlocks)) {
    const start = 'block' in b ? b.block.start : b.error.start;
    const end = 'block' in b ? b.block.end : b.error.end;
    const srcStart = scan.start(start);
    const srcEnd = scan.end(end);
    if ('error' in b) {
      errors.push({
        kind: 'pgp_key_error',
        reason: b.error.reason,
        detail: b.error.reason === 'too_large' ? `block longer than ${o.maxPgpBlockChars} characters` : 'no END line after BEGIN',
        offset: srcStart,
        raw: input.slice(srcStart, Math.min(srcEnd, srcStart + 256)),
      });
      continue;
    }
    parts.push(text.slice(cursor, start), ' '.repeat(end - start));
    cursor = end;
    if (!wantKeys && !wantUidEmails) continue;
    const raw = input.slice(srcStart, srcEnd);
    const res = await readArmorBody(b.block.body);
    if (!res.ok) {
      errors.push({ kind: 'pgp_key_error', reason: res.reason, detail: res.detail, offset: srcStart, raw: raw.slice(0, 256) });
      continue;
    }
    const fromHtml = raw !== text.slice(start, end);
    for (const key of res.keys) {
      if (fromHtml) key.repairs.unshift('html');
      hits.push({ kind: 'pgp_key', start, end, value: key.fingerprint, meta: key, raw });
      if (wantUidEmails) {
        for (const uid of key.userIds) {
          const email = emailOfUserId(uid);
          if (email) hits.push({ kind: 'email', start, end, value: email, meta: { source: 'pgp_uid' }, raw: uid });
        }
      }
    }
  }
  parts.push(text.slice(cursor));
  return { hits, errors, masked: maskOtherArmor(parts.join(''), 16 * o.maxPgpBlockChars, 4 * o.maxPgpBlocks), truncated };
}

const OTHER_ARMOR = /-{2,5}\s?BEGIN\s{1,3}PGP\s{1,3}(SIGNATURE|MESSAGE|PRIVATE\s{1,3}KEY\s{1,3}BLOCK)\s?-{2,5}/gi;

/** Blanks signature, message and private-key armor: their base64 is noise to every other scanner. */
function maskOtherArmor(text: string, maxChars: number, maxBlocks: number): string {
  OTHER_ARMOR.lastIndex = 0;
  const parts: string[] = [];
  let cursor = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((m = OTHER_ARMOR.exec(text)) !== null && n++ < maxBlocks) {
    const type = (m[1] as string).split(/\s+/)[0] as string;
    const window = text.slice(m.index, m.index + maxChars);
    const end = new RegExp(`-{2,5}\\s?END\\s{1,3}PGP\\s{1,3}${type}[^-]{0,20}-{2,5}`, 'i').exec(window);
    if (!end) continue;
    const stop = m.index + end.index + end[0].length;
    parts.push(text.slice(cursor, m.index), ' '.repeat(stop - m.index));
    cursor = stop;
    OTHER_ARMOR.lastIndex = stop;
  }
  if (parts.length === 0) return text;
  parts.push(text.slice(cursor));
  return parts.join('');
}
