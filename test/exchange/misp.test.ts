/**
 * MISP compatibility. misp-stix (MISP's STIX converter, Python-only: no PyPI here) is encoded below as the rules its
 * STIX 2.1 import applies, read from its source (misp_stix_converter/stix2misp/...):
 *  - a bundle is "from MISP" (internal parser) when a grouping or report carries the label
 *    `misp:tool="MISP-STIX-Converter"` (or `misp:tool="misp2stix2"`); otherwise the external parser reads it;
 *  - each grouping/report is one MISP event; the parser walks its `object_refs`, and an object whose type is not in
 *    its loading table cannot be loaded: it is dropped with an error. The table's observable types are the 18 STIX 2.1
 *    SCO types — DarkPatrol's cryptocurrency-wallet, pgp-key and phone-number are not among them;
 *  - `x-misp-attribute` → a MISP attribute {type: x_misp_type, value: x_misp_value with each `\\` pair made one,
 *    category/comment/to_ids from x_misp_*};
 *  - `x-misp-object` → a MISP object named x_misp_name, meta-category x_misp_meta_category, one attribute per entry of
 *    x_misp_attributes (object_relation, type, value);
 *  - an identity (not a creator) is dispatched on its `misp:name="…"` label; `person` maps name → full-name,
 *    x_misp_handle → handle, x_misp_alias → alias.
 * MISP's own tables (describeTypes.json, misp-objects templates) give the types, categories and object relations
 * checked here. docs/exchange.md shows how to re-run the check with misp-stix itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPackage,
  bundleSelectors,
  importBundle,
  MISP_STIX_TOOL_LABEL,
  mispStixEscape,
  mispView,
  splitSeizedMarket,
  validateBundle,
} from '../../src/exchange/index.ts';
import type { SeizedSplit, StixBundle, StixObject } from '../../src/exchange/index.ts';
import { importSeizedDump, type ImportedSeized } from '../helpers/seized.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { vendorPackageInput } from './package-fixture.ts';

// ---- misp-stix's import rules, as data ------------------------------------------------------------------------------
const MISP_TOOL_TAGS = ['misp:tool="MISP-STIX-Converter"', 'misp:tool="misp2stix2"'];
const EVENT_TYPES = ['grouping', 'report'];
/** The observable types in misp-stix's STIX 2.1 loading table (the STIX 2.1 SCOs). */
const LOADABLE_OBSERVABLES = ['artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr', 'ipv6-addr', 'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account', 'windows-registry-key', 'x509-certificate'];
/** Types the internal parser maps when an event references them (stix_to_misp_mapping). */
const INTERNAL_MAPPED = ['attack-pattern', 'campaign', 'course-of-action', 'identity', 'indicator', 'intrusion-set', 'location', 'malware', 'malware-analysis', 'note', 'observed-data', 'sighting', 'threat-actor', 'tool', 'vulnerability', 'x-misp-attribute', 'x-misp-event-report', 'x-misp-galaxy-cluster', 'x-misp-object'];
/** MISP describeTypes.json: the categories each attribute type used here may take. */
const CATEGORIES_OF: Record<string, string[]> = {
  btc: ['Financial fraud'],
  xmr: ['Financial fraud'],
  'phone-number': ['Financial fraud', 'Other', 'Person'],
  'email-src': ['Payload delivery', 'Social network'],
  'jabber-id': ['Social network'],
  domain: ['External analysis', 'Network activity', 'Payload delivery'],
  text: ['Antivirus detection', 'Artifacts dropped', 'Attribution', 'External analysis', 'Financial fraud', 'Internal reference', 'Network activity', 'Other', 'Payload delivery', 'Payload installation', 'Payload type', 'Persistence mechanism', 'Person', 'Social network', 'Support Tool'],
};
/** misp-objects templates: relation → attribute type, and what one of them must hold. */
const TEMPLATES: Record<string, { metaCategory: string; relations: Record<string, string>; requiredOneOf: string[] }> = {
  'coin-address': { metaCategory: 'financial', relations: { address: 'btc', 'address-xmr': 'xmr', 'address-crypto': 'text', symbol: 'text', text: 'text' }, requiredOneOf: ['address', 'address-xmr', 'address-crypto'] },
  'pgp-meta': { metaCategory: 'misc', relations: { 'key-id': 'text', 'user-id-email': 'text', 'user-id-name': 'text' }, requiredOneOf: ['key-id'] },
};
const PERSON_FIELDS: Record<string, string> = { name: 'full-name', description: 'text', x_misp_handle: 'handle', x_misp_alias: 'alias' };

interface MispAttribute { type: string; category: string; value: string; to_ids: boolean; comment?: string }
interface MispObject { name: string; metaCategory: string; attributes: { object_relation: string; type: string; value: string }[] }
interface MispEvent { info: string; attributes: MispAttribute[]; objects: MispObject[]; dropped: string[]; errors: string[] }

const labelsOf = (o: StixObject): Record<string, string> =>
  Object.fromEntries((Array.isArray(o.labels) ? (o.labels as string[]) : []).filter((l) => l.includes('=')).map((l) => {
    const [k, v] = l.split('=') as [string, string];
    return [k, v.replace(/^"|"$/g, '')];
  }));

/** What misp-stix's STIX 2.1 import would make of a bundle (the rules above), per event. */
function mispStixImport(bundle: StixBundle): { fromMisp: boolean; events: MispEvent[] } {
  const byId = new Map(bundle.objects.map((o) => [o.id, o]));
  const fromMisp = bundle.objects.some((o) => EVENT_TYPES.includes(o.type) && Array.isArray(o.labels) && MISP_TOOL_TAGS.some((t) => (o.labels as string[]).includes(t)));
  const creators = new Set(bundle.objects.map((o) => o.created_by_ref).filter((r): r is string => typeof r === 'string'));
  const events: MispEvent[] = [];
  for (const ev of bundle.objects.filter((o) => EVENT_TYPES.includes(o.type))) {
    const e: MispEvent = { info: String(ev.name), attributes: [], objects: [], dropped: [], errors: [] };
    for (const ref of (ev.object_refs as string[]) ?? []) {
      const type = ref.split('--')[0]!;
      const o = byId.get(ref);
      if (!o) { e.errors.push(`${ref} not in bundle`); continue; }
      if (!LOADABLE_OBSERVABLES.includes(type) && !INTERNAL_MAPPED.includes(type) && !['marking-definition', 'relationship', 'opinion', 'report', 'grouping'].includes(type)) {
        e.dropped.push(type);
        continue;
      }
      if (!fromMisp) continue; // the external parser's mapping is not what this view targets
      if (type === 'x-misp-attribute') {
        if (typeof o.x_misp_type !== 'string' || typeof o.x_misp_value !== 'string' || typeof o.modified !== 'string') { e.errors.push(`${ref}: missing x_misp_type/x_misp_value/modified`); continue; }
        e.attributes.push({
          type: o.x_misp_type,
          value: o.x_misp_value.replaceAll('\\\\', '\\'), // _sanitise_value
          category: String(o.x_misp_category),
          to_ids: o.x_misp_to_ids === true,
          ...(typeof o.x_misp_comment === 'string' ? { comment: o.x_misp_comment } : {}),
        });
      } else if (type === 'x-misp-object') {
        const attrs = (o.x_misp_attributes as Record<string, unknown>[]).map((a) => ({ object_relation: String(a.object_relation), type: String(a.type), value: String(a.value) }));
        e.objects.push({ name: String(o.x_misp_name), metaCategory: String(o.x_misp_meta_category), attributes: attrs });
      } else if (type === 'identity') {
        if (creators.has(ref)) continue; // the event's creator (Orgc), not an object
        const name = labelsOf(o)['misp:name'];
        if (name !== 'person') { e.errors.push(`${ref}: identity without a misp:name label the parser maps`); continue; }
        const attributes = Object.entries(PERSON_FIELDS).flatMap(([field, relation]) => {
          const v = o[field];
          return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => ({ object_relation: relation, type: 'text', value: String(x) }));
        });
        e.objects.push({ name: 'person', metaCategory: labelsOf(o)['misp:meta-category'] ?? '', attributes });
      } else {
        e.errors.push(`${ref}: ${type} without MISP labels`);
      }
    }
    events.push(e);
  }
  return { fromMisp, events };
}

/** Check one imported event against MISP's own tables. */
function expectMispValid(e: MispEvent): void {
  expect(e.errors).toEqual([]);
  expect(e.dropped).toEqual([]);
  for (const a of e.attributes) {
    expect(CATEGORIES_OF[a.type], `MISP attribute type ${a.type}`).toBeDefined();
    expect(CATEGORIES_OF[a.type], `${a.type} in category ${a.category}`).toContain(a.category);
    expect(a.value.length).toBeGreaterThan(0);
  }
  for (const o of e.objects) {
    if (o.name === 'person') continue;
    const t = TEMPLATES[o.name];
    expect(t, `misp-objects template ${o.name}`).toBeDefined();
    expect(o.metaCategory).toBe(t!.metaCategory);
    for (const a of o.attributes) expect(t!.relations[a.object_relation], `${o.name}.${a.object_relation}`).toBe(a.type);
    expect(o.attributes.some((a) => t!.requiredOneOf.includes(a.object_relation)), `${o.name} has one of ${t!.requiredOneOf.join(', ')}`).toBe(true);
  }
}

/** Selector kind → value as MISP holds it after import. */
function mispSelectors(e: MispEvent): { kind: string; value: string }[] {
  const out: { kind: string; value: string }[] = [];
  const byType: Record<string, string> = { btc: 'btc_address', xmr: 'xmr_address', 'phone-number': 'phone', 'email-src': 'email', 'jabber-id': 'jabber', domain: 'onion' };
  for (const a of e.attributes) {
    const kind = a.type === 'text' ? /^darkpatrol selector: (.+)$/.exec(a.comment ?? '')?.[1] : byType[a.type];
    if (kind) out.push({ kind, value: a.value });
  }
  for (const o of e.objects) {
    const rel = (r: string) => o.attributes.find((a) => a.object_relation === r)?.value;
    if (o.name === 'pgp-meta') out.push({ kind: 'pgp_key', value: rel('key-id')! });
    if (o.name === 'coin-address') out.push({ kind: `${rel('symbol')!.toLowerCase()}_address`, value: rel('address-crypto')! });
  }
  return out;
}

const sortSel = (xs: { kind: string; value: string }[]) => xs.map((x) => `${x.kind}=${x.value}`).sort();
const WALLET_ETC = ['cryptocurrency-wallet', 'pgp-key', 'phone-number'];

describe('MISP view: the fixture vendor package', () => {
  const built = buildPackage(vendorPackageInput({ selectors: [...vendorPackageInput().selectors!, { kind: 'jabber', value: 'xmpp:DutchMagic@jabber.example/phone' }, { kind: 'ltc_address', value: 'LTC1QG9STKXRSZKDZSMNZR8FQ7RSWV8C4D28MK7XWHF' }, { kind: 'eth_address', value: '0x52908400098527886E0F7030069857D2E4169EE7' }] }));
  const view = mispView(built.bundle);

  it('the source bundle is what misp-stix dropped: its wallet, PGP and phone observables are not in the loading table', () => {
    const types = built.bundle.objects.map((o) => o.type).filter((t) => WALLET_ETC.includes(t));
    expect(types.length).toBeGreaterThanOrEqual(5);
    for (const t of types) expect(LOADABLE_OBSERVABLES).not.toContain(t);
    expect(mispStixImport(built.bundle).fromMisp).toBe(false);
  });

  it('validates against the OASIS schemas and is routed to misp-stix\'s internal parser', () => {
    expect(validateBundle(view.bundle).errors).toEqual([]);
    const grouping = view.bundle.objects.filter((o) => o.type === 'grouping');
    expect(grouping).toHaveLength(1);
    expect(grouping[0]!.labels).toContain(MISP_STIX_TOOL_LABEL);
    expect(grouping[0]!.labels).toContain('tlp:amber+strict');
    expect(mispStixImport(view.bundle).fromMisp).toBe(true);
  });

  it('every selector becomes a MISP attribute or object of the right type with the right value, none dropped', () => {
    const { events } = mispStixImport(view.bundle);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expectMispValid(e);
    const source = bundleSelectors(built.bundle);
    expect(source).toHaveLength(12);
    expect(sortSel(mispSelectors(e))).toEqual(sortSel(source));
    const attr = (type: string) => e.attributes.filter((a) => a.type === type).map((a) => [a.category, a.value, a.to_ids]);
    expect(attr('btc')).toEqual([['Financial fraud', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', true]]);
    expect(attr('xmr')).toEqual([['Financial fraud', '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A', true]]);
    expect(attr('phone-number')).toEqual([['Person', '+31612345678', false]]);
    expect(attr('email-src')).toEqual([['Social network', "o'brien@example.org", true]]);
    expect(attr('jabber-id')).toEqual([['Social network', 'dutchmagic@jabber.example', false]]);
    expect(attr('domain')).toEqual([['Network activity', 'hansamkt2rr6nfg3.onion', true]]);
    const pgp = e.objects.find((o) => o.name === 'pgp-meta')!;
    expect(pgp.attributes).toEqual([
      { object_relation: 'key-id', type: 'text', value: '123456789ABCDEF0123456789ABCDEF012345678' },
      { object_relation: 'key-id', type: 'text', value: '89ABCDEF012345678'.slice(-16) },
    ]);
    const coins = e.objects.filter((o) => o.name === 'coin-address').map((o) => o.attributes.map((a) => `${a.object_relation}=${a.value}`));
    expect(coins).toEqual([
      ['address-crypto=ltc1qg9stkxrszkdzsmnzr8fq7rswv8c4d28mk7xwhf', 'symbol=LTC'],
      ['address-crypto=0x52908400098527886e0f7030069857d2e4169ee7', 'symbol=ETH'],
    ]);
    expect(view.selectors).toMatchObject({ btc_address: 1, xmr_address: 1, ltc_address: 1, eth_address: 1, pgp_key: 1, phone: 1, onion: 1, email: 1, jabber: 1 });
    expect(view.omitted).toEqual([]);
  });

  it('the vendor becomes MISP\'s person object; the producer is the event\'s creator', () => {
    const persons = mispStixImport(view.bundle).events[0]!.objects.filter((o) => o.name === 'person');
    expect(persons).toEqual([{ name: 'person', metaCategory: 'misc', attributes: [
      { object_relation: 'full-name', type: 'text', value: 'DutchMagic' },
      { object_relation: 'handle', type: 'text', value: 'DutchMagic' },
      { object_relation: 'alias', type: 'text', value: 'DM_Official' },
    ] }]);
    const grouping = view.bundle.objects.find((o) => o.type === 'grouping')!;
    const creator = view.bundle.objects.find((o) => o.id === grouping.created_by_ref)!;
    expect(creator).toMatchObject({ type: 'identity', name: 'Politie NL, Team High Tech Crime', identity_class: 'organization' });
  });

  it('DarkPatrol\'s own importer reads the view back to the same selectors', () => {
    const back = importBundle(JSON.stringify(view.bundle));
    expect(back.selectors.map((s) => `${s.kind}=${s.value}`).sort()).toEqual(sortSel(bundleSelectors(built.bundle)));
  });

  it('is stable: re-exporting names the same MISP attributes', () => {
    const again = mispView(buildPackage(vendorPackageInput({ selectors: vendorPackageInput().selectors })).bundle);
    const ids = (b: StixBundle) => b.objects.filter((o) => o.type.startsWith('x-misp-')).map((o) => o.id).sort();
    expect(ids(again.bundle).every((id) => ids(view.bundle).includes(id))).toBe(true);
  });
});

describe('MISP view: hostile values', () => {
  it('a backslash survives misp-stix\'s value sanitising; newlines are normalised away by the selector rules, never sent raw', () => {
    const built = buildPackage(vendorPackageInput({ selectors: [
      { kind: 'vendor_handle', value: 'back\\slash\\\\double' },
      { kind: 'vendor_handle', value: 'two\nlines\r\nhere' },
      { kind: 'postal_address', value: 'Line 1\nLine 2\u2028Line 3', country: 'nl' },
    ], relationships: [] }));
    const view = mispView(built.bundle);
    expect(validateBundle(view.bundle).errors).toEqual([]);
    const e = mispStixImport(JSON.parse(JSON.stringify(view.bundle)) as StixBundle).events[0]!;
    expectMispValid(e);
    const values = mispSelectors(e).map((s) => s.value).sort();
    expect(values).toEqual(['back\\slash\\\\double', 'line 1 line 2 line 3', 'two lines here']);
    const raw = view.bundle.objects.find((o) => o.type === 'x-misp-attribute' && String(o.x_misp_value).startsWith('back'))!;
    expect(raw.x_misp_value).toBe(mispStixEscape('back\\slash\\\\double'));
    expect(raw.x_misp_value).toBe('back\\\\slash\\\\\\\\double');
  });

  it('an observable whose value is not a selector (huge, or a coin MISP cannot name) is reported, not silently dropped', () => {
    const built = buildPackage(vendorPackageInput());
    const huge = 'x'.repeat(200_000);
    const wallet = built.bundle.objects.find((o) => o.type === 'cryptocurrency-wallet')!;
    const tampered: StixBundle = {
      ...built.bundle,
      objects: [
        ...built.bundle.objects,
        { ...wallet, id: 'cryptocurrency-wallet--0f0e5f5c-7f2b-5a53-9c3e-111111111111', value: huge },
        { ...wallet, id: 'cryptocurrency-wallet--0f0e5f5c-7f2b-5a53-9c3e-222222222222', currency: 'DOGE', value: 'DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L' },
      ],
    };
    const view = mispView(tampered);
    expect(view.omitted).toHaveLength(2);
    expect(view.omitted[0]).toMatch(/^cryptocurrency-wallet cryptocurrency-wallet--0f0e5f5c.*not a valid selector/);
    expect(view.omitted.join('\n').length).toBeLessThan(1000);
    expect(JSON.stringify(view.bundle)).not.toContain(huge.slice(0, 2000));
    expect(view.selectors.btc_address).toBe(1);
  });
});

describe('MISP view: the sim seized-market split packages', () => {
  let store: TestStore;
  let seized: ImportedSeized | undefined;
  let split: SeizedSplit;

  beforeAll(async () => {
    store = await openTestStore();
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'Politie NL', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    seized = await importSeizedDump(store.db, agencyId);
    split = await splitSeizedMarket(store.db, seized.summary.marketId, { producer: { agencyId: 'NL-POL', name: 'Politie NL' }, tlp: 'AMBER+STRICT', created: '2025-03-01T00:00:00Z' });
  }, 300_000);

  afterAll(async () => {
    await store?.close();
    seized?.cleanup();
  });

  it('every wallet, PGP key and phone observable of every country package becomes a MISP attribute or object: counts equal', () => {
    let sourceObservables = 0;
    let mapped = 0;
    const perType = new Map<string, number>();
    for (const p of split.packages) {
      const observables = p.bundle.objects.filter((o) => WALLET_ETC.includes(o.type));
      sourceObservables += observables.length;
      for (const o of observables) perType.set(o.type, (perType.get(o.type) ?? 0) + 1);
      const view = mispView(p.bundle);
      expect(validateBundle(view.bundle).errors, p.country).toEqual([]);
      expect(view.omitted, p.country).toEqual([]);
      const { fromMisp, events } = mispStixImport(view.bundle);
      expect(fromMisp).toBe(true);
      expect(events).toHaveLength(1);
      expectMispValid(events[0]!);
      const got = mispSelectors(events[0]!);
      // Every selector of the package, exactly, as MISP holds it.
      expect(sortSel(got), p.country).toEqual(sortSel(bundleSelectors(p.bundle)));
      // And each wallet/PGP/phone observable by value: a btc/xmr attribute, a coin-address or pgp-meta object, a phone-number.
      const have = new Set(got.map((s) => `${s.kind}=${s.value}`));
      for (const o of observables) {
        const key = o.type === 'pgp-key' ? `pgp_key=${String(o.fingerprint)}` : o.type === 'phone-number' ? `phone=${String(o.value)}` : `${String(o.currency).toLowerCase()}_address=${String(o.value)}`;
        expect(have.has(key), `${p.country}: ${key}`).toBe(true);
        mapped++;
      }
      const btc = events[0]!.attributes.filter((a) => a.type === 'btc' || a.type === 'xmr').length;
      expect(btc).toBe(observables.filter((o) => o.type === 'cryptocurrency-wallet' && ['BTC', 'XMR'].includes(String(o.currency))).length);
    }
    expect(sourceObservables).toBeGreaterThan(50);
    expect(mapped).toBe(sourceObservables);
    expect(perType.get('cryptocurrency-wallet')).toBeGreaterThan(0);
  }, 120_000);
});
