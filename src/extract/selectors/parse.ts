/**
 * parseSelector: validate and normalise one value an analyst typed or a partner sent (de-confliction,
 * exchange imports), with the same rules and checksums the text scanners use.
 */
import { normalizeSelector, isValidOnionV3 } from '../../domain/index.ts';
import type { SelectorKind, SelectorMetaMap } from '../../domain/index.ts';
import { validateBase58Address, validateEthAddress, validateSegwitAddress } from './coins.ts';
import { validateMoneroAddress } from './monero.ts';
import { validateEmailParts } from './scan-email.ts';
import { readPhone } from './scan-phone.ts';
import { isTelegramUsername } from './scan-handles.ts';

export type ParsedSelector<K extends SelectorKind = SelectorKind> =
  | { ok: true; kind: K; value: string; meta?: SelectorMetaMap[K] }
  | { ok: false; kind: K; reason: string };

const MAX_VALUE = 512;

export function parseSelector<K extends SelectorKind>(kind: K, raw: string): ParsedSelector<K> {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, kind, reason: 'empty value' };
  if (raw.length > MAX_VALUE) return { ok: false, kind, reason: `value longer than ${MAX_VALUE} characters` };
  const value = normalizeSelector(kind, raw);
  const fail = (reason: string): ParsedSelector<K> => ({ ok: false, kind, reason });
  const ok = (v: string, meta?: unknown): ParsedSelector<K> =>
    (meta === undefined ? { ok: true, kind, value: v } : { ok: true, kind, value: v, meta }) as ParsedSelector<K>;
  switch (kind) {
    case 'pgp_key':
      return /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(value) ? ok(value) : fail('a PGP fingerprint is 40 (v4) or 64 (v6) hex digits');
    case 'btc_address':
    case 'ltc_address': {
      const a = validateBase58Address(value) ?? validateSegwitAddress(value);
      if (!a) return fail('not a valid address (checksum, version or length)');
      if (a.kind !== kind) return fail(`this is a ${a.kind}, not a ${kind}`);
      return ok(a.value, a.meta);
    }
    case 'eth_address': {
      const a = validateEthAddress(raw.trim());
      return a ? ok(a.value, a.meta) : fail('not 0x + 40 hex digits, or its EIP-55 mixed-case checksum is wrong');
    }
    case 'xmr_address': {
      const a = validateMoneroAddress(value);
      return a ? ok(a.value, a.meta) : fail('not a Monero address (length, prefix or Keccak checksum)');
    }
    case 'onion': {
      const label = value.replace(/\.onion$/, '');
      if (label.length === 56) return isValidOnionV3(label) ? ok(value, { version: 3, legacy: false }) : fail('v3 onion checksum or version is wrong');
      if (/^[a-z2-7]{16}$/.test(label)) return ok(value, { version: 2, legacy: true });
      return fail('not a v3 (56 chars) or v2 (16 chars) onion name');
    }
    case 'email':
    case 'jabber': {
      const at = value.lastIndexOf('@');
      if (at < 1 || !validateEmailParts(value.slice(0, at), value.slice(at + 1))) return fail(`not a valid ${kind === 'email' ? 'e-mail address' : 'JID'}`);
      return ok(value);
    }
    case 'phone':
    case 'signal': {
      if (kind === 'signal' && /^[A-Za-z_][A-Za-z0-9_]{2,31}\.\d{2,9}$/.test(value)) return ok(value, { via: 'label', form: 'username' });
      const p = readPhone(raw.trim(), kind, undefined);
      if (!p) return fail(kind === 'phone' ? 'not a plausible phone number' : 'not a phone number or a Signal username (name.01)');
      return kind === 'phone' ? ok(p.value, { international: p.international }) : ok(p.value, { via: 'label', form: 'phone' });
    }
    case 'telegram':
      return isTelegramUsername(value) ? ok(value) : fail('a Telegram username is 4-32 letters, digits or _ and starts with a letter');
    case 'wickr':
      return /^[a-z0-9][a-z0-9._-]{3,30}[a-z0-9]$/.test(value) && /[a-z]/.test(value) ? ok(value) : fail('not a Wickr username');
    case 'session':
      return /^05[0-9a-f]{64}$/.test(value) ? ok(value) : fail('a Session id is 66 hex digits starting with 05');
    case 'threema':
      return /^[A-Z0-9*][A-Z0-9]{7}$/.test(value) ? ok(value) : fail('a Threema id is 8 characters A-Z/0-9');
  }
  return fail('unknown selector kind');
}
