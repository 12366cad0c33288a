// Induced adapters as JSON: the same declarative format as the shipped adapters, without code hooks. Reading one
// back checks its shape and size and validates every selector and pattern (a hostile file gets a clear error).
import { AdapterError, validateAdapter } from '../adapter/validate.ts';
import type { Adapter } from '../adapter/types.ts';

export const MAX_ADAPTER_JSON = 256 * 1024;

export function adapterToJson(adapter: Adapter): string {
  if (adapter.hooks) throw new AdapterError(`adapter ${adapter.id} has code hooks and cannot be saved as JSON`);
  const { id, version, market, hosts, pageTypes, pages } = adapter;
  return JSON.stringify({ id, version, market, hosts: hosts ?? [], pageTypes, pages }, null, 2);
}

/** Parses and validates an adapter JSON text; throws AdapterError on anything unusable. */
export function adapterFromJson(text: string): Adapter {
  if (text.length > MAX_ADAPTER_JSON) throw new AdapterError(`adapter JSON is larger than ${MAX_ADAPTER_JSON} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AdapterError(`adapter is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AdapterError('adapter JSON must be an object');
  const o = raw as Record<string, unknown>;
  if ('hooks' in o) throw new AdapterError('a JSON adapter cannot carry code hooks');
  if (typeof o.id !== 'string' || typeof o.version !== 'string' || typeof o.market !== 'string') throw new AdapterError('adapter needs string id, version and market');
  if (!Array.isArray(o.pageTypes)) throw new AdapterError('adapter.pageTypes must be a list');
  if (typeof o.pages !== 'object' || o.pages === null || Array.isArray(o.pages)) throw new AdapterError('adapter.pages must be an object');
  if (o.hosts !== undefined && (!Array.isArray(o.hosts) || !o.hosts.every((h) => typeof h === 'string'))) throw new AdapterError('adapter.hosts must be a list of hostnames');
  const shapeOk = (v: unknown): boolean => {
    // Only plain JSON data: strings, numbers, booleans, lists and objects (no prototype tricks).
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return true;
    if (Array.isArray(v)) return v.every(shapeOk);
    if (typeof v === 'object') return Object.keys(v as object).every((k) => k !== '__proto__' && k !== 'constructor' && shapeOk((v as Record<string, unknown>)[k]));
    return false;
  };
  if (!shapeOk(o.pageTypes) || !shapeOk(o.pages)) throw new AdapterError('adapter holds values that are not plain JSON');
  return validateAdapter({
    id: o.id,
    version: o.version,
    market: o.market,
    hosts: (o.hosts as string[] | undefined) ?? [],
    pageTypes: o.pageTypes as Adapter['pageTypes'],
    pages: o.pages as Adapter['pages'],
  });
}
