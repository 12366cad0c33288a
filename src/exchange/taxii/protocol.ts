/**
 * TAXII 2.1 (OASIS Standard, 10 June 2021): the media types and resource shapes both our server and our client
 * speak. Timestamps are RFC 3339 UTC; date_added carries microseconds so that added_after paging never skips
 * two objects added within the same millisecond.
 */

/** Media type of every TAXII resource (discovery, API root, collections, envelopes, status, errors). §1.6.8. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
/** Media type of the STIX content a collection holds. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

export interface TaxiiDiscovery {
  title: string;
  description?: string;
  contact?: string;
  default?: string;
  api_roots?: string[];
}

export interface TaxiiApiRoot {
  title: string;
  description?: string;
  versions: string[];
  max_content_length: number;
}

export interface TaxiiCollection {
  id: string;
  title: string;
  description?: string;
  alias?: string;
  can_read: boolean;
  can_write: boolean;
  media_types?: string[];
}

export interface TaxiiEnvelope {
  more?: boolean;
  next?: string;
  objects?: Record<string, unknown>[];
}

export interface TaxiiManifestRecord {
  id: string;
  date_added: string;
  version: string;
  media_type?: string;
}

export interface TaxiiManifest {
  more?: boolean;
  next?: string;
  objects?: TaxiiManifestRecord[];
}

export interface TaxiiVersions {
  more?: boolean;
  next?: string;
  versions?: string[];
}

export interface TaxiiStatusDetails {
  id: string;
  version: string;
  message?: string;
}

export interface TaxiiStatus {
  id: string;
  status: 'complete' | 'pending';
  request_timestamp?: string;
  total_count: number;
  success_count: number;
  successes?: TaxiiStatusDetails[];
  failure_count: number;
  failures?: TaxiiStatusDetails[];
  pending_count: number;
  pendings?: TaxiiStatusDetails[];
}

/** The TAXII error message resource (§3.6.1). http_status is a string in TAXII 2.1. */
export interface TaxiiError {
  title: string;
  description?: string;
  error_id?: string;
  error_code?: string;
  http_status?: string;
  external_details?: string;
  details?: Record<string, unknown>;
}

export const DATE_ADDED_FIRST = 'x-taxii-date-added-first';
export const DATE_ADDED_LAST = 'x-taxii-date-added-last';

/**
 * Parameters of a media type, lower-cased names; `null` when the text is not a media type. Used for Accept and
 * Content-Type, whose grammar (RFC 9110 §8.3.1, §12.5.1) is `type/subtype *(;param=value)`.
 */
export function parseMediaType(text: string): { type: string; params: Record<string, string> } | null {
  const [head, ...rest] = text.split(';');
  const type = head!.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/.test(type)) return null;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type, params };
}

/**
 * Whether an Accept header admits a TAXII 2.1 response: `application/taxii+json;version=2.1`, or the type without a
 * version (the latest the server speaks, §1.6.8.1), or a wildcard range. An explicit other version, or q=0, does not.
 * No Accept header at all admits anything (RFC 9110 §12.5.1).
 */
export function acceptsTaxii21(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const m = parseMediaType(range);
    if (!m) return false;
    if (m.params.q !== undefined && Number(m.params.q) <= 0) return false;
    if (m.type === '*/*' || m.type === 'application/*') return true;
    return m.type === 'application/taxii+json' && (m.params.version === undefined || m.params.version === '2.1');
  });
}

/** Whether a request body's Content-Type is the TAXII 2.1 envelope (§5.4: the only one Add Objects takes). */
export function isTaxii21ContentType(contentType: string | undefined): boolean {
  const m = contentType ? parseMediaType(contentType) : null;
  return !!m && m.type === 'application/taxii+json' && (m.params.version === undefined || m.params.version === '2.1');
}

const TAXII_TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** A TAXII timestamp filter value (added_after, match[version]): RFC 3339 UTC with a real calendar date. */
export function isTaxiiTimestamp(s: string): boolean {
  if (!TAXII_TIMESTAMP_RE.test(s)) return false;
  return !Number.isNaN(Date.parse(s)) && new Date(Date.parse(s)).toISOString().slice(0, 10) === s.slice(0, 10);
}
