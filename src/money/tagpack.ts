import { parse, stringify } from 'yaml';

/**
 * GraphSense TagPacks (https://github.com/graphsense/graphsense-tagpack-tool): a YAML document with header fields
 * (title, creator, description, is_public, and tag fields shared by all tags) and a `tags` list; each tag attributes
 * an address to an actor with a label, a source, a category from the INTERPOL/GraphSense entity taxonomy and a
 * confidence level.
 */
export interface AddressTag {
  address: string;
  label: string;
  source: string;
  category: string;
  currency: string;
  confidence?: string;
  lastmod?: string;
  actor?: string;
  context?: string;
  isClusterDefiner?: boolean;
}

export interface TagPack {
  title: string;
  creator: string;
  description?: string;
  isPublic: boolean;
  tags: AddressTag[];
}

/** Entity categories of the GraphSense/INTERPOL taxonomy that DarkPatrol uses (others are refused). */
export const TAG_CATEGORIES = [
  'exchange', 'market', 'mixing_service', 'wallet_service', 'payment_processor', 'miner', 'gambling', 'perpetrator',
  'user', 'organization', 'merchant', 'ransomware', 'scam', 'defi', 'faucet', 'atm', 'hosting', 'donation',
] as const;
/** Categories that end a trace (a service that pools other people's money). */
export const SERVICE_CATEGORIES = new Set(['exchange', 'market', 'mixing_service', 'wallet_service', 'payment_processor', 'gambling', 'atm']);
export const CONFIDENCE_LEVELS = ['ownership', 'forensic', 'authority_data', 'service_data', 'web_crawl', 'manual', 'heuristic', 'untrusted'] as const;

export class TagPackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TagPackError';
  }
}

const TAG_FIELDS = ['address', 'label', 'source', 'category', 'currency', 'confidence', 'lastmod', 'actor', 'context', 'is_cluster_definer'] as const;
const HEADER_FIELDS = new Set(['title', 'creator', 'description', 'is_public', 'tags', 'abuse', 'network', ...TAG_FIELDS]);
const ADDRESS_RE = /^(bc1[02-9ac-hj-np-z]{8,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34}|tb1[02-9ac-hj-np-z]{8,87}|[mn2][1-9A-HJ-NP-Za-km-z]{25,34}|[48][1-9A-HJ-NP-Za-km-z]{94,105})$/;

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Parses and validates a TagPack; header fields are inherited by tags that do not set them. */
export function parseTagPack(text: string, maxTags = 1_000_000): TagPack {
  if (text.length > 256 << 20) throw new TagPackError('TagPack larger than 256 MiB');
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (err) {
    throw new TagPackError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new TagPackError('a TagPack is a YAML mapping with title, creator and tags');
  const h = doc as Record<string, unknown>;
  for (const k of Object.keys(h)) if (!HEADER_FIELDS.has(k)) throw new TagPackError(`unknown header field "${k}"`);
  const title = str(h.title);
  const creator = str(h.creator);
  if (!title) throw new TagPackError('header field "title" is required');
  if (!creator) throw new TagPackError('header field "creator" is required');
  if (!Array.isArray(h.tags) || h.tags.length === 0) throw new TagPackError('"tags" must be a non-empty list');
  if (h.tags.length > maxTags) throw new TagPackError(`more than ${maxTags} tags`);
  const tags = h.tags.map((raw, i): AddressTag => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TagPackError(`tag ${i + 1}: not a mapping`);
    const t = raw as Record<string, unknown>;
    for (const k of Object.keys(t)) if (!(TAG_FIELDS as readonly string[]).includes(k)) throw new TagPackError(`tag ${i + 1}: unknown field "${k}"`);
    const get = (k: (typeof TAG_FIELDS)[number]) => str(t[k] ?? h[k]);
    const address = get('address');
    const label = get('label');
    const source = get('source');
    const category = get('category');
    const currency = (get('currency') ?? '').toUpperCase();
    if (!address || !ADDRESS_RE.test(address)) throw new TagPackError(`tag ${i + 1}: "address" missing or not a BTC/XMR address`);
    if (!label) throw new TagPackError(`tag ${i + 1} (${address}): "label" is required`);
    if (!source) throw new TagPackError(`tag ${i + 1} (${address}): "source" is required`);
    if (!currency) throw new TagPackError(`tag ${i + 1} (${address}): "currency" is required`);
    if (!category || !(TAG_CATEGORIES as readonly string[]).includes(category)) {
      throw new TagPackError(`tag ${i + 1} (${address}): category ${JSON.stringify(category ?? null)} is not one of ${TAG_CATEGORIES.join(', ')}`);
    }
    const confidence = get('confidence');
    if (confidence && !(CONFIDENCE_LEVELS as readonly string[]).includes(confidence)) {
      throw new TagPackError(`tag ${i + 1} (${address}): confidence "${confidence}" is not one of ${CONFIDENCE_LEVELS.join(', ')}`);
    }
    const lastmod = get('lastmod');
    if (lastmod && !/^\d{4}-\d{2}-\d{2}/.test(lastmod)) throw new TagPackError(`tag ${i + 1} (${address}): lastmod must be a date (YYYY-MM-DD)`);
    const definer = t.is_cluster_definer ?? h.is_cluster_definer;
    return {
      address, label, source, category, currency, confidence, lastmod: lastmod?.slice(0, 10), actor: get('actor'), context: get('context'),
      isClusterDefiner: definer === undefined ? undefined : definer === true,
    };
  });
  return { title, creator, description: str(h.description), isPublic: h.is_public === true, tags };
}

/** Writes a TagPack; fields shared by every tag are lifted into the header, as the TagPack tool does. */
export function exportTagPack(pack: TagPack): string {
  const header: Record<string, unknown> = { title: pack.title, creator: pack.creator };
  if (pack.description) header.description = pack.description;
  header.is_public = pack.isPublic;
  const rows = pack.tags.map((t) => {
    const r: Record<string, unknown> = { address: t.address, label: t.label, source: t.source, category: t.category, currency: t.currency };
    if (t.confidence) r.confidence = t.confidence;
    if (t.lastmod) r.lastmod = t.lastmod;
    if (t.actor) r.actor = t.actor;
    if (t.context) r.context = t.context;
    if (t.isClusterDefiner !== undefined) r.is_cluster_definer = t.isClusterDefiner;
    return r;
  });
  for (const k of ['currency', 'source', 'category', 'confidence', 'lastmod']) {
    const first = rows[0]?.[k];
    if (first !== undefined && rows.every((r) => r[k] === first)) {
      header[k] = first;
      for (const r of rows) delete r[k];
    }
  }
  header.tags = rows;
  return stringify(header, { lineWidth: 0 });
}
