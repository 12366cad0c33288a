// Linking on real imports (issue 13 §4): key material never counts as writing style, unclassified listings are no
// product profile, thin text is discounted and said so, key rotation is evidence (same user ID, certified by the old
// key), a shared key is named "shared PGP key"; and the real Agora pages imported as two markets link precisely.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey, readKey, readPrivateKey } from 'openpgp';
import {
  explain, loadModel, pairFeatures, prepareAccounts, styleText, verifiedCertifications, type AccountData, type Prepared,
} from '../../src/link/index.ts';
import { evaluateLinkingOnReal, type RealLinkEvalResult } from '../../src/link/real-eval.ts';
import { readArmorBody } from '../../src/extract/selectors/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';

function account(vendorId: number, handle: string, over: Partial<AccountData> = {}): AccountData {
  return { vendorId, sourceId: vendorId % 2 === 0 ? 1 : 2, sourceKind: 'market', handle, profileCapture: null, profile: '', titles: [],
    bodies: [], posts: [], selectors: [], pgpKeys: [], products: new Map(), shipsFrom: new Map(), shipsTo: new Set(), prices: new Map(), ...over };
}

const ARMOR = `-----BEGIN PGP PUBLIC KEY BLOCK----- Version: GnuPG v1.4.11 (GNU/Linux) mQINBFKXLp0BEAC6oQhlrwObULlfLFV4jkhZeJdoiX3f5OL4UnJEPo6M+hDs7umh fs97E5EDDJi5cMoCgzx0CgWpRMuKzCtqs3y3dzh76vY4kAlw7NfEgduRwokt1jnM =abcd -----END PGP PUBLIC KEY BLOCK-----`;
const model = loadModel();
const filler = (n: number) => Array.from({ length: n }, (_, i) => account(100 + i, `filler${i}`, { profile: `Welcome ${i}, we sell item${i} daily.` }));

describe('link features on real-import shapes', () => {
  it('strips PGP blocks, flattened or not, from the text stylometry reads', () => {
    expect(styleText(`Hi all\n${ARMOR}\nBye`)).not.toMatch(/mQINB|GnuPG|BEGIN/);
    expect(styleText('Hi all\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG v2\n\nmQENBF\n-----END PGP PUBLIC KEY BLOCK-----\nBye').trim())
      .toMatch(/^Hi all\s+Bye$/);
  });

  it('gives unrelated vendors whose only common text is a flattened key no style evidence', () => {
    const a = account(1, 'Alpha', { profile: `Top quality stuff shipped fast. ${ARMOR}` });
    const b = account(2, 'Zulu', { profile: `Best weed in town, contact us. ${ARMOR}` });
    const [pa, pb] = prepareAccounts([a, b, ...filler(6)]) as [Prepared, Prepared];
    expect(pairFeatures(pa, pb).style).toBeLessThan(0.2);
  });

  it('never compares product profiles of accounts without a classified listing', () => {
    const a = account(1, 'Alpha', { products: new Map([['?', 4]]) });
    const b = account(2, 'Zulu', { products: new Map([['?', 2]]) });
    const [pa, pb] = prepareAccounts([a, b]) as [Prepared, Prepared];
    const f = pairFeatures(pa, pb);
    expect(f.x[8]).toBe(0);
    expect(explain(model, pa, pb, f).notes.join(' ')).toMatch(/no classified listing/);
  });

  it('discounts the writing style of accounts with almost no text and says the evidence is too thin', () => {
    const a = account(1, 'SpaceBoy', { titles: ['5g Cocaine 90% pure'] });
    const b = account(2, 'MoodyMayhem', { titles: ['5g Cocaine 90% pure'] });
    const all = prepareAccounts([a, b, ...filler(6)]);
    const f = pairFeatures(all[0] as Prepared, all[1] as Prepared);
    expect(f.style).toBeGreaterThan(0.9);
    expect(f.x[6]).toBeLessThan(0.1);
    const ex = explain(model, all[0] as Prepared, all[1] as Prepared, f);
    expect(ex.score).toBeLessThan(0.05);
    expect(ex.thin).toBe(true);
    expect(ex.notes.join(' ')).toMatch(/too thin/);
  });

  it('names a shared key "shared PGP key", first among the items, even when the text is alike', () => {
    const sel = { selectorId: 7, kind: 'pgp_key', value: 'A'.repeat(40), captures: [3] };
    const text = 'Hey fam!!\nAlways double vacuum sealed, no cap!!\nShips next day, stealth is top notch!!\nPeace out';
    const a = account(1, 'Alpha', { profile: text, selectors: [sel] });
    const b = account(2, 'Alpha', { profile: text, selectors: [sel] });
    const [pa, pb] = prepareAccounts([a, b, ...filler(6)]) as [Prepared, Prepared];
    const ex = explain(model, pa, pb, pairFeatures(pa, pb));
    expect(ex.hard).toBe(true);
    expect(ex.items[0]?.label).toBe('shared PGP key');
    expect(ex.items[0]?.selectors?.[0]?.captures).toContain(3);
  });

  it('takes a rotated key with the same handle and user ID as evidence, shown as an item', () => {
    const old = { fingerprint: 'A'.repeat(40), userIds: ['UK-ProZone <uk@prozone.com>'], emails: ['uk@prozone.com'], signedBy: [] };
    const neu = { fingerprint: 'B'.repeat(40), userIds: ['UK-ProZone <uk@prozone.com>'], emails: ['uk@prozone.com'], signedBy: [] };
    const a = account(1, 'UK-ProZone', { pgpKeys: [old], selectors: [{ selectorId: 1, kind: 'pgp_key', value: old.fingerprint, captures: [] }] });
    const b = account(2, 'UK-ProZone', { pgpKeys: [neu], selectors: [{ selectorId: 2, kind: 'pgp_key', value: neu.fingerprint, captures: [] }] });
    const c = account(3, 'UK-ProZone', { pgpKeys: [{ ...neu, fingerprint: 'C'.repeat(40), userIds: ['someone else'], emails: [] }] });
    const [pa, pb, pc] = prepareAccounts([a, b, c]) as [Prepared, Prepared, Prepared];
    const ex = explain(model, pa, pb, pairFeatures(pa, pb));
    const item = ex.items.find((i) => i.feature === 'rotation_uid');
    expect(item?.label).toMatch(/same user ID/);
    expect(item?.rotation?.userIds).toContain('uk@prozone.com');
    expect(ex.score).toBeGreaterThan(model.threshold);
    // Same handle, but the new key names someone else: no rotation evidence.
    expect(pairFeatures(pa, pc).rules[1]).toBe(0);
    // The sum of the items is the score's log-odds.
    expect(ex.bias + ex.items.reduce((s, i) => s + i.contribution, 0)).toBeCloseTo(ex.logOdds, 2);
  });
});

describe(`key rotation: a new key certified by the old one, verified (${testEngine})`, () => {
  let store: TestStore;
  beforeAll(async () => { store = await openTestStore(); }, 120_000);
  afterAll(async () => store?.close());

  it('verifies a real certification by a stored key and ignores a key that merely names the issuer', async () => {
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-ROT', name: 'Rotation', country: 'NL' })
      .returning('id').executeTakeFirstOrThrow()).id;
    const oldKey = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Rotor', email: 'rotor@example.org' }], format: 'armored' });
    const newKey = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Rotor2' }], format: 'armored' });
    const oldPriv = await readPrivateKey({ armoredKey: oldKey.privateKey });
    const certified = await (await readKey({ armoredKey: newKey.publicKey })).signAllUsers([oldPriv]);
    const other = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Stranger' }], format: 'armored' });
    const bodyOf = (armored: string) => armored.replace(/^-----BEGIN[^\n]*\n/, '').replace(/-----END[\s\S]*$/, '');
    const metas = [];
    for (const armored of [oldKey.publicKey, certified.armor(), other.publicKey]) {
      const r = await readArmorBody(bodyOf(armored));
      if (!r.ok) throw new Error(r.detail);
      metas.push(r.keys[0]!);
    }
    expect(metas[1]!.certifiedBy).toEqual([metas[0]!.keyId]);
    // A forged claim: the stranger's key says the old key certified it, but carries no such signature.
    metas[2]!.certifiedBy = [metas[0]!.keyId];
    await store.db.insertInto('selectors').values(metas.map((m) => ({ agency_id: agencyId, kind: 'pgp_key', value: m.fingerprint,
      meta: JSON.stringify(m) }))).execute();
    const verified = await verifiedCertifications(store.db, agencyId);
    expect(verified.get(metas[1]!.fingerprint)).toEqual([metas[0]!.fingerprint]);
    expect(verified.has(metas[2]!.fingerprint)).toBe(false);

    const a = account(1, 'Rotor', { pgpKeys: [{ fingerprint: metas[0]!.fingerprint, userIds: metas[0]!.userIds, emails: metas[0]!.emails, signedBy: [] }] });
    const b = account(2, 'FreshName', { pgpKeys: [{ fingerprint: metas[1]!.fingerprint, userIds: metas[1]!.userIds, emails: [], signedBy: verified.get(metas[1]!.fingerprint) ?? [] }] });
    const [pa, pb] = prepareAccounts([a, b]) as [Prepared, Prepared];
    const ex = explain(model, pa, pb, pairFeatures(pa, pb));
    expect(ex.hard).toBe(true);
    expect(ex.items[0]?.feature).toBe('rotation_signed');
  }, 120_000);
});

describe('real Agora pages imported as two markets', () => {
  let r: RealLinkEvalResult;
  beforeAll(async () => { r = await evaluateLinkingOnReal(); }, 400_000);

  it('links with precision ≥ 0.95 and never mixes unrelated vendors in one identity', () => {
    expect(r.accounts).toBeGreaterThan(60);
    expect(r.pairwise.precision).toBeGreaterThanOrEqual(0.95);
    expect(r.largestMixedIdentity).toBe(1);
  });

  it('links every same-key pair with "shared PGP key" and every rotated pair with a rotation item', () => {
    const same = r.groups.find((g) => g.group.startsWith('same key'))!;
    const rotated = r.groups.find((g) => g.group.startsWith('rotated'))!;
    expect(same.pairs).toBeGreaterThanOrEqual(5);
    expect(same.explained).toBe(same.pairs);
    expect(rotated.pairs).toBeGreaterThanOrEqual(5);
    expect(rotated.explained).toBe(rotated.pairs);
  });
});
