/**
 * The MISP view of a DarkPatrol bundle: the same selectors, written the way MISP's own STIX converter (misp-stix)
 * writes — and therefore reads — them. misp-stix sends a bundle to its "internal" parser when a grouping or report
 * carries the label `misp:tool="MISP-STIX-Converter"`; that parser walks the grouping's `object_refs` and maps only
 * the object types in its loading table. DarkPatrol's new SCO types (cryptocurrency-wallet, pgp-key, phone-number)
 * are not in it and were dropped. Here every selector becomes what the table does map:
 *  - a MISP attribute as an `x-misp-attribute` (x_misp_type / x_misp_category / x_misp_value / x_misp_to_ids), the
 *    form misp-stix itself exports attribute types STIX has no object for (btc, xmr, phone-number, jabber-id, …);
 *  - where MISP has no attribute type, a MISP object as an `x-misp-object` of a template from misp-objects
 *    (`coin-address` for LTC/ETH wallets, `pgp-meta` for PGP keys);
 *  - a vendor or identity subject as an identity labelled `misp:name="person"` (MISP's person object).
 * The mapping tables below are the rules; test/exchange/misp.test.ts checks every export against them as
 * misp-stix's parser reads them, and docs/exchange.md shows how to re-check with misp-stix itself.
 */
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { randomId, stableId } from './ids.ts';
import type { StixBundle, StixObject } from './schemas.ts';
import { observableToSelector } from './selector-map.ts';
import type { ReadSelector } from './selector-map.ts';

/** The label by which misp-stix recognises a bundle as MISP's own (misp_stix_converter: _MISP_STIX_tags). */
export const MISP_STIX_TOOL_LABEL = 'misp:tool="MISP-STIX-Converter"';

export interface MispAttributeRule {
  /** MISP attribute type (describeTypes.json). */
  type: string;
  /** A category MISP allows for that type (describeTypes.json category_type_mappings). */
  category: string;
  /** MISP's sane default for to_ids on that type. */
  toIds: boolean;
}

/** Selector kinds that are a MISP attribute of their own. Kinds MISP has no type for travel as `text`, kind in the comment. */
export const MISP_ATTRIBUTE_RULES: Readonly<Partial<Record<RegisteredSelectorKind, MispAttributeRule>>> = {
  btc_address: { type: 'btc', category: 'Financial fraud', toIds: true },
  xmr_address: { type: 'xmr', category: 'Financial fraud', toIds: true },
  phone: { type: 'phone-number', category: 'Person', toIds: false },
  email: { type: 'email-src', category: 'Social network', toIds: true },
  jabber: { type: 'jabber-id', category: 'Social network', toIds: false },
  onion: { type: 'domain', category: 'Network activity', toIds: true },
  telegram: { type: 'text', category: 'Social network', toIds: false },
  wickr: { type: 'text', category: 'Social network', toIds: false },
  session: { type: 'text', category: 'Social network', toIds: false },
  signal: { type: 'text', category: 'Social network', toIds: false },
  threema: { type: 'text', category: 'Social network', toIds: false },
  vendor_handle: { type: 'text', category: 'Social network', toIds: false },
  postal_address: { type: 'text', category: 'Person', toIds: false },
};

export interface MispObjectAttribute {
  type: string;
  object_relation: string;
  value: string;
  to_ids: boolean;
  uuid: string;
}

/** Selector kinds that are a MISP object (template name, meta-category, the attributes it carries). */
export const MISP_OBJECT_RULES: Readonly<Partial<Record<RegisteredSelectorKind, { name: string; metaCategory: string }>>> = {
  ltc_address: { name: 'coin-address', metaCategory: 'financial' },
  eth_address: { name: 'coin-address', metaCategory: 'financial' },
  pgp_key: { name: 'pgp-meta', metaCategory: 'misc' },
};

function objectAttributes(s: ReadSelector): Omit<MispObjectAttribute, 'uuid'>[] {
  switch (s.kind) {
    case 'ltc_address':
    case 'eth_address':
      return [
        { type: 'text', object_relation: 'address-crypto', value: s.value, to_ids: true },
        { type: 'text', object_relation: 'symbol', value: s.kind === 'ltc_address' ? 'LTC' : 'ETH', to_ids: false },
      ];
    case 'pgp_key':
      // pgp-meta's key-id is "Key ID in hexadecimal" (multiple): the full fingerprint, and the long (64-bit) key id GnuPG shows.
      return [
        { type: 'text', object_relation: 'key-id', value: s.value, to_ids: false },
        ...(/^[0-9A-F]{40}$/.test(s.value) ? [{ type: 'text', object_relation: 'key-id', value: s.value.slice(-16), to_ids: false }] : []),
      ];
    default:
      return [];
  }
}

/**
 * misp-stix un-doubles backslashes in x_misp_value on import (`value.replace('\\\\', '\\')`, its `_sanitise_value`).
 * Doubling every backslash on the way out makes the value MISP stores the value we sent.
 */
export function mispStixEscape(value: string): string {
  return value.replace(/\\/g, '\\\\');
}

/** What misp-stix does to x_misp_value on import: each pair of backslashes, left to right, becomes one. */
export function mispStixSanitise(value: string): string {
  return value.replaceAll('\\\\', '\\');
}

export interface MispViewResult {
  bundle: StixBundle;
  /** Selectors written, by kind. */
  selectors: Partial<Record<RegisteredSelectorKind, number>>;
  attributes: number;
  objects: number;
  persons: number;
  /** What the view could not carry, one line each (never silent). */
  omitted: string[];
}

const DARKPATROL_SCO_SELECTOR_TYPES = new Set(['email-addr', 'domain-name', 'url', 'pgp-key', 'phone-number', 'cryptocurrency-wallet', 'user-account', 'location', 'x-misp-attribute']);

/** Observable types that always stand for a selector (domain-name, url and user-account may be something else). */
const SELECTOR_ONLY_TYPES = new Set(['email-addr', 'pgp-key', 'phone-number', 'cryptocurrency-wallet']);

/** The selectors a bundle carries (observables and postal locations), each once, in bundle order. */
export function bundleSelectors(bundle: StixBundle): ReadSelector[] {
  const seen = new Set<string>();
  const out: ReadSelector[] = [];
  for (const o of bundle.objects) {
    if (!DARKPATROL_SCO_SELECTOR_TYPES.has(o.type)) continue;
    const s = observableToSelector(o);
    if (!s) continue;
    const key = `${s.kind}\u0000${s.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

const tlpLabelOf = (marking: StixObject): string | undefined => {
  const ext = marking.extensions as Record<string, { tlp_2_0?: unknown }> | undefined;
  const level = ext ? Object.values(ext).find((e) => typeof e?.tlp_2_0 === 'string')?.tlp_2_0 : undefined;
  return typeof level === 'string' ? `tlp:${level}` : undefined;
};

/**
 * Build the MISP view of a DarkPatrol bundle (as `buildPackage` or `splitSeizedMarket` make them). The view is a
 * separate, unsigned bundle for MISP: the signed package stays the evidence of what was shared.
 */
export function mispView(source: StixBundle, options: { name?: string; created?: string } = {}): MispViewResult {
  const report = source.objects.find((o) => o.type === 'report');
  const producer = source.objects.find((o) => o.type === 'identity' && o.id === report?.created_by_ref);
  const created = options.created ?? (typeof report?.created === 'string' ? report.created : new Date().toISOString());
  const markings = source.objects.filter((o) => o.type === 'marking-definition' && tlpLabelOf(o));
  const markingRefs = markings.map((m) => m.id);
  const agency = typeof producer?.name === 'string' ? producer.name : 'DarkPatrol';
  // Stable UUIDv4-shaped ids (the validator's rule for SDOs): a re-issued view names the same MISP attributes.
  const key = (...parts: string[]) => stableId('x', agency, typeof report?.id === 'string' ? report.id : source.id, ...parts).slice(3);
  const omitted: string[] = [];

  const objects: StixObject[] = [...markings];
  const creatorId = producer?.id ?? `identity--${key('creator')}`;
  objects.push({
    type: 'identity',
    spec_version: '2.1',
    id: creatorId,
    created,
    modified: created,
    name: agency,
    identity_class: 'organization',
    ...(typeof producer?.contact_information === 'string' ? { contact_information: producer.contact_information } : {}),
  });
  const common = (type: string, id: string): StixObject => ({
    type,
    spec_version: '2.1',
    id,
    created_by_ref: creatorId,
    created,
    modified: created,
    ...(markingRefs.length ? { object_marking_refs: markingRefs } : {}),
  });
  const refs: string[] = [];
  const counts: Partial<Record<RegisteredSelectorKind, number>> = {};
  let attributes = 0;
  let mispObjects = 0;
  let persons = 0;

  // Vendors and identities: the threat-actor a DarkPatrol bundle names as its subject, as MISP's person object.
  for (const actor of source.objects.filter((o) => o.type === 'threat-actor')) {
    if (typeof actor.name !== 'string') continue;
    const aliases = Array.isArray(actor.aliases) ? actor.aliases.filter((a): a is string => typeof a === 'string') : [];
    const person: StixObject = {
      ...common('identity', `identity--${key('person', actor.id)}`),
      name: actor.name,
      identity_class: 'individual',
      labels: ['misp:name="person"', 'misp:meta-category="misc"', 'misp:to_ids="False"'],
      x_misp_handle: actor.name,
      ...(aliases.length ? { x_misp_alias: aliases } : {}),
      ...(typeof actor.description === 'string' ? { description: actor.description } : {}),
    };
    objects.push(person);
    refs.push(person.id);
    persons++;
  }

  // Observables that stand for a selector but cannot be read as one (a value normalisation refuses): said, not dropped.
  for (const o of source.objects) {
    if (!SELECTOR_ONLY_TYPES.has(o.type) || observableToSelector(o)) continue;
    omitted.push(`${o.type} ${o.id}: its value is not a valid selector (${JSON.stringify(o.value ?? o.fingerprint ?? o.x_misp_value ?? null).slice(0, 80)})`);
  }
  for (const s of bundleSelectors(source)) {
    const rule = MISP_ATTRIBUTE_RULES[s.kind];
    const objectRule = MISP_OBJECT_RULES[s.kind];
    if (rule) {
      const id = `x-misp-attribute--${key('attribute', s.kind, s.value)}`;
      objects.push({
        ...common('x-misp-attribute', id),
        labels: [`misp:type="${rule.type}"`, `misp:category="${rule.category}"`, `misp:to_ids="${rule.toIds ? 'True' : 'False'}"`],
        x_misp_type: rule.type,
        x_misp_category: rule.category,
        x_misp_value: mispStixEscape(s.value),
        x_misp_to_ids: rule.toIds,
        ...(rule.type === 'text' ? { x_misp_comment: `darkpatrol selector: ${s.kind}` } : {}),
      });
      refs.push(id);
      attributes++;
    } else if (objectRule) {
      const id = `x-misp-object--${key('object', s.kind, s.value)}`;
      const attrs = objectAttributes(s).map((a, i) => ({ ...a, uuid: key('object-attribute', s.kind, s.value, String(i)) }));
      objects.push({
        ...common('x-misp-object', id),
        labels: [`misp:name="${objectRule.name}"`, `misp:meta-category="${objectRule.metaCategory}"`],
        x_misp_name: objectRule.name,
        x_misp_meta_category: objectRule.metaCategory,
        x_misp_attributes: attrs,
        x_misp_comment: `darkpatrol selector: ${s.kind}`,
      });
      refs.push(id);
      mispObjects++;
    } else {
      omitted.push(`${s.kind} selector ${s.value.slice(0, 80)}: no MISP attribute type or object template for it`);
      continue;
    }
    counts[s.kind] = (counts[s.kind] ?? 0) + 1;
  }

  const name = options.name ?? (typeof report?.name === 'string' ? report.name : 'DarkPatrol package');
  const tlpLabels = markings.map(tlpLabelOf).filter((l): l is string => l !== undefined);
  if (refs.length === 0) {
    // A grouping must reference something (OASIS schema): the creator stands in, which misp-stix skips as a creator.
    refs.push(creatorId);
  }
  objects.push({
    ...common('grouping', `grouping--${key('grouping')}`),
    name,
    // The tool label is misp-stix's routing key, not a claim of origin: the grouping says who wrote it.
    description: `Written by DarkPatrol for import into MISP (misp-stix internal format); not produced by MISP. Producer: ${agency}. The signed DarkPatrol package is the evidence of what was shared.`,
    context: 'suspicious-activity',
    labels: ['Threat-Report', MISP_STIX_TOOL_LABEL, ...tlpLabels],
    object_refs: refs,
  });
  const bundle: StixBundle = { type: 'bundle', id: randomId('bundle'), objects };
  return { bundle, selectors: counts, attributes, objects: mispObjects, persons, omitted };
}
