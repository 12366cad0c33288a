import type { PackageInput } from '../../src/exchange/index.ts';

/** A vendor package shaped like the Hansa workflow: two markets, every selector kind, evidence. */
export function vendorPackageInput(overrides: Partial<PackageInput> = {}): PackageInput {
  return {
    producer: { agencyId: 'nl-politie', name: 'Politie NL, Team High Tech Crime', contact: 'thtc-desk@politie.example' },
    subject: {
      kind: 'vendor',
      id: 'vendor-17',
      name: 'DutchMagic',
      aliases: ['DM_Official'],
      firstSeen: '2017-01-02T00:00:00Z',
      lastSeen: '2017-07-20T12:00:00.000Z',
    },
    accounts: [
      { id: 'acc-hansa', handle: 'DutchMagic', source: { kind: 'market', name: 'Hansa', url: 'http://hansamkt2rr6nfg3.onion/vendor/DutchMagic' } },
      { id: 'acc-ab', handle: 'DutchMagic', source: { kind: 'market', name: 'AlphaBay' }, firstSeen: '2016-05-01T00:00:00Z' },
    ],
    selectors: [
      { kind: 'pgp_key', value: '0x1234 5678 9ABC DEF0 1234 5678 9abc DEF0 1234 5678', accountIds: ['acc-hansa', 'acc-ab'] },
      { kind: 'btc_address', value: 'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ', firstSeen: '2017-02-01T00:00:00Z' },
      { kind: 'xmr_address', value: '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A' },
      { kind: 'email', value: "o'brien@Example.ORG" },
      { kind: 'telegram', value: 'https://t.me/DutchMagicShop' },
      { kind: 'phone', value: '+31 6 1234 5678' },
      { kind: 'postal_address', value: 'Postbus 123, 1000 AB Amsterdam', country: 'nl' },
      { kind: 'onion', value: 'http://www.hansamkt2rr6nfg3.onion/' },
      { kind: 'vendor_handle', value: '@DutchMagic' },
    ],
    relationships: [
      { source: { kind: 'account', id: 'acc-hansa' }, target: { kind: 'selector', selector: 'email', value: "o'brien@example.org" }, type: 'related-to' },
    ],
    notes: [{ content: 'Ships from the Netherlands; stealth vacuum packaging.', about: [{ kind: 'subject' }, { kind: 'account', id: 'acc-hansa' }] }],
    tlp: 'AMBER+STRICT',
    evidence: [
      { captureId: 'cap-001', sha256: 'ab'.repeat(32), url: 'http://hansamkt2rr6nfg3.onion/vendor/DutchMagic', fetchedAt: '2017-06-01T10:00:00Z' },
      { captureId: 'cap-002', sha256: 'CD'.repeat(32), url: 'http://alphabay.example.onion/user/DutchMagic', fetchedAt: '2017-06-02T10:00:00.123Z' },
    ],
    created: '2026-11-24T08:00:00.000Z',
    ...overrides,
  };
}
