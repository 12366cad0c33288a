/**
 * Selectors: the hard identifiers pulled out of captured text (PGP keys, crypto addresses, onion names,
 * e-mails, phone numbers, messenger handles). Extraction, linking, de-confliction and exchange all key on
 * `Selector.value`, so every side must normalise through `normalizeSelector` — the same real-world value
 * always gives the same key.
 */
import { normalizeOnion } from './onion.ts';

export const SELECTOR_KINDS = [
  'pgp_key',
  'btc_address',
  'xmr_address',
  'ltc_address',
  'eth_address',
  'onion',
  'email',
  'phone',
  'telegram',
  'wickr',
  'session',
  'signal',
  'threema',
  'jabber',
] as const;
export type SelectorKind = (typeof SELECTOR_KINDS)[number];

export function isSelectorKind(x: unknown): x is SelectorKind {
  return typeof x === 'string' && (SELECTOR_KINDS as readonly string[]).includes(x);
}

export interface PgpSubkeyInfo {
  fingerprint: string;
  keyId: string;
  algorithm: string;
  bits?: number;
  curve?: string;
  created: string;
}

export interface PgpKeyMeta {
  /** Read from an armored key block (as opposed to a fingerprint written out in text). */
  source: 'key_block';
  /** Uppercase hex: 40 chars for v4 keys, 64 for v6. Equal to `value`. */
  fingerprint: string;
  /** Uppercase hex, 16 chars. */
  keyId: string;
  /** openpgp.js algorithm name, e.g. `rsaEncryptSign`, `eddsaLegacy`, `ed25519`. */
  algorithm: string;
  bits?: number;
  curve?: string;
  keyVersion: number;
  /** ISO 8601 creation time of the primary key. */
  created: string;
  userIds: string[];
  /** Lowercased-domain e-mails found in the user IDs. */
  emails: string[];
  subkeys: PgpSubkeyInfo[];
  /** Armor CRC-24 line: present and correct, or absent (a mismatch is an error, not a key). */
  armorChecksum: 'ok' | 'missing';
  /** Which repairs were needed to read the block (empty for a clean block). */
  repairs: string[];
  /** Key IDs (16 hex) of other keys whose certification is on this key's user IDs (not verified here). */
  certifiedBy?: string[];
  /** The key's public packets, base64 (≤ 16 KiB of key), so a link run can verify certifications between keys. */
  packets?: string;
}

/** A v4 fingerprint written out in text ("PGP fingerprint: 9505 720A …"), with no key to read. */
export interface PgpFingerprintMeta {
  source: 'fingerprint';
  /** The last 16 hex digits (the v4 long key id). */
  keyId: string;
}

export interface CoinAddressMeta {
  /** Address encoding: `p2pkh`, `p2sh`, `p2wpkh`, `p2wsh`, `p2tr`, `segwit`, `standard`, `subaddress`, `integrated`, `account`. */
  type: string;
  /** Segwit witness version for bech32/bech32m addresses. */
  witnessVersion?: number;
  /** Whether an Ethereum address carried an EIP-55 mixed-case checksum. */
  checksummed?: boolean;
  /** Monero integrated address payment id (hex). */
  paymentId?: string;
  /** Set for test networks only (absent: mainnet). Base58 testnet versions are shared by testnet, signet and regtest. */
  network?: 'mainnet' | 'testnet' | 'regtest' | 'stagenet';
}

export interface OnionMeta {
  version: 2 | 3;
  /** v2 names are deprecated (16 chars, no checksum); kept for historic captures. */
  legacy: boolean;
}

export interface EmailMeta {
  /** The address was written obfuscated (`name [at] domain [dot] com`). */
  obfuscated?: boolean;
  /** Taken from a PGP key's user ID rather than the running text. */
  source?: 'text' | 'pgp_uid';
}

export interface PhoneMeta {
  /** `value` is E.164 (`+<country><number>`); false when the text gave no country and none was configured. */
  international: boolean;
  /** The messenger or word that made this a phone number (`tel`, `whatsapp`, `signal`, …). */
  context?: string;
}

export interface HandleMeta {
  /**
   * How the handle was recognised: `link` (t.me/…), `label` (telegram: …), `format` (Session id), `uri`
   * (xmpp:…), `server` (a known XMPP server), `source` (a bare @name in text known to come from that messenger).
   */
  via: 'link' | 'label' | 'format' | 'uri' | 'server' | 'source';
  /** Signal: `phone` or `username`. */
  form?: 'phone' | 'username';
}

export interface SelectorMetaMap {
  pgp_key: PgpKeyMeta | PgpFingerprintMeta;
  btc_address: CoinAddressMeta;
  xmr_address: CoinAddressMeta;
  ltc_address: CoinAddressMeta;
  eth_address: CoinAddressMeta;
  onion: OnionMeta;
  email: EmailMeta;
  phone: PhoneMeta;
  telegram: HandleMeta;
  wickr: HandleMeta;
  session: HandleMeta;
  signal: HandleMeta;
  threema: HandleMeta;
  jabber: HandleMeta;
}

/** One selector found in text. `offset` and `raw` refer to the original input string. */
export type Selector = {
  [K in SelectorKind]: {
    kind: K;
    /** The normalised key: equal values mean the same real-world selector. */
    value: string;
    /** The exact source text it was read from (for PGP, the whole armored block). */
    raw: string;
    /** UTF-16 offset of `raw` in the input. */
    offset: number;
    meta?: SelectorMetaMap[K];
  };
}[SelectorKind];

export type SelectorOf<K extends SelectorKind> = Extract<Selector, { kind: K }>;

const TRIM = /^[\s"'<>()[\]{},;]+|[\s"'<>()[\]{},;.]+$/g;
const HEX_SPACES = /[\s:]/g;

/**
 * Canonical key for a selector value. Formatting only — it never checks checksums (see
 * `parseSelector` in `src/extract/selectors` for validation) — and it is idempotent:
 * `normalizeSelector(k, normalizeSelector(k, x)) === normalizeSelector(k, x)`.
 */
export interface NormalizeOptions {
  /** Country calling code (1-3 digits, no `+`) for phone numbers written without one. */
  defaultCallingCode?: string;
}

export function normalizeSelector(kind: SelectorKind, raw: string, opts: NormalizeOptions = {}): string {
  const s = raw.normalize('NFKC').replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '').replace(TRIM, '');
  switch (kind) {
    case 'pgp_key':
      return s.replace(HEX_SPACES, '').replace(/^0x/i, '').toUpperCase();
    case 'btc_address':
    case 'ltc_address':
      // bech32 is case-insensitive (lowercase canonical); base58 is case-sensitive.
      return /^(bc|tb|bcrt|ltc|tltc|rltc)1/i.test(s) ? s.toLowerCase() : s;
    case 'xmr_address':
      return s;
    case 'eth_address':
      return s.toLowerCase();
    case 'onion':
      return normalizeOnion(s);
    case 'email':
      return normalizeEmail(s);
    case 'jabber':
      return s.replace(/^xmpp:/i, '').replace(/\/.*$/, '').toLowerCase();
    case 'phone':
      return normalizePhoneDigits(s, opts.defaultCallingCode);
    case 'signal':
      return /^[+\d(][\d\s().-]*$/.test(s) ? normalizePhoneDigits(s, opts.defaultCallingCode) : s.toLowerCase();
    case 'telegram':
      return s
        .replace(/^(?:https?:\/\/)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)\/(?:s\/)?/i, '')
        .replace(/^@/, '')
        .replace(/[/?#].*$/, '')
        .toLowerCase();
    case 'wickr':
      return s.replace(/^@/, '').toLowerCase();
    case 'session':
      return s.toLowerCase();
    case 'threema':
      return s.replace(/^(?:https?:\/\/)?threema\.id\//i, '').toUpperCase();
  }
}

function normalizeEmail(s: string): string {
  // Obfuscated spellings ("name [at] domain [dot] com", "name(at)domain.com") are the same address.
  const e = s
    .replace(/^mailto:/i, '')
    .replace(/\s*[[({<]\s*(?:at|@)\s*[\])}>]\s*/gi, '@')
    .replace(/\s*[[({<]\s*(?:dot|\.)\s*[\])}>]\s*/gi, '.');
  const at = e.lastIndexOf('@');
  if (at < 0) return e;
  return `${e.slice(0, at)}@${e.slice(at + 1).toLowerCase()}`;
}

/**
 * Phone numbers: `+` and digits only. A leading `00` becomes `+`; a trunk `(0)` written after an
 * international prefix (`+44 (0)20 …`) is dropped. A number written without a country gets
 * `defaultCallingCode` (its trunk `0` dropped; NANP `1` numbers keep their digits) or stays as digits.
 */
export function normalizePhoneDigits(s: string, defaultCallingCode?: string): string {
  let t = s.trim().replace(/^\(\s*(?=\+)/, '');
  const intl = /^\+/.test(t) || /^00[1-9]/.test(t.replace(/[\s().-]/g, ''));
  if (intl) t = t.replace(/^00/, '+').replace(/^\+\s*(\d{1,3})\s*\(0\)/, '+$1');
  const digits = t.replace(/\D/g, '');
  if (intl) return `+${digits}`;
  if (defaultCallingCode && /^[1-9]\d{0,2}$/.test(defaultCallingCode)) {
    const national = defaultCallingCode === '1' ? digits.replace(/^1(?=\d{10}$)/, '') : digits.replace(/^0/, '');
    return `+${defaultCallingCode}${national}`;
  }
  return digits;
}
