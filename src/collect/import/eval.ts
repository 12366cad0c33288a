/**
 * `darkpatrol eval real`: field accuracy of what reaches the store through the import routes (not the crawler).
 *  - The real Agora pages through `import pages` (the Darknet Market Archives layout gives market, day and URL):
 *    every preserved page is read back from the evidence and the adapter chosen for its capture is scored against
 *    the hand-checked truth (test/fixtures/extract/agora-truth.json), with the scorer `eval extract` uses.
 *  - A simulated world's Telegram exports and seized-market dump through `import telegram` and `import dump`,
 *    scored against the world: accounts, message authors, vendor PGP keys, wallets, and the selectors that each
 *    message carries (the account's advertised contacts and addresses that its text contains).
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
import { generateWorld, writeSimOutputs, type ScalePreset } from '../../sim/index.ts';
import { openStore, type Store } from '../../store/index.ts';
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
  sim: { seed: string; scale: ScalePreset; telegramExports: number; messages: number; dumpRows: number; fields: FieldReport[] };
  seconds: number;
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
    const sim = await evalSim(store, agencyId, evidenceDir, work, o.seed, scale, o.onProgress);
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
  const tgDir = path.join(out, 'telegram');
  for (const ch of existsSync(tgDir) ? readdirSync(tgDir).sort() : []) {
    const file = path.join(tgDir, ch, 'result.json');
    progress?.(`import telegram ${file}`);
    const s = await importTelegramExport({ db: store.db, evidenceDir, agencyId, file });
    telegramExports++;
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
  return { seed, scale, telegramExports, messages, dumpRows, fields: report(scores as unknown as FieldScores) };
}
