/**
 * `darkpatrol eval real`: field accuracy of what reaches the store through the import routes (not the crawler).
 *  - The real Agora pages through `import pages` (the Darknet Market Archives layout gives market, day and URL):
 *    every preserved page is read back from the evidence and the adapter chosen for its capture is scored against
 *    the hand-checked truth (test/fixtures/extract/agora-truth.json), with the scorer `eval extract` uses.
 *  - A simulated world's Telegram exports and seized-market dump through `import telegram` and `import dump`,
 *    scored against the world: accounts, message authors, vendor PGP keys, wallets, and the selectors that each
 *    message carries (the account's advertised contacts and addresses that its text contains).
 *    Then the real linker (`link run`) runs over the imported accounts alone (their own agency), and its identities
 *    are scored against the world's: every imported account is mapped back to the world entity behind it (a
 *    Telegram sender `user<N>` to the account or buyer with telegramUserId N, a channel `channel<N>` to its owner,
 *    a dump user row to its world id), so scoring is by vendor row, not by the ambiguous external id. Pairwise
 *    precision/recall/F1, purity, and the written links counted by the evidence their explanation names.
 * Runs in a scratch in-memory store and temporary evidence directory.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { readRecordAt } from '../../evidence/index.ts';
import { adapterForUrl, extractGeneric, extractPage, getAdapter } from '../../extract/index.ts';
import { DEFAULT_AGORA_FIXTURES, DEFAULT_AGORA_TRUTH } from '../../extract/eval/agora-fixtures.ts';
import { report, scorePage, type FieldReport, type FieldScores, type TruthPage } from '../../extract/eval/score.ts';
import { normalizeSelector, isSelectorKind } from '../../domain/index.ts';
import { generateWorld, telegramUserId, writeSimOutputs, type ScalePreset, type World } from '../../sim/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { evaluateLinkingByVendor, linkEvidenceCounts, runLinking, type EvidenceKindCount, type LinkRunReport, type VendorLinkEvaluation } from '../../link/index.ts';
import { importMysqlDump, SIM_SEIZED_MAPPING } from './dump.ts';
import { importPages } from './pages.ts';
import { importTelegramExport } from './telegram.ts';

export interface ImportEvalOptions {
  seed: string;
  scale?: ScalePreset;
  agoraDir?: string;
  truthFile?: string;
  onProgress?: (line: string) => void;
}

export interface ImportEvalResult {
  agora: { dir: string; pages: number; captures: number; fields: FieldReport[] } | null;
  sim: { seed: string; scale: ScalePreset; telegramExports: number; messages: number; dumpRows: number; fields: FieldReport[]; linking: SimImportLinking };
  seconds: number;
}

/** `link run` on the accounts the sim's Telegram exports and dump brought in, scored against the world. */
export interface SimImportLinking {
  /** Imported accounts by route, and those that could not be mapped back to a world entity (left out of the scores). */
  accounts: { telegram: number; dump: number; unmapped: number };
  run: Pick<LinkRunReport, 'accounts' | 'candidatePairs' | 'linksWritten' | 'identities' | 'multiAccountIdentities' | 'joins'>;
  scores: VendorLinkEvaluation;
  /** The same over the accounts of world vendor identities only (buyers, who post in groups and sit in the dump, left out). */
  vendorsOnly: VendorLinkEvaluation;
  evidence: EvidenceKindCount[];
}

type Counts = Map<string, { tp: number; fp: number; fn: number }>;

function compareSets(scores: Counts, field: string, truth: Set<string>, found: Set<string>): void {
  const c = scores.get(field) ?? { tp: 0, fp: 0, fn: 0 };
  for (const f of found) if (truth.has(f)) c.tp++;
  else c.fp++;
  for (const t of truth) if (!found.has(t)) c.fn++;
  scores.set(field, c);
}

export async function evaluateImportRoutes(o: ImportEvalOptions): Promise<ImportEvalResult> {
  const started = Date.now();
  const scale = o.scale ?? 'tiny';
  const work = mkdtempSync(path.join(tmpdir(), 'dp-eval-real-'));
  const store = await openStore({ dataDir: 'memory://' });
  try {
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'EVAL', name: 'Evaluation', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const evidenceDir = path.join(work, 'evidence');
    const agora = await evalAgora(store, agencyId, evidenceDir, o);
    // The sim's imports go to their own agency: the linker then resolves them apart from the Agora pages.
    const simAgencyId = (await store.db.insertInto('agencies').values({ code: 'EVALSIM', name: 'Evaluation (sim imports)', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const sim = await evalSim(store, simAgencyId, evidenceDir, work, o.seed, scale, o.onProgress);
    return { agora, sim, seconds: (Date.now() - started) / 1000 };
  } finally {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function evalAgora(store: Store, agencyId: number, evidenceDir: string, o: ImportEvalOptions): Promise<ImportEvalResult['agora']> {
  const dir = o.agoraDir ?? DEFAULT_AGORA_FIXTURES;
  const truthFile = o.truthFile ?? DEFAULT_AGORA_TRUTH;
  if (!existsSync(dir) || !existsSync(truthFile)) return null;
  o.onProgress?.(`import pages ${dir}`);
  const s = await importPages({ db: store.db, evidenceDir, agencyId, dir });
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<string, TruthPage>;
  const caps = await store.db
    .selectFrom('captures as c')
    .innerJoin('markets as m', 'm.id', 'c.market_id')
    .select(['c.url', 'c.fetched_at', 'c.payload_sha256', 'c.warc_file', 'c.warc_offset', 'c.warc_length', 'm.adapter'])
    .where('c.market_id', 'in', s.marketIds.length ? s.marketIds : [-1])
    .execute();
  const scores: FieldScores = new Map();
  let pages = 0;
  for (const c of caps) {
    const key = new URL(c.url).pathname.replace(/^\//, '');
    const t = truth[key];
    if (!t) continue;
    const record = readRecordAt(path.join(evidenceDir, c.warc_file!), Number(c.warc_offset), Number(c.warc_length));
    const input = { url: c.url, html: record.block, capturedAt: c.fetched_at, captureDigest: `sha256:${c.payload_sha256}` };
    const adapter = (c.adapter ? getAdapter(c.adapter) : undefined) ?? adapterForUrl(c.url);
    scorePage(scores, adapter ? extractPage(adapter, input) : extractGeneric(input), t);
    pages++;
  }
  return { dir, pages, captures: caps.length, fields: report(scores) };
}

async function evalSim(store: Store, agencyId: number, evidenceDir: string, work: string, seed: string, scale: ScalePreset, progress?: (l: string) => void): Promise<ImportEvalResult['sim']> {
  progress?.(`generating sim world ${seed} (${scale})`);
  const world = generateWorld({ seed, scale });
  const out = path.join(work, 'sim');
  await writeSimOutputs(world, out);
  const scores: Counts = new Map();
  const accounts = new Map(world.accounts.map((a) => [a.id, a]));
  // Every selector the world gave an account (addresses, contacts, its PGP fingerprints) and the markets' onions,
  // normalised as the store keys them.
  const onions = world.markets.map((m) => m.onion.toLowerCase());
  const advertised = (accId: string | undefined): string[] => {
    const a = accId ? accounts.get(accId) : undefined;
    if (!a) return [];
    return [
      ...a.shownCrypto,
      ...a.shownContacts.map((c) => (isSelectorKind(c.platform) ? normalizeSelector(c.platform, c.handle) : c.handle)),
      ...a.pgpKeys.map((k) => k.fingerprint),
      ...onions,
    ];
  };
  const key = (...parts: Array<string | number>) => parts.join('\u0000');

  // Telegram exports.
  let telegramExports = 0;
  let messages = 0;
  const telegramMarkets: number[] = [];
  const dumps: Array<{ marketId: number; db: World['seized'][number] }> = [];
  const tgDir = path.join(out, 'telegram');
  for (const ch of existsSync(tgDir) ? readdirSync(tgDir).sort() : []) {
    const file = path.join(tgDir, ch, 'result.json');
    progress?.(`import telegram ${file}`);
    const s = await importTelegramExport({ db: store.db, evidenceDir, agencyId, file });
    telegramExports++;
    telegramMarkets.push(s.marketId);
    const channel = world.channels.find((c) => `tg-${c.numericId}` === s.market);
    const truthMsgs = world.messages.filter((m) => m.channelId === channel?.id);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { messages: Array<{ id: number; from: string }> };
    const fromOf = new Map(exported.messages.map((m) => [m.id, m.from]));
    const stored = await store.db.selectFrom('messages as m').leftJoin('vendors as v', 'v.id', 'm.vendor_id').select(['m.id', 'm.external_id', 'v.handle']).where('m.market_id', '=', s.marketId).execute();
    messages += stored.length;
    compareSets(scores, 'telegram.message', new Set(truthMsgs.map((m) => String(m.id))), new Set(stored.map((m) => m.external_id)));
    compareSets(scores, 'telegram.author', new Set(truthMsgs.map((m) => key(m.id, fromOf.get(m.id) ?? ''))), new Set(stored.map((m) => key(m.external_id, m.handle ?? ''))));
    const found = await sql<{ external_id: string; value: string }>`
      select m.external_id, s.value from selector_sightings ss join selectors s on s.id = ss.selector_id join messages m on m.id = ss.message_id
      where m.market_id = ${s.marketId}`.execute(store.db);
    // Any world selector a message contains, whoever wrote it (buyers name vendors' handles too).
    const everySelector = [...new Set(world.accounts.flatMap((a) => advertised(a.id)))];
    const truthSel = new Set<string>();
    for (const m of truthMsgs) {
      // Written as in the text, or spaced out (a fingerprint in groups of four).
      const text = m.parts.map((p) => `${p.text} ${p.href ?? ''}`).join(' ').toLowerCase();
      const compact = text.replace(/\s+/g, '');
      for (const v of everySelector) {
        const needle = v.toLowerCase().replace(/^@/, '');
        if (text.includes(needle) || compact.includes(needle)) truthSel.add(key(m.id, v.toLowerCase()));
      }
    }
    const foundSel = new Set(found.rows.map((r) => key(r.external_id, r.value.toLowerCase())));
    compareSets(scores, 'telegram.selector', truthSel, foundSel);
  }

  // The seized market's dump.
  let dumpRows = 0;
  const seizedDir = path.join(out, 'seized');
  for (const f of existsSync(seizedDir) ? readdirSync(seizedDir).filter((x) => x.endsWith('.sql')).sort() : []) {
    const file = path.join(seizedDir, f);
    progress?.(`import dump ${file}`);
    const s = await importMysqlDump({ db: store.db, evidenceDir, agencyId, file, mapping: SIM_SEIZED_MAPPING });
    dumpRows += s.rows;
    const db = world.seized.find((d) => f.includes(d.market)) ?? world.seized[0];
    if (!db) continue;
    dumps.push({ marketId: s.marketId, db });
    const handleOf = new Map(db.users.map((u) => [u.worldId, u.username]));
    const vendors = await store.db.selectFrom('vendors').select(['id', 'handle']).where('market_id', '=', s.marketId).execute();
    compareSets(scores, 'dump.account', new Set(db.users.map((u) => u.username)), new Set(vendors.map((v) => v.handle)));
    const sightings = await sql<{ handle: string; kind: string; value: string; source: string }>`
      select v.handle, s.kind, s.value, ss.source from selector_sightings ss join selectors s on s.id = ss.selector_id join vendors v on v.id = ss.vendor_id
      where v.market_id = ${s.marketId}`.execute(store.db);
    const truthPgp = new Set<string>();
    for (const u of db.users) {
      const acc = accounts.get(u.worldId);
      if (!acc || acc.pgpKeys.length === 0) continue;
      const shown = acc.pgpKeys.filter((k) => k.fromDay <= db.day).at(-1) ?? acc.pgpKeys[0];
      if (shown) truthPgp.add(key(u.username, shown.fingerprint));
    }
    compareSets(scores, 'dump.pgpKey', truthPgp, new Set(sightings.rows.filter((r) => r.kind === 'pgp_key' && r.source === 'profile').map((r) => key(r.handle, r.value))));
    compareSets(scores, 'dump.wallet', new Set(db.wallets.map((w) => key(handleOf.get(w.ownerId) ?? '', w.address.toLowerCase()))),
      new Set(sightings.rows.filter((r) => r.source === 'dump').map((r) => key(r.handle, r.value.toLowerCase()))));
  }
  const linking = await linkSimImports(store, agencyId, world, telegramMarkets, dumps, progress);
  return { seed, scale, telegramExports, messages, dumpRows, fields: report(scores as unknown as FieldScores), linking };
}

/**
 * The world identity behind each imported account (vendors.id → identity id; a buyer is a person of its own,
 * `buyer:<id>`), from what the exports and the dump carry: Telegram's numeric sender ids and the dump's user rows.
 */
export async function importedIdentities(store: Store, world: World, telegramMarkets: number[], dumps: Array<{ marketId: number; db: World['seized'][number] }>):
  Promise<{ identityOf: Map<number, string>; telegram: number; dump: number; unmapped: number }> {
  const accounts = new Map(world.accounts.map((a) => [a.id, a]));
  const personOf = (worldId: string | undefined): string | undefined => {
    if (!worldId) return undefined;
    const a = accounts.get(worldId);
    if (a) return a.identityId;
    return world.buyers.some((b) => b.id === worldId) ? `buyer:${worldId}` : undefined;
  };
  const tgUser = new Map<string, string>();
  for (const a of world.accounts) tgUser.set(`user${telegramUserId(world, a.id)}`, a.id);
  for (const b of world.buyers) tgUser.set(`user${telegramUserId(world, b.id)}`, b.id);
  for (const c of world.channels) if (c.ownerAccountId) tgUser.set(`channel${c.numericId}`, c.ownerAccountId);
  const identityOf = new Map<number, string>();
  let telegram = 0;
  let dump = 0;
  let unmapped = 0;
  const vendorsOf = (marketIds: number[]) => marketIds.length === 0 ? Promise.resolve([]) :
    store.db.selectFrom('vendors').select(['id', 'market_id', 'external_id']).where('market_id', 'in', marketIds).execute();
  for (const v of await vendorsOf(telegramMarkets)) {
    telegram++;
    const person = personOf(v.external_id ? tgUser.get(v.external_id) : undefined);
    if (person) identityOf.set(v.id, person);
    else unmapped++;
  }
  for (const d of dumps) {
    const worldIdOf = new Map(d.db.users.map((u) => [String(u.userId), u.worldId]));
    for (const v of await vendorsOf([d.marketId])) {
      dump++;
      const person = personOf(v.external_id ? worldIdOf.get(v.external_id) : undefined);
      if (person) identityOf.set(v.id, person);
      else unmapped++;
    }
  }
  return { identityOf, telegram, dump, unmapped };
}

async function linkSimImports(store: Store, agencyId: number, world: World, telegramMarkets: number[], dumps: Array<{ marketId: number; db: World['seized'][number] }>,
  progress?: (l: string) => void): Promise<SimImportLinking> {
  const { identityOf, telegram, dump, unmapped } = await importedIdentities(store, world, telegramMarkets, dumps);
  progress?.(`link run (${telegram + dump} imported accounts)`);
  const run = await runLinking(store, { agencyId, actor: 'system:eval' });
  return {
    accounts: { telegram, dump, unmapped },
    run: { accounts: run.accounts, candidatePairs: run.candidatePairs, linksWritten: run.linksWritten, identities: run.identities,
      multiAccountIdentities: run.multiAccountIdentities, joins: run.joins },
    scores: await evaluateLinkingByVendor(store.db, agencyId, identityOf),
    vendorsOnly: await evaluateLinkingByVendor(store.db, agencyId, new Map([...identityOf].filter(([, p]) => !p.startsWith('buyer:')))),
    evidence: await linkEvidenceCounts(store.db, agencyId, identityOf),
  };
}
