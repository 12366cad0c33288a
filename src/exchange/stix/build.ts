/**
 * Intelligence packages: one subject (an identity, a vendor, a case or a partner feed) with its accounts, selectors, links and
 * notes, as a STIX 2.1 bundle marked with one TLP 2.0 level, plus the manifest that `signPackage` signs.
 *
 * Shape of the bundle:
 *  - the TLP 2.0 marking-definition (the official OASIS object) and, for every new SCO type used, its
 *    extension-definition and the DarkPatrol project identity that authors it;
 *  - the producer agency as an identity (`created_by_ref` of everything it says);
 *  - a vendor or identity subject as a threat-actor, plus an identity with `roles` standing for the persona the
 *    actor presents (STIX 2.1 has no persona object), linked `attributed-to`;
 *  - each account as a user-account SCO (`account_type` = `<source kind>:<source name>`);
 *  - each selector as an observable plus an indicator with a STIX pattern (`indicates` the actor, `based-on` the
 *    observable); postal drop addresses as location objects;
 *  - notes, and a report naming everything, whose external references list the evidence captures by SHA-256.
 */
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { SOURCE_KINDS } from '../../domain/market.ts';
import { REGISTERED_SELECTOR_KINDS } from '../../deconflict/selectors.ts';
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { canonicalBytes } from '../jcs.ts';
import { DARKPATROL_PROJECT_IDENTITY, darkpatrolProperties, extensionDefinitionObject, propertiesExtensionDefinition } from './extensions.ts';
import type { NewScoDefinition } from './extensions.ts';
import { randomId, scoId, stableId } from './ids.ts';
import { isValidTimestamp } from './schemas.ts';
import type { StixBundle, StixObject } from './schemas.ts';
import { selectorToObservable } from './selector-map.ts';
import { tlp2MarkingDefinition, TLP2_MARKING_IDS } from './tlp.ts';

const timestamp = z.string().refine((s) => isValidTimestamp(s) || !Number.isNaN(Date.parse(s)), 'not a timestamp');
const text = (max: number) => z.string().min(1).max(max);

export const localRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subject') }),
  z.object({ kind: z.literal('account'), id: text(200) }),
  z.object({ kind: z.literal('selector'), selector: z.enum(REGISTERED_SELECTOR_KINDS), value: text(1024) }),
]);
export type LocalRef = z.infer<typeof localRefSchema>;

export const packageInputSchema = z.object({
  producer: z.object({
    agencyId: text(200),
    name: text(300),
    /** Who a recipient should call: a desk, not a person's private number. */
    contact: text(500).optional(),
  }),
  subject: z.discriminatedUnion('kind', [
    z.object({
      kind: z.enum(['identity', 'vendor']),
      id: text(200),
      name: text(300),
      aliases: z.array(text(300)).max(1000).optional(),
      description: text(20_000).optional(),
      firstSeen: timestamp.optional(),
      lastSeen: timestamp.optional(),
    }),
    /** A case, or a partner feed (a list of selectors with no actor behind it). */
    z.object({ kind: z.literal('case'), id: text(200), name: text(300), description: text(20_000).optional() }),
    z.object({ kind: z.literal('feed'), id: text(200), name: text(300), description: text(20_000).optional() }),
  ]),
  accounts: z
    .array(
      z.object({
        id: text(200),
        handle: text(300),
        source: z.object({ kind: z.enum(SOURCE_KINDS), name: text(300), url: text(2000).optional() }),
        firstSeen: timestamp.optional(),
        lastSeen: timestamp.optional(),
      }),
    )
    .max(100_000)
    .default([]),
  selectors: z
    .array(
      z.object({
        kind: z.enum(REGISTERED_SELECTOR_KINDS),
        value: text(1024),
        firstSeen: timestamp.optional(),
        /** Accounts (by local id) on which this selector was seen. */
        accountIds: z.array(text(200)).optional(),
        confidence: z.number().int().min(0).max(100).optional(),
        /** ISO 3166-1 alpha-2; required for postal addresses (a STIX location needs a country or region). */
        country: z.string().regex(/^[A-Za-z]{2}$/).optional(),
      }),
    )
    .refine((list) => list.every((s) => s.kind !== 'postal_address' || s.country), {
      message: 'postal_address selectors need a country (ISO 3166-1 alpha-2)',
    })
    .max(100_000)
    .default([]),
  relationships: z
    .array(z.object({ source: localRefSchema, target: localRefSchema, type: z.string().regex(/^[a-z0-9-]{2,100}$/), description: text(5000).optional() }))
    .max(100_000)
    .default([]),
  notes: z
    .array(z.object({ content: text(100_000), abstract: text(1000).optional(), authors: z.array(text(300)).optional(), about: z.array(localRefSchema).optional() }))
    .max(10_000)
    .default([]),
  tlp: z.enum(TLP_LEVELS),
  evidence: z
    .array(
      z.object({
        captureId: text(200),
        sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex characters'),
        url: text(4000),
        fetchedAt: timestamp,
      }),
    )
    .max(1_000_000)
    .default([]),
  /** Package time; defaults to now. */
  created: timestamp.optional(),
});
export type PackageInput = z.input<typeof packageInputSchema>;
type Input = z.output<typeof packageInputSchema>;

export interface EvidenceDigest {
  captureId: string;
  sha256: string;
  url: string;
  fetchedAt: string;
}

/** What the producer signs: enough to prove which bundle and which evidence, and nothing more. */
export interface PackageManifest {
  format: 'darkpatrol-package-manifest';
  version: 1;
  producer: { agencyId: string; name: string };
  created: string;
  tlp: Tlp;
  bundleId: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of the bundle. */
  bundleSha256: string;
  /** Every object id in the bundle, sorted. */
  objectIds: string[];
  evidence: EvidenceDigest[];
}

/** How an indicator's description names its selector. */
const SELECTOR_LABEL: Readonly<Record<RegisteredSelectorKind, string>> = {
  email: 'E-mail address',
  onion: 'Onion service',
  pgp_key: 'OpenPGP key',
  phone: 'Phone number',
  btc_address: 'Bitcoin address',
  xmr_address: 'Monero address',
  ltc_address: 'Litecoin address',
  eth_address: 'Ethereum address',
  postal_address: 'Postal address',
  telegram: 'Telegram account',
  wickr: 'Wickr account',
  session: 'Session account',
  signal: 'Signal account',
  threema: 'Threema account',
  jabber: 'Jabber/XMPP account',
  vendor_handle: 'Vendor handle',
};

export class PackageInputError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'PackageInputError';
  }
}

function iso(t: string): string {
  return new Date(t).toISOString();
}

/** SHA-256 hex of the canonical JSON of a bundle: the digest manifests carry. */
export function bundleDigest(bundle: unknown): string {
  return bytesToHex(sha256(canonicalBytes(bundle)));
}

export function manifestFor(bundle: StixBundle, producer: { agencyId: string; name: string }, tlp: Tlp, evidence: EvidenceDigest[], created: string): PackageManifest {
  return {
    format: 'darkpatrol-package-manifest',
    version: 1,
    producer: { agencyId: producer.agencyId, name: producer.name },
    created,
    tlp,
    bundleId: bundle.id,
    bundleSha256: bundleDigest(bundle),
    objectIds: bundle.objects.map((o) => o.id).sort(),
    evidence: evidence.map((e) => ({ captureId: e.captureId, sha256: e.sha256.toLowerCase(), url: e.url, fetchedAt: iso(e.fetchedAt) })),
  };
}

export function buildPackage(raw: PackageInput): { bundle: StixBundle; manifest: PackageManifest } {
  const parsed = packageInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
    throw new PackageInputError(`invalid package input: ${issues.slice(0, 5).join('; ')}`, issues);
  }
  return new PackageBuilder(parsed.data).build();
}

class PackageBuilder {
  private readonly objects = new Map<string, StixObject>();
  private readonly extensions = new Map<string, NewScoDefinition>();
  private readonly created: string;
  private readonly marking: string;
  private readonly producerId: string;
  private readonly subjectKey: string;
  private actorId: string | undefined;
  private readonly accountIds = new Map<string, string>();
  private readonly selectorIds = new Map<string, string>();

  constructor(private readonly input: Input) {
    this.created = iso(input.created ?? new Date().toISOString());
    this.marking = TLP2_MARKING_IDS[input.tlp];
    this.producerId = stableId('identity', 'agency', input.producer.agencyId);
    this.subjectKey = `${input.subject.kind}:${input.subject.id}`;
  }

  private stable(type: string, ...parts: string[]): string {
    return stableId(type, this.input.producer.agencyId, ...parts);
  }

  private sdo(type: string, id: string, props: Record<string, unknown>): StixObject {
    const o: StixObject = {
      type,
      spec_version: '2.1',
      id,
      created_by_ref: this.producerId,
      created: this.created,
      modified: this.created,
      ...props,
      object_marking_refs: [this.marking],
    };
    this.add(o);
    return o;
  }

  private add(o: StixObject): void {
    if (!this.objects.has(o.id)) this.objects.set(o.id, o);
  }

  private relate(source: string, type: string, target: string, description?: string): void {
    this.sdo('relationship', this.stable('relationship', source, type, target), {
      relationship_type: type,
      source_ref: source,
      target_ref: target,
      ...(description ? { description } : {}),
    });
  }

  build(): { bundle: StixBundle; manifest: PackageManifest } {
    const { input } = this;
    this.add(tlp2MarkingDefinition(input.tlp) as unknown as StixObject);
    this.sdo('identity', this.producerId, {
      name: input.producer.name,
      identity_class: 'organization',
      sectors: ['government-national'],
      roles: ['law-enforcement'],
      ...(input.producer.contact ? { contact_information: input.producer.contact } : {}),
      extensions: darkpatrolProperties({ agency_id: input.producer.agencyId }),
    });
    this.addSubject();
    for (const a of input.accounts) this.addAccount(a);
    for (const s of input.selectors) this.addSelector(s);
    for (const r of input.relationships) {
      this.relate(this.resolve(r.source), r.type, this.resolve(r.target), r.description);
    }
    input.notes.forEach((n, i) => {
      const about = (n.about ?? [{ kind: 'subject' as const }]).map((ref) => this.resolve(ref));
      this.sdo('note', this.stable('note', this.subjectKey, String(i), n.content), {
        content: n.content,
        ...(n.abstract ? { abstract: n.abstract } : {}),
        ...(n.authors?.length ? { authors: n.authors } : {}),
        object_refs: about,
      });
    });
    // The extension definitions this bundle uses, and the project identity that authors them.
    this.add({ ...DARKPATROL_PROJECT_IDENTITY });
    this.add(propertiesExtensionDefinition() as StixObject);
    for (const def of this.extensions.values()) this.add(extensionDefinitionObject(def) as StixObject);
    this.addReport();
    const bundle: StixBundle = { type: 'bundle', id: randomId('bundle'), objects: [...this.objects.values()] };
    const manifest = manifestFor(bundle, input.producer, input.tlp, input.evidence, this.created);
    return { bundle, manifest };
  }

  private subjectRef(): string {
    return this.actorId ?? this.reportId();
  }

  private reportId(): string {
    return this.stable('report', this.subjectKey);
  }

  private addSubject(): void {
    const s = this.input.subject;
    if (s.kind === 'case' || s.kind === 'feed') return;
    const handles = [...new Set([...(s.aliases ?? []), ...this.input.accounts.map((a) => a.handle)])].filter((h) => h !== s.name);
    this.actorId = this.stable('threat-actor', this.subjectKey);
    this.sdo('threat-actor', this.actorId, {
      name: s.name,
      threat_actor_types: ['criminal'],
      ...(handles.length ? { aliases: handles } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.firstSeen ? { first_seen: iso(s.firstSeen) } : {}),
      ...(s.lastSeen ? { last_seen: iso(s.lastSeen) } : {}),
      extensions: darkpatrolProperties({ subject: { kind: s.kind, id: s.id } }),
    });
    const personaId = this.stable('identity', 'persona', this.subjectKey);
    this.sdo('identity', personaId, {
      name: s.name,
      identity_class: s.kind === 'identity' ? 'individual' : 'unknown',
      roles: [s.kind === 'vendor' ? 'dark-web-vendor' : 'dark-web-actor'],
      description: `Persona presented on dark-web markets and channels (DarkPatrol ${s.kind}).`,
    });
    this.relate(this.actorId, 'attributed-to', personaId, 'the persona this actor presents');
  }

  private addAccount(a: Input['accounts'][number]): void {
    const props = { account_type: `${a.source.kind}:${a.source.name}`, user_id: a.handle, account_login: a.handle };
    const id = scoId('user-account', props);
    this.add({
      type: 'user-account',
      spec_version: '2.1',
      id,
      ...props,
      display_name: a.handle,
      object_marking_refs: [this.marking],
      extensions: darkpatrolProperties({
        source: { kind: a.source.kind, name: a.source.name, ...(a.source.url ? { url: a.source.url } : {}) },
        ...(a.firstSeen ? { first_seen: iso(a.firstSeen) } : {}),
        ...(a.lastSeen ? { last_seen: iso(a.lastSeen) } : {}),
      }),
    });
    this.accountIds.set(a.id, id);
    if (this.actorId) this.relate(this.actorId, 'related-to', id, 'operates this account');
  }

  private selectorKey(kind: RegisteredSelectorKind, value: string): string {
    return `${kind}\u0000${value}`;
  }

  private addSelector(s: Input['selectors'][number]): void {
    const obs = selectorToObservable(s.kind, s.value);
    const value = (obs.object.value ?? obs.object.fingerprint ?? obs.object.user_id ?? obs.object.street_address) as string;
    let objectId: string;
    if (obs.object.type === 'location') {
      objectId = this.stable('location', 'postal', value);
      this.sdo('location', objectId, {
        name: 'Postal drop address',
        street_address: value,
        country: s.country!.toUpperCase(),
        extensions: darkpatrolProperties({ selector_kind: 'postal_address' }),
      });
    } else {
      objectId = obs.object.id;
      this.add({ ...obs.object, object_marking_refs: [this.marking] });
      if (obs.extension) this.extensions.set(obs.extension.extensionId, obs.extension);
    }
    this.selectorIds.set(this.selectorKey(s.kind, value), objectId);
    if (obs.pattern) {
      const indicatorId = this.stable('indicator', this.subjectKey, s.kind, value);
      this.sdo('indicator', indicatorId, {
        name: `${s.kind}: ${value}`,
        description: `${SELECTOR_LABEL[s.kind]} ${value}, seen ${this.actorId ? `used by ${this.input.subject.name}` : `in ${this.input.subject.name}`}${s.accountIds?.length ? ` on ${s.accountIds.length} account(s)` : ''}. Attribution indicator: whoever uses it is linked to this intelligence.`,
        indicator_types: ['attribution'],
        pattern: obs.pattern,
        pattern_type: 'stix',
        pattern_version: '2.1',
        valid_from: s.firstSeen ? iso(s.firstSeen) : this.created,
        ...(s.confidence !== undefined ? { confidence: s.confidence } : {}),
        extensions: darkpatrolProperties({ selector_kind: s.kind }),
      });
      this.relate(indicatorId, 'based-on', objectId);
      if (this.actorId) this.relate(indicatorId, 'indicates', this.actorId);
    } else if (this.actorId) {
      this.relate(this.actorId, 'related-to', objectId, 'uses this postal drop address');
    }
    for (const accountId of s.accountIds ?? []) {
      const acc = this.accountIds.get(accountId);
      if (!acc) throw new PackageInputError(`selector ${s.kind} names unknown account ${accountId}`, [accountId]);
      this.relate(acc, 'related-to', objectId, `${s.kind} seen on this account`);
    }
  }

  private resolve(ref: LocalRef): string {
    if (ref.kind === 'subject') return this.subjectRef();
    if (ref.kind === 'account') {
      const id = this.accountIds.get(ref.id);
      if (!id) throw new PackageInputError(`reference to unknown account ${ref.id}`, [ref.id]);
      return id;
    }
    const obs = selectorToObservable(ref.selector, ref.value);
    const value = (obs.object.value ?? obs.object.fingerprint ?? obs.object.user_id ?? obs.object.street_address) as string;
    const id = this.selectorIds.get(this.selectorKey(ref.selector, value));
    if (!id) throw new PackageInputError(`reference to a selector not in the package: ${ref.selector}`, [ref.selector]);
    return id;
  }

  private addReport(): void {
    const s = this.input.subject;
    const refs = [...this.objects.values()]
      .filter((o) => o.type !== 'marking-definition' && o.type !== 'extension-definition' && o.id !== DARKPATROL_PROJECT_IDENTITY.id)
      .map((o) => o.id);
    this.sdo('report', this.reportId(), {
      name: `${s.name}: intelligence package`,
      ...((s.kind === 'case' || s.kind === 'feed') && s.description ? { description: s.description } : {}),
      report_types: [s.kind === 'case' ? 'threat-report' : s.kind === 'feed' ? 'indicator' : 'threat-actor'],
      published: this.created,
      object_refs: refs,
      ...(this.input.evidence.length
        ? {
            external_references: this.input.evidence.map((e) => ({
              source_name: 'darkpatrol-evidence',
              external_id: e.captureId,
              url: e.url,
              description: `WARC capture fetched ${iso(e.fetchedAt)}`,
              hashes: { 'SHA-256': e.sha256.toLowerCase() },
            })),
          }
        : {}),
      extensions: darkpatrolProperties({ subject: { kind: s.kind, id: s.id } }),
    });
  }
}
