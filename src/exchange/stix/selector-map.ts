/**
 * How each registered selector kind travels in STIX 2.1, in both directions. Where STIX has an observable type
 * we use it (email-addr, domain-name, user-account); where it has none we use DarkPatrol's new SCO types.
 */
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/selectors.ts';
import { CRYPTOCURRENCY_WALLET, PGP_KEY, PHONE_NUMBER, newScoObject, readDarkpatrolProperties } from './extensions.ts';
import type { NewScoDefinition } from './extensions.ts';
import { scoId } from './ids.ts';
import { equalityPattern, equalityComparisons } from './pattern.ts';
import type { Comparison } from './pattern.ts';
import type { StixObject } from './schemas.ts';

export const COIN_TICKERS = { btc_address: 'BTC', xmr_address: 'XMR', ltc_address: 'LTC', eth_address: 'ETH' } as const;
type CoinKind = keyof typeof COIN_TICKERS;
const TICKER_KIND = new Map<string, CoinKind>(Object.entries(COIN_TICKERS).map(([k, t]) => [t, k as CoinKind]));

/** Selector kinds carried as user-account (account_type = the kind, with `-` for `_`). */
export const ACCOUNT_SELECTOR_KINDS = ['telegram', 'wickr', 'session', 'signal', 'threema', 'jabber', 'vendor_handle'] as const;
type AccountKind = (typeof ACCOUNT_SELECTOR_KINDS)[number];
const accountType = (k: AccountKind) => k.replace('_', '-');
const ACCOUNT_TYPE_KIND = new Map<string, AccountKind>(ACCOUNT_SELECTOR_KINDS.map((k) => [accountType(k), k]));

export interface SelectorObservable {
  /** The SCO, or for postal addresses a location SDO body (without the SDO common properties). */
  object: StixObject;
  /** Equality pattern for an indicator; absent where STIX patterns cannot reach (locations). */
  pattern?: string;
  /** The new SCO type this uses, so the bundle carries its extension-definition. */
  extension?: NewScoDefinition;
}

export function selectorToObservable(kind: RegisteredSelectorKind, rawValue: string): SelectorObservable {
  const value = normalizeRegisteredSelector(kind, rawValue);
  const sco = (type: string, props: Record<string, string>, path: string, v: string): SelectorObservable => ({
    object: { type, spec_version: '2.1', id: scoId(type, props), ...props },
    pattern: equalityPattern([{ objectType: type, path, value: v }]),
  });
  switch (kind) {
    case 'email':
      return sco('email-addr', { value }, 'value', value);
    case 'onion':
      return sco('domain-name', { value }, 'value', value);
    case 'pgp_key':
      return {
        object: newScoObject(PGP_KEY, { fingerprint: value }) as StixObject,
        pattern: equalityPattern([{ objectType: 'pgp-key', path: 'fingerprint', value }]),
        extension: PGP_KEY,
      };
    case 'phone':
      return {
        object: newScoObject(PHONE_NUMBER, { value }) as StixObject,
        pattern: equalityPattern([{ objectType: 'phone-number', path: 'value', value }]),
        extension: PHONE_NUMBER,
      };
    case 'btc_address':
    case 'xmr_address':
    case 'ltc_address':
    case 'eth_address': {
      const currency = COIN_TICKERS[kind];
      return {
        object: newScoObject(CRYPTOCURRENCY_WALLET, { currency, value }) as StixObject,
        pattern: equalityPattern([
          { objectType: 'cryptocurrency-wallet', path: 'currency', value: currency },
          { objectType: 'cryptocurrency-wallet', path: 'value', value },
        ]),
        extension: CRYPTOCURRENCY_WALLET,
      };
    }
    case 'postal_address':
      return { object: { type: 'location', id: '', street_address: value } };
    default: {
      const props = { account_type: accountType(kind), user_id: value, account_login: value };
      return {
        object: { type: 'user-account', spec_version: '2.1', id: scoId('user-account', props), ...props },
        pattern: equalityPattern([
          { objectType: 'user-account', path: 'account_type', value: props.account_type },
          { objectType: 'user-account', path: 'user_id', value },
        ]),
      };
    }
  }
}

/** MISP attribute types (x_misp_type) that are DarkPatrol selectors. */
const MISP_ATTRIBUTE_KIND: Readonly<Record<string, RegisteredSelectorKind>> = {
  btc: 'btc_address',
  xmr: 'xmr_address',
  'phone-number': 'phone',
  'whois-registrant-phone': 'phone',
  email: 'email',
  'email-src': 'email',
  'email-dst': 'email',
  'jabber-id': 'jabber',
};

export interface ReadSelector {
  kind: RegisteredSelectorKind;
  value: string;
}

function normalized(kind: RegisteredSelectorKind, value: unknown): ReadSelector | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return { kind, value: normalizeRegisteredSelector(kind, value) };
  } catch {
    return undefined;
  }
}

/** The selector an observable (or a DarkPatrol postal location) stands for, if any. */
export function observableToSelector(o: StixObject): ReadSelector | undefined {
  switch (o.type) {
    case 'email-addr':
      return normalized('email', o.value);
    case 'domain-name':
      return typeof o.value === 'string' && /\.onion\.?$/i.test(o.value) ? normalized('onion', o.value) : undefined;
    case 'url': {
      if (typeof o.value !== 'string') return undefined;
      const host = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(o.value)?.[1];
      return host && /\.onion(:\d+)?$/i.test(host) ? normalized('onion', host) : undefined;
    }
    case 'pgp-key':
      return normalized('pgp_key', o.fingerprint);
    case 'phone-number':
      return normalized('phone', o.value);
    case 'cryptocurrency-wallet': {
      const kind = typeof o.currency === 'string' ? TICKER_KIND.get(o.currency.toUpperCase()) : undefined;
      return kind ? normalized(kind, o.value) : undefined;
    }
    case 'user-account': {
      const kind = typeof o.account_type === 'string' ? ACCOUNT_TYPE_KIND.get(o.account_type) : undefined;
      return kind ? normalized(kind, o.user_id ?? o.account_login) : undefined;
    }
    case 'x-misp-attribute': {
      // MISP exports attribute types STIX has no object for as custom objects (misp-stix, "x-misp-attribute").
      // Read the value as misp-stix does: each pair of backslashes becomes one (its _sanitise_value).
      const value = typeof o.x_misp_value === 'string' ? o.x_misp_value.replaceAll('\\\\', '\\') : undefined;
      if (o.x_misp_type === 'domain') return value && /\.onion\.?$/i.test(value) ? normalized('onion', value) : undefined;
      if (o.x_misp_type === 'text') {
        // Selector kinds MISP has no attribute type for: DarkPatrol's MISP view names the kind in the comment.
        const named = typeof o.x_misp_comment === 'string' ? /^darkpatrol selector: ([a-z_]+)$/.exec(o.x_misp_comment)?.[1] : undefined;
        return named && isRegisteredSelectorKind(named) ? normalized(named, value) : undefined;
      }
      const kind = typeof o.x_misp_type === 'string' ? MISP_ATTRIBUTE_KIND[o.x_misp_type] : undefined;
      return kind ? normalized(kind, value) : undefined;
    }
    case 'x-misp-object': {
      // MISP objects DarkPatrol writes for selectors MISP has no attribute type for (coin-address, pgp-meta).
      const attrs = Array.isArray(o.x_misp_attributes) ? (o.x_misp_attributes as Record<string, unknown>[]) : [];
      const rel = (r: string) => attrs.find((a) => typeof a === 'object' && a !== null && a.object_relation === r)?.value;
      if (o.x_misp_name === 'pgp-meta') return normalized('pgp_key', rel('key-id'));
      if (o.x_misp_name === 'coin-address') {
        if (rel('address') !== undefined) return normalized('btc_address', rel('address'));
        if (rel('address-xmr') !== undefined) return normalized('xmr_address', rel('address-xmr'));
        const sym = rel('symbol');
        const kind = typeof sym === 'string' ? TICKER_KIND.get(sym.toUpperCase()) : undefined;
        return kind ? normalized(kind, rel('address-crypto')) : undefined;
      }
      return undefined;
    }
    case 'location':
      return readDarkpatrolProperties(o).selector_kind === 'postal_address' ? normalized('postal_address', o.street_address) : undefined;
    default:
      return undefined;
  }
}

function fromComparisons(cs: Comparison[]): ReadSelector[] {
  const out: ReadSelector[] = [];
  const byType = new Map<string, Comparison[]>();
  for (const c of cs) byType.set(c.objectType, [...(byType.get(c.objectType) ?? []), c]);
  for (const [type, list] of byType) {
    const get = (path: string) => list.filter((c) => c.path === path).map((c) => c.value);
    if (type === 'user-account') {
      const kinds = get('account_type');
      for (const v of get('user_id')) {
        const kind = kinds.length === 1 ? ACCOUNT_TYPE_KIND.get(kinds[0]!) : undefined;
        const s = kind ? normalized(kind, v) : undefined;
        if (s) out.push(s);
      }
      continue;
    }
    if (type === 'cryptocurrency-wallet') {
      const cur = get('currency');
      const kind = cur.length === 1 ? TICKER_KIND.get(cur[0]!.toUpperCase()) : undefined;
      for (const v of get('value')) {
        const s = kind ? normalized(kind, v) : undefined;
        if (s) out.push(s);
      }
      continue;
    }
    for (const c of list) {
      const s = observableToSelector({ type, id: '', [c.path === 'fingerprint' ? 'fingerprint' : c.path]: c.value });
      if (s && (c.path === 'value' || c.path === 'fingerprint')) out.push(s);
    }
  }
  return out;
}

/** Selectors named by equality comparisons in a STIX pattern (`[email-addr:value = 'x']` and the like). */
export function patternToSelectors(pattern: string): ReadSelector[] {
  return fromComparisons(equalityComparisons(pattern));
}

