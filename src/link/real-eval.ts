/**
 * `darkpatrol eval link-real`: linking measured on real vendor material imported as two markets (issue 13 §4).
 *
 * Market A is the real Agora folder (Darknet Market Archives layout) imported through `import pages`. Market B is
 * the same real pages as a second market a month later, as a vendor who moves brings them: the profiles and
 * listings are the vendors' own, and every PGP key is left flattened onto one line (the natural raw import). Every
 * other vendor with a key rotated it: B shows a new key (generated here) with the old key's user IDs; the others
 * show the same key. Both markets go through `import pages`, `extract` (adapter + classifier) and `link run`.
 *
 * Truth: an account on A and an account on B are the same vendor when their handles are equal; every other pair
 * is two vendors (accounts of one market are distinct vendors). Scored pairwise over all accounts, with the
 * largest identity measured in distinct vendors ("clusters of unrelated vendors") and the explanations checked:
 * same-key pairs must say "shared PGP key", rotated pairs must carry a rotation item.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKey } from 'openpgp';
import { sql } from 'kysely';
import { importPages } from '../collect/index.ts';
import { extractSelectors } from '../extract/selectors/index.ts';
import { classifyForStore, extractCaptures } from '../extract/store/index.ts';
import { DEFAULT_AGORA_FIXTURES } from '../extract/eval/agora-fixtures.ts';
import { openStore } from '../store/index.ts';
import type { LinkExplanation } from './model.ts';
import { runLinking, type LinkRunReport } from './run.ts';

export interface RealLinkEvalOptions {
  agoraDir?: string;
  onProgress?: (line: string) => void;
}

export interface RealPairGroup {
  group: string;
  pairs: number;
  linked: number;
  /** Of the linked pairs, how many explanations name the expected evidence. */
  explained: number;
  expected: string;
}

export interface RealLinkEvalResult {
  dir: string;
  markets: Array<{ slug: string; accounts: number; withKey: number }>;
  accounts: number;
  vendors: number;
  pairwise: { precision: number; recall: number; truePairs: number; predictedPairs: number; correctPairs: number };
  /** The most distinct vendors (handles) in one identity: 1 means no identity mixes vendors. */
  largestMixedIdentity: number;
  mixedIdentities: Array<{ handles: string[] }>;
  groups: RealPairGroup[];
  /** Proposed links whose explanation says the evidence is too thin. */
  thinLinks: number;
  falseLinks: Array<{ a: string; b: string; score: number; items: string[] }>;
  run: LinkRunReport;
  seconds: number;
}

const ARMOR_IN_HTML = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/;

function* files(dir: string, rel = ''): Generator<string> {
  for (const e of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${e}` : e;
    if (statSync(path.join(dir, r)).isDirectory()) yield* files(dir, r);
    else yield r;
  }
}

function splitUserId(uid: string): { name?: string; email?: string; comment?: string } {
  const email = /<([^<>\s]+@[^<>\s]+)>/.exec(uid)?.[1];
  const comment = /\(([^)]*)\)/.exec(uid)?.[1];
  const name = uid.replace(/<[^>]*>/g, '').replace(/\([^)]*\)/g, '').trim();
  return { ...(name ? { name } : {}), ...(email ? { email } : {}), ...(comment ? { comment } : {}) };
}

/** The armor as it reaches a raw import: every line run together with spaces. */
function flatten(armored: string): string {
  return armored.replace(/\r?\n/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** Builds market B from the real pages; returns which vendors rotated their key. */
async function buildMarketB(src: string, dest: string): Promise<{ rotated: Set<string>; sameKey: Set<string> }> {
  const rotated = new Set<string>();
  const sameKey = new Set<string>();
  let nth = 0;
  for (const rel of files(src)) {
    const out = path.join(dest, rel);
    mkdirSync(path.dirname(out), { recursive: true });
    const html = readFileSync(path.join(src, rel), 'latin1');
    const m = ARMOR_IN_HTML.exec(html);
    if (!rel.startsWith('vendor/') || !m) {
      writeFileSync(out, html, 'latin1');
      continue;
    }
    const handle = rel.slice('vendor/'.length).toLowerCase();
    const keys = (await extractSelectors(m[0].replace(/<br\s*\/?>/gi, '\n'))).filter((s) => s.kind === 'pgp_key');
    const uids = keys.flatMap((k) => (k.meta && 'userIds' in k.meta ? k.meta.userIds : []));
    let armored: string;
    if (nth++ % 2 === 0 && uids.length > 0) {
      const key = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: uids.map(splitUserId), format: 'armored' });
      armored = key.publicKey;
      rotated.add(handle);
    } else {
      armored = m[0].replace(/<br\s*\/?>/gi, '\n');
      sameKey.add(handle);
    }
    writeFileSync(out, html.replace(m[0], flatten(armored)), 'latin1');
  }
  return { rotated, sameKey };
}

const pairs = (n: number) => (n * (n - 1)) / 2;

export async function evaluateLinkingOnReal(o: RealLinkEvalOptions = {}): Promise<RealLinkEvalResult> {
  const started = Date.now();
  const src = o.agoraDir ?? DEFAULT_AGORA_FIXTURES;
  const say = o.onProgress ?? (() => undefined);
  const work = mkdtempSync(path.join(tmpdir(), 'dp-eval-link-real-'));
  const store = await openStore({ dataDir: 'memory://' });
  try {
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'EVAL', name: 'Evaluation', country: 'NL' })
      .returning('id').executeTakeFirstOrThrow()).id;
    const evidenceDir = path.join(work, 'evidence');
    const aDir = path.join(work, 'pages', 'agora', '2014-04-06');
    const bDir = path.join(work, 'pages', 'agora-mirror', '2014-05-06');
    cpSync(src, aDir, { recursive: true });
    const { rotated, sameKey } = await buildMarketB(src, bDir);
    const base = 'http://agorahooawayyfoe.onion/';
    say(`import pages ${aDir}`);
    await importPages({ db: store.db, evidenceDir, agencyId, dir: aDir, baseUrl: base });
    say(`import pages ${bDir} (${rotated.size} rotated keys, ${sameKey.size} same keys, all flattened)`);
    await importPages({ db: store.db, evidenceDir, agencyId, dir: bDir, baseUrl: base });
    say('extract');
    await extractCaptures(store, { evidenceDir, classify: classifyForStore });
    say('link run');
    const run = await runLinking(store, { agencyId, actor: 'system:eval' });

    const rows = await sql<{ id: number; handle: string; slug: string; identity_id: number | null; has_key: boolean }>`
      select v.id, v.handle, m.slug, im.identity_id,
        exists (select 1 from selector_sightings ss join selectors s on s.id = ss.selector_id
                where ss.vendor_id = v.id and s.kind = 'pgp_key') as has_key
      from vendors v join markets m on m.id = v.market_id left join identity_members im on im.vendor_id = v.id
      where v.agency_id = ${agencyId}`.execute(store.db);
    const truth = (h: string) => h.toLowerCase();
    const identity = new Map<number, number>(rows.rows.map((r) => [r.id, r.identity_id ?? -r.id]));
    const handleOf = new Map(rows.rows.map((r) => [r.id, r.handle]));
    const byIdentity = new Map<number, typeof rows.rows>();
    const byVendor = new Map<string, number>();
    const cell = new Map<string, number>();
    for (const r of rows.rows) {
      const i = identity.get(r.id) as number;
      (byIdentity.get(i) ?? byIdentity.set(i, []).get(i) as typeof rows.rows).push(r);
      byVendor.set(truth(r.handle), (byVendor.get(truth(r.handle)) ?? 0) + 1);
      cell.set(`${i}|${truth(r.handle)}`, (cell.get(`${i}|${truth(r.handle)}`) ?? 0) + 1);
    }
    let predicted = 0;
    for (const m of byIdentity.values()) predicted += pairs(m.length);
    let truePairs = 0;
    for (const n of byVendor.values()) truePairs += pairs(n);
    let correct = 0;
    for (const n of cell.values()) correct += pairs(n);
    const mixed = [...byIdentity.values()].map((m) => [...new Set(m.map((r) => truth(r.handle)))]).filter((h) => h.length > 1);

    const links = await sql<{ vendor_a: number; vendor_b: number; score: number; evidence: LinkExplanation & { clustered: boolean } }>`
      select vendor_a, vendor_b, score, evidence from links where agency_id = ${agencyId}`.execute(store.db);
    const linkOf = new Map(links.rows.map((l) => [`${l.vendor_a}/${l.vendor_b}`, l]));
    const markets = new Map<string, { slug: string; accounts: number; withKey: number }>();
    for (const r of rows.rows) {
      const m = markets.get(r.slug) ?? { slug: r.slug, accounts: 0, withKey: 0 };
      m.accounts++;
      if (r.has_key) m.withKey++;
      markets.set(r.slug, m);
    }
    // Same-handle pairs across the two markets, by what market B did with the key.
    const aOf = new Map(rows.rows.filter((r) => r.slug === 'agora').map((r) => [truth(r.handle), r]));
    const groupDefs: Array<[string, string, (h: string, hasKey: boolean) => boolean, (e: LinkExplanation) => boolean]> = [
      ['same key (flattened on B for vendor pages)', 'shared PGP key', (h, k) => !rotated.has(h) && k, (e) => e.items[0]?.label === 'shared PGP key'],
      ['rotated key, same user ID', 'key rotation item', (h) => rotated.has(h), (e) => e.items.some((i) => i.feature.startsWith('rotation_'))],
      ['no key on either page (thin or text only)', 'evidence noted as thin when linked on little text', (h, k) => !rotated.has(h) && !k,
        (e) => !e.thin || (e.notes?.length ?? 0) > 0],
    ];
    const groups: RealPairGroup[] = groupDefs.map(([group, expected, test, ok]) => {
      let n = 0;
      let linked = 0;
      let explained = 0;
      for (const r of rows.rows) {
        if (r.slug !== 'agora-mirror') continue;
        const a = aOf.get(truth(r.handle));
        if (!a || !test(truth(r.handle), a.has_key && r.has_key)) continue;
        n++;
        if (identity.get(a.id) !== identity.get(r.id)) continue;
        linked++;
        const l = linkOf.get(`${Math.min(a.id, r.id)}/${Math.max(a.id, r.id)}`);
        if (l && ok(l.evidence)) explained++;
      }
      return { group, pairs: n, linked, explained, expected };
    });
    const falseLinks = links.rows.filter((l) => l.evidence.clustered && truth(handleOf.get(l.vendor_a) ?? '') !== truth(handleOf.get(l.vendor_b) ?? ''))
      .map((l) => ({ a: handleOf.get(l.vendor_a) ?? '', b: handleOf.get(l.vendor_b) ?? '', score: Math.round(l.score * 1000) / 1000,
        items: l.evidence.items.slice(0, 4).map((i) => `${i.label} ${i.contribution}`) }));
    return {
      dir: src, markets: [...markets.values()], accounts: rows.rows.length, vendors: byVendor.size,
      pairwise: { precision: predicted === 0 ? 1 : correct / predicted, recall: truePairs === 0 ? 1 : correct / truePairs, truePairs,
        predictedPairs: predicted, correctPairs: correct },
      largestMixedIdentity: Math.max(1, ...mixed.map((h) => h.length)), mixedIdentities: mixed.map((handles) => ({ handles })),
      groups, thinLinks: links.rows.filter((l) => l.evidence.thin === true).length, falseLinks, run, seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  }
}
