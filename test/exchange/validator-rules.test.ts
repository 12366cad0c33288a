/**
 * The rules the OASIS stix2-validator applies beyond the JSON schemas (it does not install here: no PyPI), encoded
 * as tests over the bundles DarkPatrol builds: no custom top-level properties (DarkPatrol's travel in a property
 * extension), every extension used is defined in the bundle, indicators carry a description, open vocabularies are
 * respected, SDO/SRO ids are UUIDv4 and SCO ids the deterministic UUIDv5 of §2.9, timestamps in order, patterns
 * parse. The Python tools re-check exports outside CI (docs/exchange.md).
 */
import { describe, expect, it } from 'vitest';
import { buildFeedPackage, buildPackage, importBundle, parseStixPattern, scoId, TLP2_EXTENSION_ID, validateBundle } from '../../src/exchange/index.ts';
import type { StixBundle } from '../../src/exchange/index.ts';
import { vendorPackageInput } from './package-fixture.ts';

// STIX 2.1 §10 open vocabularies the builder uses.
const VOCAB: Record<string, readonly string[]> = {
  report_types: ['attack-pattern', 'campaign', 'identity', 'indicator', 'intrusion-set', 'malware', 'observed-data', 'threat-actor', 'threat-report', 'tool', 'vulnerability'],
  threat_actor_types: ['activist', 'competitor', 'crime-syndicate', 'criminal', 'hacker', 'insider-accidental', 'insider-disgruntled', 'nation-state', 'sensationalist', 'spy', 'terrorist', 'unknown'],
  indicator_types: ['anomalous-activity', 'anonymization', 'benign', 'compromised', 'malicious-activity', 'attribution', 'unknown'],
  identity_class: ['individual', 'group', 'system', 'organization', 'class', 'unknown'],
  sectors: ['agriculture', 'aerospace', 'automotive', 'chemical', 'commercial', 'communications', 'construction', 'defense', 'education', 'energy', 'entertainment', 'financial-services', 'government', 'government-emergency-services', 'government-local', 'government-national', 'government-public-services', 'government-regional', 'healthcare', 'hospitality-leisure', 'infrastructure', 'dams', 'nuclear', 'water', 'insurance', 'manufacturing', 'mining', 'non-profit', 'pharmaceuticals', 'retail', 'technology', 'telecommunications', 'transportation', 'utilities'],
  account_type: ['facebook', 'ldap', 'nis', 'openid', 'radius', 'skype', 'tacacs', 'twitter', 'unix', 'windows-local', 'windows-domain'],
};
/** STIX 2.1 properties of the object types DarkPatrol writes (§4–§7): anything else would be a custom property. */
const COMMON = ['type', 'spec_version', 'id', 'created_by_ref', 'created', 'modified', 'revoked', 'labels', 'confidence', 'lang', 'external_references', 'object_marking_refs', 'granular_markings', 'extensions', 'defanged'];
const PROPS: Record<string, readonly string[]> = {
  identity: ['name', 'description', 'roles', 'identity_class', 'sectors', 'contact_information'],
  'threat-actor': ['name', 'description', 'threat_actor_types', 'aliases', 'first_seen', 'last_seen', 'roles', 'goals', 'sophistication', 'resource_level', 'primary_motivation', 'secondary_motivations', 'personal_motivations'],
  indicator: ['name', 'description', 'indicator_types', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until', 'kill_chain_phases'],
  relationship: ['relationship_type', 'description', 'source_ref', 'target_ref', 'start_time', 'stop_time'],
  note: ['abstract', 'content', 'authors', 'object_refs'],
  report: ['name', 'description', 'report_types', 'published', 'object_refs'],
  location: ['name', 'description', 'latitude', 'longitude', 'precision', 'region', 'country', 'administrative_area', 'city', 'street_address', 'postal_code'],
  'user-account': ['user_id', 'credential', 'account_login', 'account_type', 'display_name', 'is_service_account', 'is_privileged', 'can_escalate_privs', 'is_disabled', 'account_created', 'account_expires', 'credential_last_changed', 'account_first_login', 'account_last_login'],
  'email-addr': ['value', 'display_name', 'belongs_to_ref'],
  'domain-name': ['value', 'resolves_to_refs'],
  'marking-definition': ['name', 'definition_type', 'definition'],
  'extension-definition': ['name', 'description', 'schema', 'version', 'extension_types', 'extension_properties'],
};
/** Properties of DarkPatrol's new SCO types, as their extension-definitions state them. */
const NEW_SCO_PROPS: Record<string, readonly string[]> = {
  'cryptocurrency-wallet': ['value', 'currency', 'address_type'],
  'pgp-key': ['fingerprint', 'key_id', 'user_ids', 'algorithm', 'key_created'],
  'phone-number': ['value'],
};
const SCO_ID_PROPS: Record<string, readonly string[]> = { 'user-account': ['account_type', 'user_id', 'account_login'], 'email-addr': ['value'], 'domain-name': ['value'], 'cryptocurrency-wallet': ['currency', 'value'], 'pgp-key': ['fingerprint'], 'phone-number': ['value'] };
const UUID4 = /--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The findings stix2-validator would report, one line each. */
function findings(bundle: StixBundle): string[] {
  const out: string[] = [];
  const ids = new Set(bundle.objects.map((o) => o.id));
  if (!UUID4.test(bundle.id)) out.push(`bundle id ${bundle.id} is not UUIDv4`);
  for (const o of bundle.objects) {
    const where = `${o.id}`;
    const known = PROPS[o.type] ?? NEW_SCO_PROPS[o.type];
    if (!known) out.push(`${where}: type ${o.type} not covered by this test`);
    for (const k of Object.keys(o)) if (!COMMON.includes(k) && !known?.includes(k)) out.push(`${where}: custom property ${k}`);
    for (const [ext, body] of Object.entries((o.extensions ?? {}) as Record<string, { extension_type?: string }>)) {
      // The OASIS TLP 2.0 extension is published by OASIS and known by id (the official marking objects carry it).
      if (!ids.has(ext) && ext !== TLP2_EXTENSION_ID) out.push(`${where}: extension ${ext} not defined in the bundle`);
      if (!['property-extension', 'new-sco'].includes(String(body.extension_type))) out.push(`${where}: extension_type ${body.extension_type}`);
    }
    for (const [prop, vocab] of Object.entries(VOCAB)) {
      const v = o[prop];
      if (v === undefined) continue;
      for (const term of Array.isArray(v) ? v : [v]) {
        // account_type of market/forum/channel accounts and messenger handles: see docs/exchange.md (no term exists).
        if (prop === 'account_type' && /^([a-z_]+:.+|telegram|wickr|session|signal|threema|jabber|vendor-handle)$/.test(String(term))) continue;
        if (!vocab.includes(String(term))) out.push(`${where}: ${prop} ${String(term)} outside the ${prop} vocabulary`);
      }
    }
    if (o.type === 'indicator') {
      if (typeof o.description !== 'string' || !o.description) out.push(`${where}: indicator without description`);
      try {
        parseStixPattern(String(o.pattern));
      } catch (e) {
        out.push(`${where}: ${(e as Error).message}`);
      }
    }
    const isSco = SCO_ID_PROPS[o.type] !== undefined;
    if (isSco) {
      const contributing = Object.fromEntries(SCO_ID_PROPS[o.type]!.filter((p) => o[p] !== undefined).map((p) => [p, o[p]]));
      if (o.id !== scoId(o.type, contributing)) out.push(`${where}: not the deterministic SCO id`);
    } else if (!UUID4.test(o.id) && o.type !== 'marking-definition') out.push(`${where}: SDO/SRO id is not UUIDv4`);
    if (typeof o.created === 'string' && typeof o.modified === 'string' && o.modified < o.created) out.push(`${where}: modified before created`);
    for (const [k, v] of Object.entries(o)) {
      const refs = k.endsWith('_ref') ? [v] : k.endsWith('_refs') ? (v as unknown[]) : [];
      for (const r of refs) if (typeof r === 'string' && !ids.has(r) && !r.startsWith('marking-definition--')) out.push(`${where}: ${k} ${r} not in the bundle`);
    }
  }
  return out;
}

describe("stix2-validator's rules on DarkPatrol's bundles", () => {
  const bundles: [string, StixBundle][] = [
    ['vendor package', buildPackage(vendorPackageInput()).bundle],
    ['case package', buildPackage({ producer: { agencyId: 'NL-POL', name: 'Politie' }, subject: { kind: 'case', id: 'case-1', name: 'NL-2025-17', description: 'x' }, selectors: [{ kind: 'btc_address', value: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' }], notes: [{ content: 'Contact point: desk' }], tlp: 'AMBER' }).bundle],
    ['feed', buildFeedPackage({ producer: { agencyId: 'NL-POL', name: 'Politie' }, id: 'financial', name: 'Financial feed', tlp: 'GREEN', entries: [{ kind: 'xmr_address', value: '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A' }, { kind: 'phone', value: '+31612345678' }] }).bundle],
  ];
  for (const [name, bundle] of bundles) {
    it(`${name}: valid against the OASIS schemas, with no finding`, () => {
      expect(validateBundle(bundle)).toEqual({ valid: true, errors: [] });
      expect(findings(bundle)).toEqual([]);
      expect(importBundle(bundle).warnings.filter((w) => w.includes('does not define'))).toEqual([]);
    });
  }

  it('the findings catch what the validator would warn about', () => {
    const b = structuredClone(bundles[0]![1]);
    const ind = b.objects.find((o) => o.type === 'indicator')!;
    delete ind.description;
    ind.x_darkpatrol_selector_kind = 'btc_address';
    b.objects.find((o) => o.type === 'report')!.report_types = ['investigation'];
    const f = findings(b);
    expect(f.some((x) => x.includes('indicator without description'))).toBe(true);
    expect(f.some((x) => x.includes('custom property x_darkpatrol_selector_kind'))).toBe(true);
    expect(f.some((x) => x.includes('report_types investigation outside'))).toBe(true);
  });

  it('reads back what the property extension carries (source, sightings) and older x_darkpatrol_ packages', () => {
    const r = importBundle(bundles[0]![1]);
    expect(r.accounts.map((a) => [a.source.kind, a.source.name, a.firstSeen ?? null])).toEqual([['market', 'Hansa', null], ['market', 'AlphaBay', '2016-05-01T00:00:00.000Z']]);
    expect(r.selectors.map((s) => s.kind)).toContain('postal_address');
  });
});
