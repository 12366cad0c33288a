import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  BadSignatureError,
  buildPackage,
  generateAgencyKeyPair,
  importBundle,
  publicPart,
  SignatureRequiredError,
  signPackage,
  StixImportError,
  TamperedBundleError,
  TLP1_MARKING_IDS,
  UnknownSignerError,
} from '../../src/exchange/index.ts';
import { vendorPackageInput } from './package-fixture.ts';

const CONFORMANCE = resolve(import.meta.dirname, '../../../shared/conformance');
const EXAMPLE_DIRS = [
  join(CONFORMANCE, 'stix2.1-examples/examples/example_json'),
  join(CONFORMANCE, 'stix2.1-json-schemas/examples'),
];

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsonFiles(p) : name.endsWith('.json') ? [p] : [];
  });
}

const examples = EXAMPLE_DIRS.flatMap(jsonFiles);
const ID = (n: number) => `6f6e3c0e-27a8-4d5c-9a4b-6d8f2a1b9c${String(n).padStart(2, '0')}`;

describe('importBundle reads every OASIS example', () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(19);
  });

  it.each(examples.map((p) => [relative(CONFORMANCE, p), p]))('%s', (_name, path) => {
    const text = readFileSync(path, 'utf8');
    const raw = JSON.parse(text) as { objects?: unknown[] };
    const result = importBundle(text);
    expect(result.objects).toHaveLength(raw.objects?.length ?? 1);
    // Nothing is lost: every object comes back exactly as sent.
    expect(result.objects).toEqual(raw.objects ?? [raw]);
    for (const w of result.warnings) expect(typeof w).toBe('string');
  });

  it('keeps TLP 1.0 and statement markings from using-marking-definitions.json', () => {
    const r = importBundle(readFileSync(join(EXAMPLE_DIRS[0]!, 'using-marking-definitions.json'), 'utf8'));
    const amber = r.markings.find((m) => m.id === TLP1_MARKING_IDS.AMBER);
    expect(amber).toMatchObject({ tlp: 'AMBER', official: true });
    expect(r.markings.some((m) => m.statement === 'Copyright (c) Stark Industries 2017.')).toBe(true);
    expect(r.tlp).toBe('AMBER');
  });

  it('finds no selectors where the examples have none of ours', () => {
    const url = importBundle(readFileSync(join(EXAMPLE_DIRS[0]!, 'indicator-for-malicious-url.json'), 'utf8'));
    expect(url.selectors).toEqual([]); // a clear-web URL is not a DarkPatrol selector
  });

  it("reads selectors out of a partner's indicator patterns and observables", () => {
    const t = '2024-03-01T00:00:00.000Z';
    const r = importBundle({
      type: 'bundle',
      id: 'bundle--1a2b3c4d-0000-4000-8000-000000000001',
      objects: [
        {
          type: 'indicator', spec_version: '2.1', id: 'indicator--1a2b3c4d-0000-4000-8000-000000000002', created: t, modified: t,
          pattern: "[email-addr:value = 'Vendor@Proton.ME'] OR [url:value = 'http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion/shop']",
          pattern_type: 'stix', valid_from: t, object_marking_refs: [TLP1_MARKING_IDS.GREEN],
        },
        { type: 'email-addr', spec_version: '2.1', id: 'email-addr--1a2b3c4d-0000-4000-8000-000000000003', value: 'vendor@proton.me' },
      ],
    });
    expect(r.selectors.map((s) => `${s.kind}=${s.value}`).sort()).toEqual([
      'email=Vendor@proton.me',
      'email=vendor@proton.me',
      'onion=abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion',
    ]);
    expect(r.selectors.find((s) => s.kind === 'onion')?.tlp).toBe('GREEN');
  });
});

describe('importBundle on DarkPatrol packages', () => {
  const nl = generateAgencyKeyPair('nl-politie');

  it('round-trips accounts, selectors and the TLP of a built package', () => {
    const { bundle } = buildPackage(vendorPackageInput());
    const r = importBundle(JSON.stringify(bundle));
    expect(r.tlp).toBe('AMBER+STRICT');
    expect(r.accounts.map((a) => `${a.source.kind}:${a.source.name}:${a.handle}`).sort()).toEqual(['market:AlphaBay:DutchMagic', 'market:Hansa:DutchMagic']);
    expect(r.accounts.find((a) => a.source.name === 'Hansa')?.source.url).toBe('http://hansamkt2rr6nfg3.onion/vendor/DutchMagic');
    const got = r.selectors.map((s) => `${s.kind}=${s.value}`).sort();
    expect(got).toEqual(
      [
        'btc_address=bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
        "email=o'brien@example.org",
        'onion=hansamkt2rr6nfg3.onion',
        'pgp_key=123456789ABCDEF0123456789ABCDEF012345678',
        'phone=+31612345678',
        'postal_address=postbus 123 1000 ab amsterdam',
        'telegram=dutchmagicshop',
        'vendor_handle=dutchmagic',
        'xmr_address=44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A',
      ].sort(),
    );
    for (const s of r.selectors) expect(s.tlp).toBe('AMBER+STRICT');
    expect(r.markings.find((m) => m.tlp === 'AMBER+STRICT')).toMatchObject({ official: true });
    expect(r.warnings.filter((w) => /does not define/.test(w))).toEqual([]);
  });

  it('verifies a signed package against trusted keys and refuses what does not verify', () => {
    const pkg = signPackage(buildPackage(vendorPackageInput()), nl);
    const r = importBundle(JSON.stringify(pkg), { trustedKeys: [publicPart(nl)] });
    expect(r.signer?.agencyId).toBe('nl-politie');
    expect(r.manifest?.evidence).toHaveLength(2);

    const tampered = JSON.parse(JSON.stringify(pkg));
    tampered.bundle.objects.find((o: { type: string }) => o.type === 'email-addr').value = 'evil@x.org';
    expect(() => importBundle(JSON.stringify(tampered), { trustedKeys: [publicPart(nl)] })).toThrow(TamperedBundleError);
    const forged = JSON.parse(JSON.stringify(pkg));
    forged.manifest.tlp = 'CLEAR';
    expect(() => importBundle(forged, { trustedKeys: [publicPart(nl)] })).toThrow(BadSignatureError);
    expect(() => importBundle(pkg, { trustedKeys: [publicPart(generateAgencyKeyPair('nl-politie'))] })).toThrow(UnknownSignerError);
    expect(() => importBundle(pkg.bundle, { trustedKeys: [publicPart(nl)] })).toThrow(SignatureRequiredError);
    const unverified = importBundle(pkg);
    expect(unverified.signer).toBeUndefined();
    expect(unverified.warnings.join(' ')).toMatch(/NOT verified/);
  });
});

describe('importBundle refuses hostile input', () => {
  const bundle = (objects: unknown[]) => ({ type: 'bundle', id: `bundle--${ID(0)}`, objects });
  const identity = (n: number, extra: Record<string, unknown> = {}) => ({
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${ID(n)}`,
    created: '2020-01-01T00:00:00.000Z',
    modified: '2020-01-01T00:00:00.000Z',
    name: `I${n}`,
    ...extra,
  });
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      if (e instanceof StixImportError) return e.code;
      throw e;
    }
    return 'accepted';
  };

  it('bounds size and depth before parsing', () => {
    expect(code(() => importBundle(JSON.stringify(bundle([identity(1)])), { maxBytes: 100 }))).toBe('too_large');
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(code(() => importBundle(deep))).toBe('too_deep');
    const deepObject = JSON.stringify(bundle([identity(1, { x_nest: JSON.parse('{"a":'.repeat(80) + '1' + '}'.repeat(80)) })]));
    expect(code(() => importBundle(deepObject))).toBe('too_deep');
    expect(code(() => importBundle(bundle([identity(1), identity(2)]), { maxObjects: 1 }))).toBe('too_many_objects');
  });

  it('rejects what is not a bundle', () => {
    expect(code(() => importBundle('{"type": "bundle", '))).toBe('not_json');
    expect(code(() => importBundle('[1,2]'))).toBe('not_bundle');
    expect(code(() => importBundle(Uint8Array.of(0x7b, 0xff, 0x7d)))).toBe('not_json');
    expect(code(() => importBundle({ type: 'bundle', id: 'bundle--x', objects: [] }))).toBe('bad_id');
    expect(code(() => importBundle({ type: 'bundle', id: `bundle--${ID(0)}`, objects: {} }))).toBe('not_bundle');
  });

  it('rejects invalid ids, types, timestamps and references', () => {
    expect(code(() => importBundle(bundle([identity(1, { id: 'identity--not-a-uuid' })])))).toBe('bad_id');
    expect(code(() => importBundle(bundle([identity(1, { id: `malware--${ID(1)}` })])))).toBe('bad_id');
    expect(code(() => importBundle(bundle([identity(1, { type: 'Identity!' })])))).toBe('bad_type');
    expect(code(() => importBundle(bundle([identity(1, { modified: '2020-02-30T00:00:00.000Z' })])))).toBe('bad_timestamp');
    expect(code(() => importBundle(bundle([identity(1, { created: '2020-01-01 00:00:00' })])))).toBe('bad_timestamp');
    expect(code(() => importBundle(bundle([identity(1, { created_by_ref: 'me' })])))).toBe('bad_reference');
    expect(code(() => importBundle(bundle([identity(1, { object_marking_refs: ['x', 1] })])))).toBe('bad_reference');
    expect(code(() => importBundle(bundle([identity(1, { name: 42 })])))).toBe('invalid_object');
  });

  it('rejects exact duplicates but keeps successive versions', () => {
    expect(code(() => importBundle(bundle([identity(1), identity(1, { name: 'other' })])))).toBe('duplicate_id');
    const r = importBundle(bundle([identity(1), identity(1, { modified: '2021-01-01T00:00:00.000Z' })]));
    expect(r.objects).toHaveLength(2);
    expect(r.warnings.join(' ')).toMatch(/2 versions/);
  });

  it('keeps unknown object types with a warning, and unknown marking references', () => {
    const r = importBundle(
      bundle([
        identity(1, { object_marking_refs: [`marking-definition--${ID(9)}`] }),
        { type: 'x-acme-widget', id: `x-acme-widget--${ID(2)}`, spec_version: '2.1', colour: 'blue' },
      ]),
    );
    expect(r.objects.map((o) => o.type)).toEqual(['identity', 'x-acme-widget']);
    expect(r.warnings.join('\n')).toMatch(/x-acme-widget, which STIX 2.1 does not define/);
    expect(r.markings.map((m) => m.id)).toContain(`marking-definition--${ID(9)}`);
  });

  it('reads a home-made TLP marking but says so, and lets the official id win', () => {
    const homemade = {
      type: 'marking-definition',
      spec_version: '2.1',
      id: `marking-definition--${ID(5)}`,
      created: '2022-10-01T00:00:00.000Z',
      name: 'TLP:RED',
      extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'red' } },
    };
    const r = importBundle(bundle([homemade, identity(1, { object_marking_refs: [homemade.id] })]));
    expect(r.tlp).toBe('RED');
    expect(r.markings[0]).toMatchObject({ tlp: 'RED', official: false });
    expect(r.warnings.join(' ')).toMatch(/non-standard id/);
  });
});
