/**
 * Conformance check of a bundle against the OASIS STIX 2.1 JSON Schemas (cti-stix2-json-schemas), with Ajv's
 * draft 2020-12 validator. Every schema file is loaded under its own `$id` (http://raw.githubusercontent.com/…),
 * so the schemas' relative and absolute `$ref`s resolve to the local copies; Ajv is given no loader, so
 * nothing is ever fetched.
 *
 * Two things in the OASIS files need care:
 *  - bundle.json's `objects` list omits the schemas of note, location, grouping, opinion, incident and
 *    extension-definition, and sends such objects to its custom-object branch, where a `oneOf` of core.json and
 *    cyber-observable-core.json matches any SDO twice and so rejects it. Objects of those types are therefore
 *    checked against their own OASIS schema file; every other object is checked through bundle.json itself.
 *    The same `oneOf` rejects every custom SDO (misp-stix's `x-misp-attribute`, `x-misp-object`): an object of an
 *    `x-` type with `created` or `modified` is checked against core.json, the SDO half of that `oneOf`.
 *  - the type-name pattern `^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$` backtracks exponentially on hostile input and
 *    is not a valid `u`-flag regex. It is compiled as the equivalent `^[a-z][a-z0-9]*(-[a-z0-9]+)*-?$`.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMA_BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';

/** Types whose OASIS schema exists but which bundle.json cannot accept (see above). */
const OWN_SCHEMA_TYPES: Readonly<Record<string, string>> = {
  note: 'sdos/note.json',
  location: 'sdos/location.json',
  grouping: 'sdos/grouping.json',
  opinion: 'sdos/opinion.json',
  incident: 'sdos/incident.json',
  'extension-definition': 'common/extension-definition.json',
};

const SAFE_PATTERNS: Readonly<Record<string, string>> = {
  '^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\\-?$': '^[a-z][a-z0-9]*(-[a-z0-9]+)*-?$',
  '^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\\-ext$': '^[a-z][a-z0-9]*(-[a-z0-9]+)*-ext$',
};

/** Ajv's RegExp engine hook (`code` names it for standalone code generation, which we never use). */
const safeRegExp = Object.assign((pattern: string, flags: string) => new RegExp(SAFE_PATTERNS[pattern] ?? pattern, flags), {
  code: 'new RegExp',
});

export interface ValidationResult {
  valid: boolean;
  /** One line per problem: `objects[3] (indicator--…): /pattern must be string`. */
  errors: string[];
}

export class SchemaDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaDirectoryError';
  }
}

/** Where the OASIS schemas live: $DARKPATROL_STIX_SCHEMAS, else the copy shipped in vendor/ of this repository. */
export function defaultSchemaDir(): string {
  if (process.env.DARKPATROL_STIX_SCHEMAS) return process.env.DARKPATROL_STIX_SCHEMAS;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../vendor/oasis-stix2.1-json-schemas/schemas');
}

interface Validators {
  bundle: ValidateFunction;
  core: ValidateFunction;
  byFile: Map<string, ValidateFunction>;
}

const cache = new Map<string, Validators>();

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listJson(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

function load(schemaDir: string): Validators {
  const hit = cache.get(schemaDir);
  if (hit) return hit;
  if (!existsSync(join(schemaDir, 'common', 'bundle.json'))) {
    throw new SchemaDirectoryError(
      `OASIS STIX 2.1 JSON schemas not found in ${schemaDir} (set DARKPATROL_STIX_SCHEMAS to the schemas/ folder)`,
    );
  }
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    unicodeRegExp: false,
    logger: false,
    code: { regExp: safeRegExp },
  });
  // ajv-formats ships as CommonJS; its default export is the plugin function.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => void;
  addFormats(ajv);
  for (const file of listJson(schemaDir)) {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { $id?: string };
    if (!schema.$id) throw new SchemaDirectoryError(`${file} has no $id`);
    ajv.addSchema(schema);
  }
  const get = (rel: string): ValidateFunction => {
    const v = ajv.getSchema(SCHEMA_BASE + rel);
    if (!v) throw new SchemaDirectoryError(`schema ${rel} missing from ${schemaDir}`);
    return v;
  };
  const byFile = new Map<string, ValidateFunction>();
  for (const rel of Object.values(OWN_SCHEMA_TYPES)) byFile.set(rel, get(rel));
  const validators = { bundle: get('common/bundle.json'), core: get('common/core.json'), byFile };
  cache.set(schemaDir, validators);
  return validators;
}

function describe(prefix: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${prefix}${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

/**
 * Validate a bundle. The bundle envelope and every object are checked; the result names the failing object.
 * A valid result means the bundle conforms to the OASIS schemas (which check structure, not STIX semantics such
 * as whether a pattern parses or a reference resolves).
 */
export function validateBundle(bundle: unknown, options: { schemaDir?: string } = {}): ValidationResult {
  const v = load(options.schemaDir ?? defaultSchemaDir());
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) {
    return { valid: false, errors: ['bundle must be a JSON object'] };
  }
  const { objects, ...envelope } = bundle as Record<string, unknown>;
  const errors: string[] = [];
  if (!v.bundle(envelope)) errors.push(...describe('bundle', v.bundle.errors));
  if (objects !== undefined) {
    if (!Array.isArray(objects) || objects.length === 0) {
      errors.push('bundle/objects must be a non-empty array');
    } else {
      objects.forEach((o: unknown, i) => {
        const type = typeof o === 'object' && o !== null ? (o as Record<string, unknown>).type : undefined;
        const id = typeof o === 'object' && o !== null ? (o as Record<string, unknown>).id : undefined;
        const label = `objects[${i}]${typeof id === 'string' ? ` (${id.slice(0, 120)})` : ''}`;
        const own = typeof type === 'string' ? OWN_SCHEMA_TYPES[type] : undefined;
        const customSdo = typeof type === 'string' && type.startsWith('x-') && typeof o === 'object' && o !== null && ('created' in o || 'modified' in o);
        if (own) {
          const f = v.byFile.get(own)!;
          if (!f(o)) errors.push(...describe(label, f.errors));
        } else if (customSdo) {
          if (!v.core(o)) errors.push(...describe(label, v.core.errors));
        } else if (!v.bundle({ type: 'bundle', id: envelope.id, objects: [o] })) {
          errors.push(...describe(label, v.bundle.errors?.filter((e) => e.instancePath.startsWith('/objects/0'))).map((s) => s.replace('/objects/0', '')));
          if (errors.length === 0) errors.push(`${label}: does not match any STIX object schema`);
        }
      });
    }
  }
  return { valid: errors.length === 0, errors };
}
