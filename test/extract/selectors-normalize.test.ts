/**
 * Normalisation ("the same real-world value always gives the same key"), parseSelector for typed-in
 * values, options, and offsets/raw slices pointing back into the original (HTML) input.
 */
import { describe, expect, it } from 'vitest';
import { normalizeSelector, SELECTOR_KINDS } from '../../src/domain/index.ts';
import type { SelectorKind } from '../../src/domain/index.ts';
import { extractSelectors, extractSelectorsDetailed, parseSelector, toScanText, uniqueSelectors } from '../../src/extract/selectors/index.ts';

const SAME: [SelectorKind, string[]][] = [
  ['pgp_key', ['9505 720A 4734 B400 29B2  511C 0887 4A6E 3DBA ABE2', '0x9505720a4734b40029b2511c08874a6e3dbaabe2', '9505720A4734B40029B2511C08874A6E3DBAABE2']],
  ['btc_address', ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', ' bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4. ']],
  ['eth_address', ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', '0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED']],
  ['onion', ['http://2GZYXA5IHM7NSGGFXNU52RCK2VV4RVMDLKIU3ZZUI5DU4XYCLEN53WID.onion/vendor/x', 'www.2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion', '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion']],
  ['email', ['Vendor_X@Tutanota.COM', 'mailto:Vendor_X@tutanota.com', 'Vendor_X@tutanota.com']],
  ['jabber', ['xmpp:Zeta@Jabber.de/mobile', 'zeta@jabber.de']],
  ['phone', ['+31 6 1234 5678', '0031 6 12345678', '+31 (0)6 1234 5678', '(+31) 612-345-678', '+31612345678']],
  ['telegram', ['@Dutch_Dealer', 't.me/dutch_dealer', 'https://t.me/Dutch_Dealer', 'dutch_dealer']],
  ['threema', ['abcd1234', 'https://threema.id/ABCD1234', 'ABCD1234']],
  ['session', [`05${'AB'.repeat(32)}`, `05${'ab'.repeat(32)}`]],
  ['signal', ['Cool_Guy.42', 'cool_guy.42']],
  ['wickr', ['@CandyMan99', 'candyman99']],
];

describe('normalizeSelector', () => {
  it('gives one key for every spelling of the same value', () => {
    for (const [kind, spellings] of SAME) {
      const keys = new Set(spellings.map((s) => normalizeSelector(kind, s)));
      expect([...keys], `${kind}: ${spellings.join(' | ')}`).toHaveLength(1);
    }
  });

  it('is idempotent for every kind', () => {
    for (const [kind, spellings] of SAME) {
      for (const s of spellings) {
        const once = normalizeSelector(kind, s);
        expect(normalizeSelector(kind, once)).toBe(once);
      }
    }
  });

  it('keeps the e-mail local part but lowercases the domain; base58 keeps its case', () => {
    expect(normalizeSelector('email', 'John.Doe@ProtonMail.com')).toBe('John.Doe@protonmail.com');
    expect(normalizeSelector('btc_address', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa')).toBe('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa');
  });

  it('extraction produces exactly normalizeSelector of what it found', async () => {
    const page = `<p>BTC BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4, ETH 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,
      mail Vendor_X@Tutanota.COM, tel +31 (0)6 1234 5678, telegram: @Dutch_Dealer</p>`;
    const found = await extractSelectors(page);
    expect(found).toHaveLength(5);
    for (const s of found) expect(normalizeSelector(s.kind, s.raw)).toBe(s.value);
  });
});

describe('parseSelector', () => {
  it('accepts valid values of every kind and normalises them', () => {
    const good: [SelectorKind, string, string][] = [
      ['pgp_key', '9505 720A 4734 B400 29B2 511C 0887 4A6E 3DBA ABE2', '9505720A4734B40029B2511C08874A6E3DBAABE2'],
      ['btc_address', 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'],
      ['eth_address', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'],
      ['onion', 'http://silkroad6ownowfk.onion/', 'silkroad6ownowfk.onion'],
      ['email', 'a@b.co', 'a@b.co'],
      ['phone', '+44 20 7946 0958', '+442079460958'],
      ['signal', 'name.01', 'name.01'],
      ['signal', '+49 151 23456789', '+4915123456789'],
      ['telegram', '@dutch_dealer', 'dutch_dealer'],
      ['wickr', 'candyman99', 'candyman99'],
      ['threema', 'k3x9m2p8', 'K3X9M2P8'],
      ['session', `05${'cd'.repeat(32)}`, `05${'cd'.repeat(32)}`],
      ['jabber', 'xmpp:a@jabber.ccc.de', 'a@jabber.ccc.de'],
    ];
    for (const [kind, raw, value] of good) {
      const r = parseSelector(kind, raw);
      expect(r, `${kind} ${raw}`).toMatchObject({ ok: true, kind, value });
    }
  });

  it('rejects invalid values with a reason', () => {
    const bad: [SelectorKind, string][] = [
      ['pgp_key', 'ABCD'],
      ['btc_address', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb'],
      ['btc_address', 'LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9'],
      ['onion', '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wie.onion'],
      ['email', 'user@localhost'],
      ['phone', '12'],
      ['telegram', '1abc'],
      ['threema', 'ABC'],
      ['session', '04' + 'ab'.repeat(32)],
      ['xmr_address', '4'.repeat(95)],
      ['email', ''],
      ['email', `${'a'.repeat(600)}@b.com`],
    ];
    for (const [kind, raw] of bad) {
      const r = parseSelector(kind, raw);
      expect(r.ok, `${kind} ${raw}`).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(3);
    }
  });
});

describe('options', () => {
  it('filters kinds', async () => {
    const t = 'mail a@b.com, btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';
    expect((await extractSelectors(t, { kinds: ['btc_address'] })).map((s) => s.kind)).toEqual(['btc_address']);
  });

  it('defaultCallingCode turns labelled national numbers into E.164, the same way normalizeSelector does', async () => {
    const [p] = await extractSelectors('mobile: 06-12345678', { defaultCallingCode: '31' });
    expect(p).toMatchObject({ kind: 'phone', value: '+31612345678', meta: { international: true } });
    expect(normalizeSelector('phone', '06-12345678', { defaultCallingCode: '31' })).toBe('+31612345678');
    expect(normalizeSelector('phone', '+44 20 7946 0958', { defaultCallingCode: '31' })).toBe('+442079460958');
    expect(normalizeSelector('phone', '(415) 555-0132', { defaultCallingCode: '1' })).toBe('+14155550132');
  });

  it('atHandlesAre: telegram reads bare @names in a Telegram export, and only there', async () => {
    const msg = 'new stock! ask @candyking_nl or @Frosty_UK, mail x@y.com';
    expect((await extractSelectors(msg)).filter((s) => s.kind === 'telegram')).toEqual([]);
    const tg = (await extractSelectors(msg, { atHandlesAre: 'telegram' })).filter((s) => s.kind === 'telegram');
    expect(tg.map((s) => [s.value, s.raw, s.meta?.via])).toEqual([
      ['candyking_nl', '@candyking_nl', 'source'],
      ['frosty_uk', '@Frosty_UK', 'source'],
    ]);
  });

  it('rejects bad options with a clear error', async () => {
    await expect(extractSelectors('x', { defaultCallingCode: '+31' })).rejects.toThrow(/defaultCallingCode/);
    await expect(extractSelectors('x', { maxMatches: -1 })).rejects.toThrow(/maxMatches/);
    await expect(extractSelectors(42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('uniqueSelectors keeps the first of each (kind, value)', async () => {
    const found = await extractSelectors('<a href="mailto:x@y.com">x@y.com</a> and X@Y.COM');
    expect(found.filter((s) => s.kind === 'email').map((s) => s.value)).toEqual(['x@y.com', 'x@y.com', 'X@y.com']);
    expect(uniqueSelectors(found).map((s) => s.value)).toEqual(['x@y.com', 'X@y.com']);
  });
});

it('reads signed messages but not the base64 of signatures, messages or private keys', async () => {
  const sig = 'iQEzBAEBCAAdFiEElQVyCkc0tAApslEcCIdKbj26q+IFAmVhbGxvAAoJEAiHSm49\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n=abcd';
  const text = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nnew btc: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy\n-----BEGIN PGP SIGNATURE-----\n\n${sig}\n-----END PGP SIGNATURE-----\n-----BEGIN PGP MESSAGE-----\n\n${sig}\n-----END PGP MESSAGE-----`;
  const found = await extractSelectors(text);
  expect(found.map((s) => s.value)).toEqual(['3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy']);
});

describe('offsets and raw slices point into the original input', () => {
  const pages = [
    'plain: BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa and x@y.com',
    '<div class="bio">Contact&nbsp;me: foo&#64;bar.com<br/>BTC:&#32;1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa</div>',
    '<script>var a="1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"</script><a href="http://silkroad6ownowfk.onion/x?a=1&amp;b=2">shop</a>',
    'zero\u200Bwidth: 1A1zP1eP5\u200BQGefi2DMPTfTL5SLmv7DivfNa',
    'Telegram: <b>@dutch_dealer</b>',
  ];

  it('input.slice(offset, offset + raw.length) === raw', async () => {
    for (const page of pages) {
      const found = await extractSelectors(page);
      expect(found.length, page).toBeGreaterThan(0);
      for (const s of found) expect(page.slice(s.offset, s.offset + s.raw.length), page).toBe(s.raw);
    }
  });

  it('decodes entities inside selectors, drops script bodies and zero-width characters, reads attributes', async () => {
    const [bio, scripted, zw] = await Promise.all([pages[1], pages[2], pages[3]].map((p) => extractSelectors(p as string)));
    expect(bio?.map((s) => [s.kind, s.value, s.raw])).toEqual([
      ['email', 'foo@bar.com', 'foo&#64;bar.com'],
      ['btc_address', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa'],
    ]);
    expect(scripted?.map((s) => [s.kind, s.value])).toEqual([['onion', 'silkroad6ownowfk.onion']]);
    expect(zw?.map((s) => [s.kind, s.value, s.raw])).toEqual([
      ['btc_address', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa', '1A1zP1eP5\u200BQGefi2DMPTfTL5SLmv7DivfNa'],
    ]);
  });

  it('the scan text maps every character back', () => {
    const input = 'a&amp;b<br/>c&#x41;d<span>e</span>';
    const st = toScanText(input, { html: true });
    expect(st.text).toBe('a&b\ncAde');
    expect(input.slice(st.start(1), st.end(2))).toBe('&amp;');
    expect(input.slice(st.start(5), st.end(6))).toBe('&#x41;');
    expect(input.slice(st.start(7), st.end(8))).toBe('e');
  });

  it('plain text is not treated as HTML unless it looks like it', async () => {
    const r = await extractSelectorsDetailed('a <b c@d.com');
    expect(r.selectors.map((s) => s.value)).toEqual(['c@d.com']);
  });
});

it('every kind is covered by the normalisation table', () => {
  const covered = new Set(SAME.map(([k]) => k));
  const missing = SELECTOR_KINDS.filter((k) => !covered.has(k) && k !== 'xmr_address' && k !== 'ltc_address');
  expect(missing).toEqual([]);
});
