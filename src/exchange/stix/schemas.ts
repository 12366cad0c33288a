/**
 * zod schemas of the STIX 2.1 objects DarkPatrol writes and reads. They check what our code relies on; the OASIS
 * JSON Schemas (validate.ts) remain the conformance authority. Reading schemas are loose: properties we do not
 * model survive untouched so nothing a partner sent is lost.
 */
import { z } from 'zod';
import { STIX_ID_RE, STIX_TYPE_RE } from './ids.ts';

/** RFC 3339, UTC, as STIX 2.1 §3.2 requires; the calendar check is done by `isValidTimestamp`. */
export const STIX_TIMESTAMP_RE =
  /^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$/;

/** Whether a STIX timestamp names a real instant (rejects 2023-02-30 and the like). */
export function isValidTimestamp(s: string): boolean {
  if (!STIX_TIMESTAMP_RE.test(s)) return false;
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

export const stixTimestamp = z.string().refine(isValidTimestamp, { message: 'not a STIX timestamp (RFC 3339, UTC, Z)' });
/** `created`/`modified` of SDOs and SROs must carry milliseconds (STIX 2.1 §3.2). */
export const stixTimestampMillis = stixTimestamp.refine((s) => /\.\d{3,}Z$/.test(s), {
  message: 'timestamp must be precise to the millisecond',
});
export const stixType = z.string().min(3).max(250).regex(STIX_TYPE_RE, 'not a STIX type name');
export const stixId = z.string().max(300).regex(STIX_ID_RE, 'not a STIX identifier (type--UUID)');
export function idOf(type: string) {
  return stixId.refine((id) => id.startsWith(`${type}--`), { message: `must be a ${type} identifier` });
}

const externalReference = z.looseObject({
  source_name: z.string(),
  description: z.string().optional(),
  url: z.string().optional(),
  external_id: z.string().optional(),
  hashes: z.record(z.string(), z.string()).optional(),
});

const granularMarking = z.looseObject({
  marking_ref: stixId.optional(),
  lang: z.string().optional(),
  selectors: z.array(z.string()).min(1),
});

const extensions = z.record(z.string(), z.record(z.string(), z.unknown()));

/** Common properties of SDOs and SROs (STIX 2.1 §3.2). */
export const sdoCommon = {
  type: stixType,
  spec_version: z.literal('2.1'),
  id: stixId,
  created_by_ref: idOf('identity').optional(),
  created: stixTimestampMillis,
  modified: stixTimestampMillis,
  revoked: z.boolean().optional(),
  labels: z.array(z.string()).min(1).optional(),
  confidence: z.number().int().min(0).max(100).optional(),
  lang: z.string().optional(),
  external_references: z.array(externalReference).min(1).optional(),
  object_marking_refs: z.array(idOf('marking-definition')).min(1).optional(),
  granular_markings: z.array(granularMarking).min(1).optional(),
  extensions: extensions.optional(),
};

/** Common properties of Cyber-observables (STIX 2.1 §3.3). */
export const scoCommon = {
  type: stixType,
  spec_version: z.literal('2.1').optional(),
  id: stixId,
  object_marking_refs: z.array(idOf('marking-definition')).min(1).optional(),
  granular_markings: z.array(granularMarking).min(1).optional(),
  defanged: z.boolean().optional(),
  extensions: extensions.optional(),
};

export const identitySchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('identity'),
  id: idOf('identity'),
  name: z.string().min(1),
  description: z.string().optional(),
  roles: z.array(z.string()).min(1).optional(),
  identity_class: z.string().optional(),
  sectors: z.array(z.string()).min(1).optional(),
  contact_information: z.string().optional(),
});

export const threatActorSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('threat-actor'),
  id: idOf('threat-actor'),
  name: z.string().min(1),
  description: z.string().optional(),
  threat_actor_types: z.array(z.string()).min(1).optional(),
  aliases: z.array(z.string()).min(1).optional(),
  first_seen: stixTimestamp.optional(),
  last_seen: stixTimestamp.optional(),
  roles: z.array(z.string()).min(1).optional(),
  goals: z.array(z.string()).min(1).optional(),
  sophistication: z.string().optional(),
  resource_level: z.string().optional(),
  primary_motivation: z.string().optional(),
});

export const indicatorSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('indicator'),
  id: idOf('indicator'),
  name: z.string().optional(),
  description: z.string().optional(),
  indicator_types: z.array(z.string()).min(1).optional(),
  pattern: z.string().min(1),
  pattern_type: z.string().min(1),
  pattern_version: z.string().optional(),
  valid_from: stixTimestamp,
  valid_until: stixTimestamp.optional(),
});

export const relationshipSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('relationship'),
  id: idOf('relationship'),
  relationship_type: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().optional(),
  source_ref: stixId,
  target_ref: stixId,
  start_time: stixTimestamp.optional(),
  stop_time: stixTimestamp.optional(),
});

export const noteSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('note'),
  id: idOf('note'),
  abstract: z.string().optional(),
  content: z.string().min(1),
  authors: z.array(z.string()).min(1).optional(),
  object_refs: z.array(stixId).min(1),
});

export const reportSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('report'),
  id: idOf('report'),
  name: z.string().min(1),
  description: z.string().optional(),
  report_types: z.array(z.string()).min(1).optional(),
  published: stixTimestamp,
  object_refs: z.array(stixId).min(1),
});

export const locationSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('location'),
  id: idOf('location'),
  name: z.string().optional(),
  description: z.string().optional(),
  street_address: z.string().optional(),
  city: z.string().optional(),
  postal_code: z.string().optional(),
  country: z.string().optional(),
  region: z.string().optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});

export const extensionDefinitionSchema = z.looseObject({
  ...sdoCommon,
  type: z.literal('extension-definition'),
  id: idOf('extension-definition'),
  created_by_ref: idOf('identity'),
  name: z.string().min(1),
  description: z.string().optional(),
  schema: z.string().min(1),
  version: z.string().min(1),
  extension_types: z.array(z.enum(['new-sdo', 'new-sco', 'new-sro', 'property-extension', 'toplevel-property-extension'])).min(1),
  extension_properties: z.array(z.string()).min(1).optional(),
});

export const markingDefinitionSchema = z.looseObject({
  type: z.literal('marking-definition'),
  spec_version: z.enum(['2.0', '2.1']).optional(),
  id: idOf('marking-definition'),
  created_by_ref: idOf('identity').optional(),
  created: stixTimestamp,
  name: z.string().optional(),
  definition_type: z.string().optional(),
  definition: z.record(z.string(), z.unknown()).optional(),
  external_references: z.array(externalReference).min(1).optional(),
  object_marking_refs: z.array(idOf('marking-definition')).min(1).optional(),
  granular_markings: z.array(granularMarking).min(1).optional(),
  extensions: extensions.optional(),
});

export const emailAddrSchema = z.looseObject({
  ...scoCommon,
  type: z.literal('email-addr'),
  id: idOf('email-addr'),
  value: z.string().min(1),
  display_name: z.string().optional(),
});

export const urlSchema = z.looseObject({ ...scoCommon, type: z.literal('url'), id: idOf('url'), value: z.string().min(1) });

export const domainNameSchema = z.looseObject({
  ...scoCommon,
  type: z.literal('domain-name'),
  id: idOf('domain-name'),
  value: z.string().min(1),
});

export const userAccountSchema = z.looseObject({
  ...scoCommon,
  type: z.literal('user-account'),
  id: idOf('user-account'),
  user_id: z.string().optional(),
  account_login: z.string().optional(),
  account_type: z.string().optional(),
  display_name: z.string().optional(),
  account_created: stixTimestamp.optional(),
  account_first_login: stixTimestamp.optional(),
  account_last_login: stixTimestamp.optional(),
});

export const cryptocurrencyWalletSchema = z.looseObject({
  ...scoCommon,
  type: z.literal('cryptocurrency-wallet'),
  id: idOf('cryptocurrency-wallet'),
  value: z.string().min(1),
  currency: z.string().regex(/^[A-Z0-9]{2,10}$/),
  address_type: z.string().optional(),
});

export const pgpKeySchema = z.looseObject({
  ...scoCommon,
  type: z.literal('pgp-key'),
  id: idOf('pgp-key'),
  fingerprint: z.string().regex(/^([0-9A-F]{40}|[0-9A-F]{64})$/),
  key_id: z.string().regex(/^[0-9A-F]{16}$/).optional(),
  user_ids: z.array(z.string()).min(1).optional(),
  algorithm: z.string().optional(),
  key_created: stixTimestamp.optional(),
});

export const phoneNumberSchema = z.looseObject({
  ...scoCommon,
  type: z.literal('phone-number'),
  id: idOf('phone-number'),
  value: z.string().regex(/^\+?[0-9]{3,20}$/),
});

export const bundleEnvelopeSchema = z.looseObject({
  type: z.literal('bundle'),
  id: idOf('bundle'),
  objects: z.array(z.record(z.string(), z.unknown())).optional(),
});

/** The schema for each object type DarkPatrol models; other types are kept as they are, with a warning. */
export const OBJECT_SCHEMAS = {
  identity: identitySchema,
  'threat-actor': threatActorSchema,
  indicator: indicatorSchema,
  relationship: relationshipSchema,
  note: noteSchema,
  report: reportSchema,
  location: locationSchema,
  'extension-definition': extensionDefinitionSchema,
  'marking-definition': markingDefinitionSchema,
  'email-addr': emailAddrSchema,
  url: urlSchema,
  'domain-name': domainNameSchema,
  'user-account': userAccountSchema,
  'cryptocurrency-wallet': cryptocurrencyWalletSchema,
  'pgp-key': pgpKeySchema,
  'phone-number': phoneNumberSchema,
} as const;
export type ModelledType = keyof typeof OBJECT_SCHEMAS;

export type StixIdentity = z.infer<typeof identitySchema>;
export type StixThreatActor = z.infer<typeof threatActorSchema>;
export type StixIndicator = z.infer<typeof indicatorSchema>;
export type StixRelationship = z.infer<typeof relationshipSchema>;
export type StixNote = z.infer<typeof noteSchema>;
export type StixReport = z.infer<typeof reportSchema>;
export type StixMarkingDefinition = z.infer<typeof markingDefinitionSchema>;
export type StixUserAccount = z.infer<typeof userAccountSchema>;

/** Any STIX object as JSON: `type` and `id` always present. */
export type StixObject = { type: string; id: string } & Record<string, unknown>;
export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}
