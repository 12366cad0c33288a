/**
 * Reading STIX 2.1 from partners. Input is hostile until proven otherwise: size and nesting are bounded before
 * parsing, every object's id, type, timestamps and references are checked, exact duplicates are refused, and a
 * signed package is verified against the trusted keys before anything in it is believed. What DarkPatrol does
 * not model is kept verbatim (with a warning for types STIX itself does not define), and every marking is kept.
 */
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { SOURCE_KINDS } from '../../domain/market.ts';
import type { SourceKind } from '../../domain/market.ts';
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { SignatureRequiredError } from '../manifest/errors.ts';
import { verifyPackage } from '../manifest/sign.ts';
import type { TrustedKeys, VerifiedPackage } from '../manifest/sign.ts';
import { NEW_SCO_DEFINITIONS, readDarkpatrolProperties } from './extensions.ts';
import { STIX_ID_RE, STIX_TYPE_RE } from './ids.ts';
import { parseStixPattern, PatternSyntaxError } from './pattern-grammar.ts';
import { OBJECT_SCHEMAS, isValidTimestamp } from './schemas.ts';
import type { ModelledType, StixObject } from './schemas.ts';
import { observableToSelector, patternToSelectors } from './selector-map.ts';
import { TLP2_EXTENSION_ID, tlpOfMarkingId } from './tlp.ts';

export const STIX21_TYPES = new Set([
  'attack-pattern', 'campaign', 'course-of-action', 'grouping', 'identity', 'incident', 'indicator', 'infrastructure',
  'intrusion-set', 'location', 'malware', 'malware-analysis', 'note', 'observed-data', 'opinion', 'report',
  'threat-actor', 'tool', 'vulnerability', 'relationship', 'sighting', 'artifact', 'autonomous-system', 'directory',
  'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr', 'ipv6-addr', 'mac-addr', 'mutex',
  'network-traffic', 'process', 'software', 'url', 'user-account', 'windows-registry-key', 'x509-certificate',
  'language-content', 'marking-definition', 'extension-definition',
]);
const DARKPATROL_TYPES = new Set(NEW_SCO_DEFINITIONS.map((d) => d.type));

const TIMESTAMP_PROPS = [
  'created', 'modified', 'valid_from', 'valid_until', 'published', 'first_seen', 'last_seen', 'first_observed',
  'last_observed', 'start_time', 'stop_time',
];

export interface ImportOptions {
  /** Keys of partner agencies. When given, only a signed package whose signature verifies is accepted. */
  trustedKeys?: TrustedKeys;
  /** Defaults to true when `trustedKeys` is given. */
  requireSignature?: boolean;
  /** Largest input in bytes (UTF-8), default 64 MiB. */
  maxBytes?: number;
  /** Deepest JSON nesting, default 64. */
  maxDepth?: number;
  /** Most objects in one bundle, default 1,000,000. */
  maxObjects?: number;
}

export interface ImportedMarking {
  id: string;
  /** The TLP level, for TLP 1.0 and 2.0 markings (1.0 WHITE reads as CLEAR). */
  tlp?: Tlp;
  /** True for the published OASIS TLP ids, false for a TLP marking with a home-made id. */
  official?: boolean;
  name?: string;
  statement?: string;
  /** The marking-definition object when the bundle carries it (predefined TLP 1.0 ids may come without). */
  object?: StixObject;
}

export interface ImportedAccount {
  stixId: string;
  handle: string;
  source: { kind?: SourceKind; name: string; url?: string };
  firstSeen?: string;
  lastSeen?: string;
  tlp?: Tlp;
  markingRefs: string[];
}

export interface ImportedSelector {
  kind: RegisteredSelectorKind;
  /** Normalised with `normalizeRegisteredSelector`, so it matches DarkPatrol's own selectors. */
  value: string;
  /** STIX objects (observables, indicators, locations) that name it. */
  stixIds: string[];
  /** Strictest TLP of those objects. */
  tlp?: Tlp;
  markingRefs: string[];
}

export interface ImportResult {
  bundleId: string;
  objects: StixObject[];
  markings: ImportedMarking[];
  accounts: ImportedAccount[];
  selectors: ImportedSelector[];
  /** Strictest TLP found on any object; undefined when nothing carries a TLP marking. */
  tlp?: Tlp;
  /** Present when the input was a signed package that verified. */
  signer?: VerifiedPackage['signer'];
  manifest?: VerifiedPackage['manifest'];
  warnings: string[];
}

export type ImportIssueCode =
  | 'too_large'
  | 'too_deep'
  | 'too_many_objects'
  | 'not_json'
  | 'not_bundle'
  | 'invalid_object'
  | 'bad_id'
  | 'bad_type'
  | 'bad_timestamp'
  | 'bad_reference'
  | 'bad_pattern'
  | 'duplicate_id';

export class StixImportError extends Error {
  constructor(
    readonly code: ImportIssueCode,
    message: string,
    readonly issues: { code: ImportIssueCode; message: string }[] = [{ code, message }],
  ) {
    super(message);
    this.name = 'StixImportError';
  }
}

/** Nesting depth of JSON text, scanned without parsing (JSON.parse and our walkers must never see deeper). */
function textDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function valueDepth(value: unknown, limit: number): number {
  // Iterative: a hostile in-memory object cannot blow the stack.
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function parseInput(input: unknown, o: Required<Pick<ImportOptions, 'maxBytes' | 'maxDepth'>>): unknown {
  if (input instanceof Uint8Array) {
    if (input.byteLength > o.maxBytes) throw new StixImportError('too_large', `input is ${input.byteLength} bytes, limit ${o.maxBytes}`);
    try {
      input = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new StixImportError('not_json', 'input is not valid UTF-8');
    }
  }
  if (typeof input === 'string') {
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > o.maxBytes) throw new StixImportError('too_large', `input is ${bytes} bytes, limit ${o.maxBytes}`);
    if (textDepth(input, o.maxDepth) > o.maxDepth) throw new StixImportError('too_deep', `JSON nested deeper than ${o.maxDepth}`);
    try {
      return JSON.parse(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input);
    } catch (e) {
      throw new StixImportError('not_json', `input is not JSON: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  if (valueDepth(input, o.maxDepth) > o.maxDepth) throw new StixImportError('too_deep', `JSON nested deeper than ${o.maxDepth}`);
  return input;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read a STIX 2.1 bundle, a single STIX object, or a DarkPatrol signed package. */
export function importBundle(input: unknown, options: ImportOptions = {}): ImportResult {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const maxDepth = options.maxDepth ?? 64;
  const maxObjects = options.maxObjects ?? 1_000_000;
  const requireSignature = options.requireSignature ?? options.trustedKeys !== undefined;
  const warnings: string[] = [];
  let json = parseInput(input, { maxBytes, maxDepth });
  let verified: VerifiedPackage | undefined;

  if (isObj(json) && json.format === 'darkpatrol-signed-package') {
    if (options.trustedKeys) {
      verified = verifyPackage(json, options.trustedKeys);
    } else if (requireSignature) {
      throw new SignatureRequiredError();
    } else {
      warnings.push('signed package read without trusted keys: its signature was NOT verified');
    }
    json = json.bundle;
  } else if (requireSignature) {
    throw new SignatureRequiredError();
  }

  if (!isObj(json)) throw new StixImportError('not_bundle', 'expected a STIX bundle (a JSON object)');
  let bundleId: string;
  let rawObjects: unknown[];
  if (json.type === 'bundle') {
    if (typeof json.id !== 'string' || !STIX_ID_RE.test(json.id) || !json.id.startsWith('bundle--')) {
      throw new StixImportError('bad_id', `bundle id ${String(json.id).slice(0, 100)} is not a bundle identifier`);
    }
    bundleId = json.id;
    if (json.objects === undefined) rawObjects = [];
    else if (Array.isArray(json.objects)) rawObjects = json.objects;
    else throw new StixImportError('not_bundle', 'bundle.objects must be an array');
    if (json.spec_version !== undefined) warnings.push('bundle carries spec_version: a STIX 2.0 habit, ignored');
  } else if (typeof json.type === 'string' && typeof json.id === 'string') {
    warnings.push(`input is a single ${json.type.slice(0, 100)} object, not a bundle: read as a bundle of one`);
    bundleId = '';
    rawObjects = [json];
  } else {
    throw new StixImportError('not_bundle', 'expected a STIX bundle: {"type": "bundle", "id": "bundle--…", "objects": […]}');
  }
  if (rawObjects.length > maxObjects) {
    throw new StixImportError('too_many_objects', `${rawObjects.length} objects, limit ${maxObjects}`);
  }

  const objects = checkObjects(rawObjects, warnings);
  return interpret(bundleId, objects, warnings, verified);
}

function checkObjects(raw: unknown[], warnings: string[]): StixObject[] {
  const issues: { code: ImportIssueCode; message: string }[] = [];
  const fail = (code: ImportIssueCode, message: string) => {
    if (issues.length < 50) issues.push({ code, message });
  };
  const seen = new Set<string>();
  const versions = new Map<string, number>();
  const unknownTypes = new Map<string, number>();
  const out: StixObject[] = [];

  raw.forEach((o, i) => {
    const at = `objects[${i}]`;
    if (!isObj(o)) return fail('invalid_object', `${at} is not a JSON object`);
    const { type, id } = o;
    if (typeof type !== 'string' || type.length < 3 || type.length > 250 || !STIX_TYPE_RE.test(type)) {
      return fail('bad_type', `${at}: type ${JSON.stringify(type)?.slice(0, 80)} is not a STIX type name`);
    }
    if (typeof id !== 'string' || id.length > 300 || !STIX_ID_RE.test(id)) {
      return fail('bad_id', `${at} (${type}): id ${JSON.stringify(id)?.slice(0, 100)} is not a STIX identifier`);
    }
    if (!id.startsWith(`${type}--`)) return fail('bad_id', `${at}: id ${id} does not belong to type ${type}`);
    for (const p of TIMESTAMP_PROPS) {
      const v = o[p];
      if (v !== undefined && (typeof v !== 'string' || !isValidTimestamp(v))) {
        fail('bad_timestamp', `${at} (${id}): ${p} ${JSON.stringify(v)?.slice(0, 60)} is not a STIX timestamp`);
      }
    }
    for (const [k, v] of Object.entries(o)) {
      if (k.endsWith('_ref') && (typeof v !== 'string' || !STIX_ID_RE.test(v))) {
        fail('bad_reference', `${at} (${id}): ${k} is not a STIX identifier`);
      } else if (k.endsWith('_refs') && (!Array.isArray(v) || v.some((r) => typeof r !== 'string' || !STIX_ID_RE.test(r)))) {
        fail('bad_reference', `${at} (${id}): ${k} must be a list of STIX identifiers`);
      }
    }
    for (const problem of semanticProblems(o)) fail(problem.code, `${at} (${id}): ${problem.message}`);
    const schema = OBJECT_SCHEMAS[type as ModelledType];
    if (schema) {
      const r = schema.safeParse(o);
      if (!r.success) {
        const first = r.error.issues[0];
        fail('invalid_object', `${at} (${id}): ${first ? `${first.path.join('.') || '(object)'}: ${first.message}` : 'invalid'}`);
      }
    } else if (!STIX21_TYPES.has(type) && !DARKPATROL_TYPES.has(type)) {
      unknownTypes.set(type, (unknownTypes.get(type) ?? 0) + 1);
    }
    const version = typeof o.modified === 'string' ? o.modified : typeof o.created === 'string' ? o.created : '';
    const key = `${id}\u0000${version}`;
    if (seen.has(key)) return fail('duplicate_id', `${at}: ${id}${version ? ` (modified ${version})` : ''} appears twice`);
    seen.add(key);
    versions.set(id, (versions.get(id) ?? 0) + 1);
    out.push(o as StixObject);
  });

  if (issues.length > 0) {
    const head = issues[0]!;
    throw new StixImportError(head.code, `bundle rejected: ${head.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, issues);
  }
  for (const [type, n] of unknownTypes) warnings.push(`${n} object(s) of type ${type}, which STIX 2.1 does not define: kept as they are`);
  for (const [id, n] of versions) if (n > 1) warnings.push(`${id} comes in ${n} versions: all kept, the latest modified is current`);
  return out;
}

/** Timestamp order as STIX compares instants (any fraction precision): negative when a is earlier. */
export function compareStixTimestamps(a: string, b: string): number {
  const norm = (t: string) => {
    const [whole, frac = ''] = t.replace('Z', '').split('.');
    return `${whole}.${frac.padEnd(9, '0')}`;
  };
  const x = norm(a);
  const y = norm(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Pairs of timestamps STIX 2.1 orders: the later one must not come before the earlier (equal allowed unless noted). */
const ORDERED: readonly { early: string; late: string; strict?: boolean }[] = [
  { early: 'created', late: 'modified' },
  { early: 'valid_from', late: 'valid_until', strict: true },
  { early: 'first_seen', late: 'last_seen' },
  { early: 'first_observed', late: 'last_observed' },
  { early: 'start_time', late: 'stop_time', strict: true },
];

/**
 * The rules the OASIS stix2-validator applies beyond the JSON schemas that DarkPatrol enforces on import: timestamps in
 * order (modified ≥ created, valid_until > valid_from, last_seen ≥ first_seen, last_observed ≥ first_observed,
 * stop_time > start_time) and, for indicators of pattern_type stix, a pattern that parses under the STIX grammar.
 */
export function semanticProblems(o: Record<string, unknown>): { code: ImportIssueCode; message: string }[] {
  const out: { code: ImportIssueCode; message: string }[] = [];
  for (const r of ORDERED) {
    const a = o[r.early];
    const b = o[r.late];
    if (typeof a !== 'string' || typeof b !== 'string' || !isValidTimestamp(a) || !isValidTimestamp(b)) continue;
    const c = compareStixTimestamps(b, a);
    if (c < 0 || (r.strict && c === 0)) out.push({ code: 'invalid_object', message: `${r.late} ${b} is ${c === 0 ? 'not after' : 'before'} ${r.early} ${a}` });
  }
  if (o.type === 'indicator' && o.pattern_type === 'stix' && typeof o.pattern === 'string') {
    try {
      parseStixPattern(o.pattern);
    } catch (e) {
      if (!(e instanceof PatternSyntaxError)) throw e;
      out.push({ code: 'bad_pattern', message: `pattern is not a STIX 2.1 pattern: ${e.message}` });
    }
  }
  return out;
}

function interpret(bundleId: string, objects: StixObject[], warnings: string[], verified?: VerifiedPackage): ImportResult {
  // Only the latest version of each object counts for accounts and selectors.
  const latest = new Map<string, StixObject>();
  for (const o of objects) {
    const prev = latest.get(o.id);
    if (!prev || String(o.modified ?? '') > String(prev.modified ?? '')) latest.set(o.id, o);
  }
  const markings = new Map<string, ImportedMarking>();
  for (const o of latest.values()) {
    if (o.type !== 'marking-definition') continue;
    markings.set(o.id, readMarking(o, warnings));
  }
  const tlpOf = (o: StixObject): { tlp?: Tlp; refs: string[] } => {
    const refs = Array.isArray(o.object_marking_refs) ? (o.object_marking_refs as string[]) : [];
    let tlp: Tlp | undefined;
    for (const r of refs) {
      const t = markings.get(r)?.tlp ?? tlpOfMarkingId(r);
      if (t) tlp = tlp ? strictestTlp(tlp, t) : t;
    }
    return { tlp, refs };
  };

  const unresolvedMarkings = new Set<string>();
  let dangling = 0;
  for (const o of latest.values()) {
    for (const r of tlpOf(o).refs) {
      if (!markings.has(r) && !tlpOfMarkingId(r)) unresolvedMarkings.add(r);
    }
    for (const [k, v] of Object.entries(o)) {
      if (k === 'object_marking_refs') continue;
      const refs = k.endsWith('_ref') ? [v] : k.endsWith('_refs') ? (v as unknown[]) : [];
      for (const r of refs) if (typeof r === 'string' && !latest.has(r)) dangling++;
    }
  }
  for (const r of unresolvedMarkings) {
    warnings.push(`marking ${r} is referenced but not defined in the bundle: kept as a reference`);
    markings.set(r, { id: r });
  }
  if (dangling > 0) warnings.push(`${dangling} reference(s) point to objects outside the bundle`);
  for (const id of Object.keys(predefinedTlpRefs(latest))) {
    if (!markings.has(id)) markings.set(id, { id, tlp: tlpOfMarkingId(id), official: true });
  }

  const accounts: ImportedAccount[] = [];
  const selectors = new Map<string, ImportedSelector>();
  const addSelector = (kind: RegisteredSelectorKind, value: string, o: StixObject) => {
    const key = `${kind}\u0000${value}`;
    const { tlp, refs } = tlpOf(o);
    const s = selectors.get(key) ?? { kind, value, stixIds: [], markingRefs: [] };
    if (!s.stixIds.includes(o.id)) s.stixIds.push(o.id);
    for (const r of refs) if (!s.markingRefs.includes(r)) s.markingRefs.push(r);
    if (tlp) s.tlp = s.tlp ? strictestTlp(s.tlp, tlp) : tlp;
    selectors.set(key, s);
  };
  let overall: Tlp | undefined;
  for (const o of latest.values()) {
    const { tlp, refs } = tlpOf(o);
    if (tlp) overall = overall ? strictestTlp(overall, tlp) : tlp;
    if (o.type === 'indicator' && o.pattern_type === 'stix' && typeof o.pattern === 'string') {
      for (const s of patternToSelectors(o.pattern)) addSelector(s.kind, s.value, o);
      continue;
    }
    const sel = observableToSelector(o);
    if (sel) {
      addSelector(sel.kind, sel.value, o);
      continue;
    }
    if (o.type === 'user-account') {
      const handle = (o.user_id ?? o.account_login ?? o.display_name) as unknown;
      if (typeof handle !== 'string' || handle.length === 0) continue;
      accounts.push({ stixId: o.id, handle, source: accountSource(o), ...seen(o), ...(tlp ? { tlp } : {}), markingRefs: refs });
    }
  }

  return {
    bundleId,
    objects,
    markings: [...markings.values()],
    accounts,
    selectors: [...selectors.values()],
    ...(overall ? { tlp: overall } : {}),
    ...(verified ? { signer: verified.signer, manifest: verified.manifest } : {}),
    warnings,
  };
}

/** Predefined TLP ids referenced by objects (TLP 1.0 ids may be used without carrying the object). */
function predefinedTlpRefs(objects: Map<string, StixObject>): Record<string, true> {
  const out: Record<string, true> = {};
  for (const o of objects.values()) {
    for (const r of Array.isArray(o.object_marking_refs) ? o.object_marking_refs : []) {
      if (typeof r === 'string' && tlpOfMarkingId(r)) out[r] = true;
    }
  }
  return out;
}

function readMarking(o: StixObject, warnings: string[]): ImportedMarking {
  const m: ImportedMarking = { id: o.id, object: o, ...(typeof o.name === 'string' ? { name: o.name } : {}) };
  const official = tlpOfMarkingId(o.id);
  const def = isObj(o.definition) ? o.definition : undefined;
  const ext = isObj(o.extensions) && isObj(o.extensions[TLP2_EXTENSION_ID]) ? o.extensions[TLP2_EXTENSION_ID] : undefined;
  const claimed = typeof ext?.tlp_2_0 === 'string' ? ext.tlp_2_0 : o.definition_type === 'tlp' && typeof def?.tlp === 'string' ? def.tlp : undefined;
  if (official) {
    m.tlp = official;
    m.official = true;
    if (claimed && claimed.toUpperCase().replace('WHITE', 'CLEAR') !== official) {
      warnings.push(`marking ${o.id} is the official ${official} id but claims ${claimed}: the id wins`);
    }
  } else if (claimed) {
    const t = claimed.toUpperCase().replace('WHITE', 'CLEAR');
    if (t === 'CLEAR' || t === 'GREEN' || t === 'AMBER' || t === 'AMBER+STRICT' || t === 'RED') {
      m.tlp = t;
      m.official = false;
      warnings.push(`marking ${o.id} claims TLP:${t} under a non-standard id: read as TLP:${t}`);
    }
  }
  if (o.definition_type === 'statement' && typeof def?.statement === 'string') m.statement = def.statement;
  return m;
}

function accountSource(o: StixObject): ImportedAccount['source'] {
  const x = readDarkpatrolProperties(o).source;
  const type = typeof o.account_type === 'string' ? o.account_type : '';
  const colon = type.indexOf(':');
  const kind = colon > 0 ? type.slice(0, colon) : (x?.kind ?? '');
  const url = typeof x?.url === 'string' ? x.url : undefined;
  if ((SOURCE_KINDS as readonly string[]).includes(kind)) {
    return { kind: kind as SourceKind, name: colon > 0 ? type.slice(colon + 1) : (x?.name ?? type), ...(url ? { url } : {}) };
  }
  return { name: type || x?.name || 'unknown', ...(url ? { url } : {}) };
}

function seen(o: StixObject): { firstSeen?: string; lastSeen?: string } {
  const { first_seen: f, last_seen: l } = readDarkpatrolProperties(o);
  return {
    ...(typeof f === 'string' && isValidTimestamp(f) ? { firstSeen: f } : {}),
    ...(typeof l === 'string' && isValidTimestamp(l) ? { lastSeen: l } : {}),
  };
}
