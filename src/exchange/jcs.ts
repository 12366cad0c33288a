/**
 * RFC 8785 JSON Canonicalization Scheme. Signatures and STIX SCO ids are computed over this form, so two
 * producers serialising the same value get the same bytes.
 *
 * ECMAScript's JSON.stringify already produces the RFC's number and string serialisations; what JCS adds is
 * key order (UTF-16 code units, which is JavaScript's default string comparison) and the refusal of values
 * that have no canonical form.
 */
export class CanonicalizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalizationError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function str(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw new CanonicalizationError(`${path}: string holds a lone UTF-16 surrogate`);
  return JSON.stringify(value);
}

function write(value: unknown, path: string, depth: number, out: string[]): void {
  if (depth > 256) throw new CanonicalizationError(`${path}: nesting deeper than 256`);
  if (value === null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CanonicalizationError(`${path}: ${value} has no JSON form`);
    out.push(JSON.stringify(value));
  } else if (typeof value === 'string') {
    out.push(str(value, path));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      if (item === undefined) throw new CanonicalizationError(`${path}[${i}]: undefined in an array`);
      write(item, `${path}[${i}]`, depth + 1, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalizationError(`${path}: only plain objects can be canonicalised`);
    }
    // Absent and undefined are the same in JSON: undefined members are left out, as JSON.stringify does.
    const keys = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(str(k, path), ':');
      write((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1, out);
    });
    out.push('}');
  } else {
    throw new CanonicalizationError(`${path}: a ${typeof value} has no JSON form`);
  }
}

/** The canonical JSON text of `value`. */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, '$', 0, out);
  return out.join('');
}

/** The canonical JSON as UTF-8 bytes: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}
