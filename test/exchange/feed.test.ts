import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { buildFeedPackage, csvCell, feedCsv, importBundle, validateBundle } from '../../src/exchange/index.ts';
import type { FeedInput } from '../../src/exchange/index.ts';

const feed: FeedInput = {
  producer: { agencyId: 'nl-politie', name: 'Politie NL' },
  id: 'financial-nl',
  name: 'Financial feed NL: payment addresses of top targets',
  tlp: 'AMBER',
  entries: [
    { kind: 'btc_address', value: 'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ', label: 'DutchMagic escrow-out' },
    { kind: 'postal_address', value: 'Postbus 123, 1000 AB Amsterdam', country: 'nl', label: '=HYPERLINK("http://evil")' },
    { kind: 'eth_address', value: '0x52908400098527886E0F7030069857D2E4169EE7', label: 'says "hi", then\nleaves' },
  ],
};

describe('partner feeds', () => {
  it('exports a STIX package that validates and reads back with its TLP', () => {
    const { bundle } = buildFeedPackage(feed);
    expect(validateBundle(bundle).errors).toEqual([]);
    expect(bundle.objects.some((o) => o.type === 'threat-actor')).toBe(false);
    const back = importBundle(bundle);
    expect(back.selectors.map((s) => s.kind).sort()).toEqual(['btc_address', 'eth_address', 'postal_address']);
    expect(back.tlp).toBe('AMBER');
  });

  it('exports CSV that a CSV parser reads back exactly, with formulas neutralised', () => {
    const csv = feedCsv(feed);
    expect(csv.startsWith('# TLP:AMBER\r\n')).toBe(true);
    const rows = parse(csv, { from_line: 2, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ kind: 'btc_address', value: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', label: 'DutchMagic escrow-out', country: '', first_seen: '' });
    expect(rows[1]!.label).toBe(`'=HYPERLINK("http://evil")`);
    expect(rows[1]!.country).toBe('NL');
    expect(rows[2]!.label).toBe('says "hi", then\nleaves');
    expect(rows[2]!.value).toBe('0x52908400098527886e0f7030069857d2e4169ee7');
  });

  it('neutralises every formula trigger', () => {
    for (const v of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(v).replace(/^"/, '').startsWith("'")).toBe(true);
    expect(csvCell('plain')).toBe('plain');
  });
});
