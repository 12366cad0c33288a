import { describe, expect, it } from 'vitest';
import { TLP_LEVELS } from '../../src/domain/tlp.ts';
import {
  buildPackage,
  bundleDigest,
  CRYPTOCURRENCY_WALLET,
  PackageInputError,
  scoId,
  TLP2_EXTENSION_ID,
  TLP2_MARKING_IDS,
  validateBundle,
} from '../../src/exchange/index.ts';
import type { StixObject } from '../../src/exchange/index.ts';
import { vendorPackageInput } from './package-fixture.ts';

const byType = (objects: StixObject[], type: string) => objects.filter((o) => o.type === type);

describe('buildPackage', () => {
  it('produces a bundle that validates against the OASIS STIX 2.1 schemas', () => {
    const { bundle } = buildPackage(vendorPackageInput());
    const result = validateBundle(bundle);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it.each(TLP_LEVELS)('marks everything with the official TLP 2.0 object for %s', (tlp) => {
    const { bundle, manifest } = buildPackage(vendorPackageInput({ tlp }));
    expect(validateBundle(bundle).valid).toBe(true);
    const markings = byType(bundle.objects, 'marking-definition');
    expect(markings).toHaveLength(1);
    expect(markings[0]).toEqual({
      type: 'marking-definition',
      spec_version: '2.1',
      id: TLP2_MARKING_IDS[tlp],
      created: '2022-10-01T00:00:00.000Z',
      name: `TLP:${tlp}`,
      extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: tlp.toLowerCase() } },
    });
    const unmarked = bundle.objects.filter(
      (o) => !['marking-definition', 'extension-definition'].includes(o.type) && o.id !== 'identity--8125ffb6-ec36-42da-9cef-cde009b283e8',
    );
    for (const o of unmarked) expect(o.object_marking_refs, o.id).toEqual([TLP2_MARKING_IDS[tlp]]);
    expect(manifest.tlp).toBe(tlp);
  });

  it('validates for identity and case subjects, and for an empty case', () => {
    for (const subject of [
      { kind: 'identity' as const, id: 'id-1', name: 'J. Doe' },
      { kind: 'case' as const, id: 'case-2026-17', name: 'Operation Bayonet', description: 'Hansa takeover' },
    ]) {
      const { bundle } = buildPackage(vendorPackageInput({ subject }));
      expect(validateBundle(bundle).errors).toEqual([]);
    }
    const empty = buildPackage({ producer: { agencyId: 'x', name: 'X' }, subject: { kind: 'case', id: 'c', name: 'C' }, tlp: 'RED' });
    expect(validateBundle(empty.bundle).errors).toEqual([]);
  });

  it('models the vendor as threat-actor attributed-to a persona identity', () => {
    const { bundle } = buildPackage(vendorPackageInput());
    const [actor] = byType(bundle.objects, 'threat-actor');
    expect(actor?.name).toBe('DutchMagic');
    expect(actor?.aliases).toEqual(['DM_Official']);
    expect(actor?.first_seen).toBe('2017-01-02T00:00:00.000Z');
    const persona = byType(bundle.objects, 'identity').find((o) => Array.isArray(o.roles) && o.roles.includes('dark-web-vendor'));
    expect(persona).toBeDefined();
    const rel = byType(bundle.objects, 'relationship').find((r) => r.relationship_type === 'attributed-to');
    expect(rel).toMatchObject({ source_ref: actor!.id, target_ref: persona!.id });
    const producer = byType(bundle.objects, 'identity').find((o) => o.name === 'Politie NL, Team High Tech Crime');
    for (const o of bundle.objects.filter((x) => 'created' in x && 'modified' in x && x.type !== 'extension-definition')) {
      if (o.id === 'identity--8125ffb6-ec36-42da-9cef-cde009b283e8') continue;
      expect(o.created_by_ref, o.id).toBe(producer!.id);
    }
  });

  it('gives SCOs the STIX deterministic ids and carries the new-sco extension definition', () => {
    const { bundle } = buildPackage(vendorPackageInput());
    const email = byType(bundle.objects, 'email-addr')[0]!;
    expect(email.value).toBe("o'brien@example.org");
    expect(email.id).toBe(scoId('email-addr', { value: "o'brien@example.org" }));
    // UUIDv5: version nibble 5.
    expect(email.id).toMatch(/^email-addr--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const wallets = byType(bundle.objects, 'cryptocurrency-wallet');
    expect(wallets.map((w) => w.currency).sort()).toEqual(['BTC', 'XMR']);
    const btc = wallets.find((w) => w.currency === 'BTC')!;
    expect(btc.value).toBe('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq');
    expect(btc.extensions).toEqual({ [CRYPTOCURRENCY_WALLET.extensionId]: { extension_type: 'new-sco' } });
    const extDef = bundle.objects.find((o) => o.id === CRYPTOCURRENCY_WALLET.extensionId);
    expect(extDef).toMatchObject({ type: 'extension-definition', extension_types: ['new-sco'] });
    // The same selector built twice (another package) has the same id.
    const again = buildPackage(vendorPackageInput({ tlp: 'GREEN' }));
    expect(byType(again.bundle.objects, 'cryptocurrency-wallet').map((w) => w.id).sort()).toEqual(wallets.map((w) => w.id).sort());
  });

  it('writes indicators with escaped STIX patterns for each selector', () => {
    const { bundle } = buildPackage(vendorPackageInput());
    const patterns = byType(bundle.objects, 'indicator').map((i) => i.pattern);
    expect(patterns).toContain("[email-addr:value = 'o\\'brien@example.org']");
    expect(patterns).toContain("[pgp-key:fingerprint = '123456789ABCDEF0123456789ABCDEF012345678']");
    expect(patterns).toContain("[user-account:account_type = 'telegram' AND user-account:user_id = 'dutchmagicshop']");
    expect(patterns).toContain("[domain-name:value = 'hansamkt2rr6nfg3.onion']");
    expect(patterns).toContain("[phone-number:value = '+31612345678']");
    expect(byType(bundle.objects, 'location')[0]).toMatchObject({ street_address: 'postbus 123 1000 ab amsterdam', country: 'NL' });
  });

  it('lists evidence digests in the report and the manifest', () => {
    const { bundle, manifest } = buildPackage(vendorPackageInput());
    const report = byType(bundle.objects, 'report')[0]!;
    expect(report.external_references).toEqual([
      expect.objectContaining({ external_id: 'cap-001', hashes: { 'SHA-256': 'ab'.repeat(32) } }),
      expect.objectContaining({ external_id: 'cap-002', hashes: { 'SHA-256': 'cd'.repeat(32) } }),
    ]);
    expect(manifest.evidence.map((e) => e.sha256)).toEqual(['ab'.repeat(32), 'cd'.repeat(32)]);
    expect(manifest.bundleSha256).toBe(bundleDigest(bundle));
    expect(manifest.objectIds).toEqual(bundle.objects.map((o) => o.id).sort());
    expect(new Set(report.object_refs as string[]).size).toBe((report.object_refs as string[]).length);
  });

  it('rejects bad input with the path of the problem', () => {
    expect(() => buildPackage(vendorPackageInput({ tlp: 'PURPLE' as never }))).toThrow(PackageInputError);
    expect(() => buildPackage(vendorPackageInput({ evidence: [{ captureId: 'c', sha256: 'nothex', url: 'u', fetchedAt: '2020-01-01T00:00:00Z' }] }))).toThrow(
      /evidence\.0\.sha256/,
    );
    expect(() => buildPackage(vendorPackageInput({ selectors: [{ kind: 'postal_address', value: 'Somewhere 1' }] }))).toThrow(/country/);
    expect(() => buildPackage(vendorPackageInput({ selectors: [{ kind: 'email', value: 'a@b.c', accountIds: ['nope'] }] }))).toThrow(/unknown account/);
    expect(() =>
      buildPackage(
        vendorPackageInput({ relationships: [{ source: { kind: 'subject' }, target: { kind: 'selector', selector: 'email', value: 'absent@x.y' }, type: 'uses' }] }),
      ),
    ).toThrow(/not in the package/);
  });
});

describe('validateBundle', () => {
  it('reports broken objects by index and id', () => {
    const { bundle } = buildPackage(vendorPackageInput());
    const indicator = bundle.objects.findIndex((o) => o.type === 'indicator');
    const broken = structuredClone(bundle);
    delete broken.objects[indicator]!.pattern;
    broken.objects.push({ type: 'note', id: 'note--6f6e3c0e-27a8-4d5c-9a4b-6d8f2a1b9c01', spec_version: '2.1', created: 'yesterday', modified: 'today', object_refs: [] } as never);
    const r = validateBundle(broken);
    expect(r.valid).toBe(false);
    expect(r.errors.some((e) => e.startsWith(`objects[${indicator}] (indicator--`))).toBe(true);
    expect(r.errors.some((e) => e.startsWith(`objects[${broken.objects.length - 1}] (note--`))).toBe(true);
  });

  it('rejects a bad envelope and non-objects', () => {
    expect(validateBundle({ type: 'bundle', id: 'bundle--nope', objects: [] }).valid).toBe(false);
    expect(validateBundle([]).valid).toBe(false);
  });

  it('stays fast on a hostile type name (the OASIS pattern backtracks exponentially)', () => {
    const hostile = { type: 'bundle', id: 'bundle--6f6e3c0e-27a8-4d5c-9a4b-6d8f2a1b9c01', objects: [{ type: 'a'.repeat(60) + '!', id: 'x' }] };
    // Bounded by construction: the loop below would not finish with the original regex.
    expect(validateBundle(hostile).valid).toBe(false);
  });
});
