/**
 * STIX 2.1 has no object for a cryptocurrency wallet, a PGP key or a phone number: DarkPatrol defines each as a
 * new Cyber-observable type through an extension-definition (STIX 2.1 §7.3, `extension_types: ["new-sco"]`).
 * The definitions are constants: a recipient learns them once and recognises them by id in every package.
 */
import { scoId } from './ids.ts';

/** The DarkPatrol project, author of the extension definitions (not of the intelligence in a package). */
export const DARKPATROL_PROJECT_IDENTITY = {
  type: 'identity',
  spec_version: '2.1',
  id: 'identity--8125ffb6-ec36-42da-9cef-cde009b283e8',
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
  name: 'DarkPatrol project',
  identity_class: 'organization',
  description: 'Author of the DarkPatrol STIX extension definitions.',
} as const;

export interface NewScoDefinition {
  /** The new object type name. */
  type: string;
  extensionId: string;
  name: string;
  description: string;
  /** Properties that make up the deterministic id, in the order the schema lists them. */
  idContributing: readonly string[];
  /** The plain-text normative definition (STIX allows text instead of a schema URL). */
  schema: string;
}

export const CRYPTOCURRENCY_WALLET: NewScoDefinition = {
  type: 'cryptocurrency-wallet',
  extensionId: 'extension-definition--7613509f-7e61-4fd0-9228-1c10e08d532a',
  name: 'DarkPatrol cryptocurrency wallet',
  description: 'A cryptocurrency address (Bitcoin, Monero, Litecoin, Ethereum, ...) seen as a payment selector.',
  idContributing: ['currency', 'value'],
  schema:
    'New SCO type "cryptocurrency-wallet". Properties: value (string, required): the address exactly as normalised by ' +
    'DarkPatrol (bech32 lowercase, base58 as written, Ethereum lowercase); currency (string, required): ticker, one of ' +
    'BTC, XMR, LTC, ETH or another upper-case ticker; address_type (string, optional): encoding such as p2wpkh, p2pkh, ' +
    'standard, subaddress, integrated, account. ID contributing properties: currency, value.',
};

export const PGP_KEY: NewScoDefinition = {
  type: 'pgp-key',
  extensionId: 'extension-definition--8c6b0e37-bc91-4747-89f3-33bb41386c38',
  name: 'DarkPatrol OpenPGP public key',
  description: 'An OpenPGP public key identified by its fingerprint, as vendors publish on market profiles.',
  idContributing: ['fingerprint'],
  schema:
    'New SCO type "pgp-key". Properties: fingerprint (string, required): upper-case hex, 40 characters (v4) or 64 (v6), ' +
    'equal to GnuPG\'s; key_id (string, optional): upper-case hex, 16 characters; user_ids (list of string, optional); ' +
    'algorithm (string, optional); key_created (timestamp, optional). ID contributing properties: fingerprint.',
};

export const PHONE_NUMBER: NewScoDefinition = {
  type: 'phone-number',
  extensionId: 'extension-definition--d3ee6c76-fd71-4ad7-be58-a7d1b7bc5f49',
  name: 'DarkPatrol phone number',
  description: 'A telephone number used as a contact or messenger selector.',
  idContributing: ['value'],
  schema:
    'New SCO type "phone-number". Properties: value (string, required): E.164 ("+" and digits) when the country is ' +
    'known, else digits only. ID contributing properties: value.',
};

export const NEW_SCO_DEFINITIONS: readonly NewScoDefinition[] = [CRYPTOCURRENCY_WALLET, PGP_KEY, PHONE_NUMBER];

export function newScoDefinitionByType(type: string): NewScoDefinition | undefined {
  return NEW_SCO_DEFINITIONS.find((d) => d.type === type);
}

/**
 * DarkPatrol's own properties on standard objects (formerly bare `x_darkpatrol_*` properties), as one STIX 2.1
 * property extension (§7.3, `extension_types: ["property-extension"]`): a recipient that does not know it can ignore
 * it, `stix2.parse` reads it without allow_custom, and the validator has no custom property to warn about.
 */
export const DARKPATROL_PROPERTIES = {
  extensionId: 'extension-definition--3d9a3f0c-6f4e-4b5a-9d2c-8e1f7a6b5c4d',
  name: 'DarkPatrol properties',
  description: 'Where DarkPatrol intelligence comes from: producing agency code, subject, account source and sightings, selector kind.',
  schema:
    'Property extension. identity (producing agency): agency_id (string). threat-actor, report: subject {kind: vendor|identity|case|feed, id: string}. ' +
    'user-account: source {kind: market|forum|channel|scrape|seized_db|…, name: string, url?: string}, first_seen?, last_seen? (timestamps). ' +
    'indicator, location: selector_kind (string, a DarkPatrol selector kind such as btc_address, pgp_key, phone, postal_address).',
} as const;

export type DarkPatrolProperties = {
  agency_id?: string;
  subject?: { kind: string; id: string };
  source?: { kind: string; name: string; url?: string };
  first_seen?: string;
  last_seen?: string;
  selector_kind?: string;
};

/** The `extensions` value carrying DarkPatrol's properties on one object. */
export function darkpatrolProperties(props: DarkPatrolProperties): Record<string, Record<string, unknown>> {
  return { [DARKPATROL_PROPERTIES.extensionId]: { extension_type: 'property-extension', ...props } };
}

/** DarkPatrol's properties of an object read back: from the extension, or from the x_darkpatrol_* properties of older packages. */
export function readDarkpatrolProperties(o: Record<string, unknown>): DarkPatrolProperties {
  const ext = o.extensions as Record<string, unknown> | undefined;
  const e = ext && typeof ext === 'object' ? (ext[DARKPATROL_PROPERTIES.extensionId] as Record<string, unknown> | undefined) : undefined;
  const pick = (k: string) => (e && typeof e === 'object' ? e[k] : undefined) ?? o[`x_darkpatrol_${k}`];
  const out: DarkPatrolProperties = {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const agency = str(pick('agency_id'));
  if (agency) out.agency_id = agency;
  const subject = pick('subject');
  if (subject && typeof subject === 'object' && typeof (subject as { kind?: unknown }).kind === 'string') out.subject = subject as DarkPatrolProperties['subject'];
  const source = pick('source');
  if (source && typeof source === 'object' && typeof (source as { name?: unknown }).name === 'string') out.source = source as DarkPatrolProperties['source'];
  for (const k of ['first_seen', 'last_seen', 'selector_kind'] as const) {
    const v = str(pick(k));
    if (v) out[k] = v;
  }
  return out;
}

/** The extension-definition of DarkPatrol's property extension. */
export function propertiesExtensionDefinition(): Record<string, unknown> {
  return {
    type: 'extension-definition',
    spec_version: '2.1',
    id: DARKPATROL_PROPERTIES.extensionId,
    created_by_ref: DARKPATROL_PROJECT_IDENTITY.id,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: DARKPATROL_PROPERTIES.name,
    description: DARKPATROL_PROPERTIES.description,
    schema: DARKPATROL_PROPERTIES.schema,
    version: '1.0.0',
    extension_types: ['property-extension'],
  };
}

/** The extension-definition object that travels in every bundle using the new type. */
export function extensionDefinitionObject(def: NewScoDefinition): Record<string, unknown> {
  return {
    type: 'extension-definition',
    spec_version: '2.1',
    id: def.extensionId,
    created_by_ref: DARKPATROL_PROJECT_IDENTITY.id,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: def.name,
    description: def.description,
    schema: def.schema,
    version: '1.0.0',
    extension_types: ['new-sco'],
  };
}

/** A new-type SCO with its deterministic id and the extension marker. */
export function newScoObject(def: NewScoDefinition, properties: Record<string, unknown>): Record<string, unknown> {
  const contributing: Record<string, unknown> = {};
  for (const p of def.idContributing) {
    if (properties[p] === undefined) throw new Error(`${def.type}: ID contributing property ${p} is missing`);
    contributing[p] = properties[p];
  }
  return {
    type: def.type,
    spec_version: '2.1',
    id: scoId(def.type, contributing),
    ...properties,
    extensions: { [def.extensionId]: { extension_type: 'new-sco' } },
  };
}
