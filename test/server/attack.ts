import fc from 'fast-check';

/**
 * fast-check arbitraries for the attack suite: values valid for an OpenAPI (JSON Schema) fragment, and hostile
 * variants of them — wrong types, NUL characters, huge and odd Unicode strings, out-of-range numbers, unknown and
 * mass-assignment fields, missing required fields — plus hostile raw bodies and path/query values.
 */

export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  default?: unknown;
}

const HUGE = 'A'.repeat(200_000);
const TOO_LARGE_BODY = 'B'.repeat(1_100_000); // past the server's 1 MiB body limit

/** Strings an attacker tries in any text field. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string().map((s) => `${s}\u0000${s}`),
  fc.constantFrom(
    '\u0000',
    HUGE,
    "' or 1=1 --",
    "'; drop table audit_log; --",
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '../../../../etc/passwd',
    '${7*7}{{7*7}}',
    '%00',
    '\\',
    '\u202e\u200b\ufeff',
    '\ud800',
    '\udfff\ud800',
    '𝕯𝖆𝖗𝖐 🕵️‍♀️ 漢字 العربية',
    ' ',
    '',
    'NaN',
    '-1',
    '1e309',
    '0x10',
    '9'.repeat(40),
    'null',
    '[]',
    '{}',
    'true',
    'http://127.0.0.1:5432/',
    'file:///etc/passwd',
  ),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

/** Any JSON value of the wrong kind, or a number no field should accept. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, -0, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, 0.5, true, false, null) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [[[[[]]]]], JSON.parse('{"__proto__":{"isAdmin":true,"role":"admin"}}') as unknown) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Field names a mass-assignment attack adds to a body. */
const unknownKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('agencyId', 'agency_id', 'tlp', 'role', 'isAdmin', 'admin', '__proto__', 'constructor', 'prototype', 'id', 'userId', 'scopes', 'owner', 'password_hash'),
  fc.string({ minLength: 1, maxLength: 12 }),
);

const MAX_SAMPLE_ITEMS = 3;

function safeRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}

/** A value the schema accepts (as far as JSON Schema says; the server may still refuse it for its meaning). */
export function validValue(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.constant({});
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts?.length) return fc.oneof(...alts.map((s) => validValue(s, depth + 1)));
  if (schema.allOf?.length) return validValue(Object.assign({}, ...schema.allOf) as Schema, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const base = ((): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'string': {
        const maxLength = Math.min(schema.maxLength ?? 40, 40);
        const minLength = Math.min(schema.minLength ?? 0, maxLength);
        if (schema.format === 'uri') return fc.constantFrom('http://127.0.0.1:9/', 'http://10.0.0.1/', 'http://[::1]:5432/', 'http://localhost/', 'http://169.254.169.254/latest/meta-data/', 'http://0x7f000001/', 'gopher://127.0.0.1:25/', 'file:///etc/passwd');
        if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01Z'), max: new Date('2040-01-01Z'), noInvalidDate: true }).map((d) => d.toISOString());
        if (schema.format === 'uuid') return fc.uuid();
        const re = schema.pattern ? safeRegex(schema.pattern) : null;
        if (re) return fc.stringMatching(re, { size: 'xsmall' }).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
        return fc.string({ minLength, maxLength });
      }
      case 'integer': {
        const lo = Math.max(schema.minimum ?? -(2 ** 31), Number.MIN_SAFE_INTEGER) + (schema.exclusiveMinimum === true ? 1 : 0);
        const hi = Math.min(schema.maximum ?? 2 ** 31, Number.MAX_SAFE_INTEGER) - (schema.exclusiveMaximum === true ? 1 : 0);
        return fc.integer({ min: lo, max: Math.max(lo, hi) });
      }
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true, min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9 });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(validValue(schema.items, depth + 1), { minLength: Math.min(schema.minItems ?? 0, MAX_SAMPLE_ITEMS), maxLength: Math.max(Math.min(schema.maxItems ?? MAX_SAMPLE_ITEMS, MAX_SAMPLE_ITEMS), Math.min(schema.minItems ?? 0, MAX_SAMPLE_ITEMS)) });
      case 'object':
      default: {
        const props = schema.properties ?? {};
        if (!Object.keys(props).length) return schema.additionalProperties ? fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) : fc.constant({});
        return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validValue(v, depth + 1)])), { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
      }
    }
  })();
  return schema.nullable ? fc.oneof({ weight: 5, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

/**
 * A value shaped like the schema with hostile parts: any field may be replaced by a hostile value, required fields
 * may be missing, unknown fields may be added, at any depth.
 */
export function fuzzedValue(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return hostileValue;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  let shaped: fc.Arbitrary<unknown>;
  if (type === 'object' || (!type && schema.properties)) {
    const props = schema.properties ?? {};
    const record = fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fuzzedValue(v, depth + 1)])), { requiredKeys: [] });
    shaped = fc.tuple(record, fc.option(fc.dictionary(unknownKey, hostileValue, { minKeys: 1, maxKeys: 2 }), { freq: 2 })).map(([r, extra]) => {
      // Spreading copies an own "__proto__" key as a plain field, as JSON.parse makes it of a request body.
      return extra ? { ...r, ...extra } : r;
    });
  } else if (type === 'array') {
    shaped = fc.array(fuzzedValue(schema.items, depth + 1), { maxLength: MAX_SAMPLE_ITEMS });
  } else {
    shaped = validValue(schema, depth);
  }
  return fc.oneof({ weight: 3, arbitrary: shaped }, { weight: 1, arbitrary: hostileValue });
}

/** A request body as sent on the wire: JSON or not, of the declared content type or another one. */
export interface WireBody {
  payload: string;
  contentType: string;
}

const json = (v: unknown): WireBody => ({ payload: JSON.stringify(v) ?? 'null', contentType: 'application/json' });

/** Bodies for a route with a JSON body schema: valid, fuzzed, anything, or not JSON at all. */
export function bodyFor(schema: Schema | undefined): fc.Arbitrary<WireBody | undefined> {
  return fc.oneof(
    { weight: 3, arbitrary: validValue(schema).map(json) },
    { weight: 6, arbitrary: fuzzedValue(schema).map(json) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<WireBody | undefined>(
        undefined,
        { payload: 'kind=vendor&id=1', contentType: 'application/x-www-form-urlencoded' },
        { payload: '{"reference":"x"}', contentType: 'text/plain' },
        { payload: '{"a":', contentType: 'application/json' },
        { payload: '', contentType: 'application/json' },
        { payload: '\u0000', contentType: 'application/json' },
        { payload: `"${TOO_LARGE_BODY}"`, contentType: 'application/json' },
        { payload: `${'['.repeat(5000)}${']'.repeat(5000)}`, contentType: 'application/json' },
        { payload: '{"a":1,"a":2}', contentType: 'application/json; charset=utf-16' },
        { payload: '<x/>', contentType: 'application/xml' },
      ),
    },
  );
}

/** A query or path value in its raw string form (encoded by the caller). */
export function paramValue(schema: Schema | undefined): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: validValue(schema ?? { type: 'string' }).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) },
    { weight: 2, arbitrary: hostileString.map((s) => s.slice(0, 10_000)) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-1', '2147483648', '9223372036854775808', '1.5', 'abc', '', 'true', '[object Object]') },
  );
}

/** Percent-encodes any string, lone surrogates too (as the bytes of their UTF-8 replacement): a URL must still go out. */
export function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}

/** Path parameters that are not ids of anything: out of range, wrong type, NUL, traversal, too long. */
export const hostilePathValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '-1', '2147483648', '99999999999999999999', '1e3', '0x1', '1.0', 'abc', '%00', '1%00', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', ' 1', '1;select', encodeURIComponent('𝕯'), 'x'.repeat(201), '%ff%fe', '%ed%a0%80', '00000000-0000-0000-0000-000000000000'),
  fc.integer({ min: 1_000_000, max: 2 ** 31 - 1 }).map(String),
  hostileString.map((s) => enc(s.slice(0, 150))),
);

/** Search terms that match rows of every agency and TLP (prefixes of the seed's tags, never a whole tag). */
export const searchTerm: fc.Arbitrary<string> = fc.constantFrom('vendor', 'vendor-nl', 'vendor-de-bka', 'listing', 'cocaine', 'alias', 'identity', 'private', 'nl-pol', 'de-bka', 'market', 'profile', 'bc1q', 'onion', 'a', '%', '_', '*');
