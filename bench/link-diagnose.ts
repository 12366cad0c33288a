/**
 * Diagnoses wrong joins of the linker on a link bench store (bench/link.bench.ts leaves DIR with the ingested store
 * and truth.json): resolves in memory (nothing written) and attributes every wrongly joined pair of accounts to the
 * join step (hard / soft) and the evidence behind the joining edge.
 *
 *   npx tsx bench/link-diagnose.ts DIR
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../src/store/index.ts';
import { loadAccounts, loadModel, pairFeatures, resolveAccounts, type LinkTruth } from '../src/link/index.ts';
import { FEATURES, RULES, RULE_WEIGHTS, type RuleName } from '../src/link/model.ts';

// DP_RULE_WEIGHTS='{"rotation_overlap":0}' tries other rule weights (diagnosis only).
for (const [k, v] of Object.entries(JSON.parse(process.env.DP_RULE_WEIGHTS ?? '{}') as Record<string, number>)) RULE_WEIGHTS[k as RuleName] = v;

const dir = process.argv[2];
if (!dir) throw new Error('usage: link-diagnose.ts DIR');
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as LinkTruth;
const prep = JSON.parse(readFileSync(join(dir, 'ingest.json'), 'utf8')) as { agencyId: number };
const store = await openStore({ dataDir: join(dir, 'pg') });
const ext = new Map((await store.db.selectFrom('vendors').select(['id', 'external_id']).where('agency_id', '=', prep.agencyId).execute())
  .map((r) => [r.id, r.external_id]));
const accounts = await loadAccounts(store.db, prep.agencyId);
await store.close();
const model = loadModel();
const res = resolveAccounts(accounts, model);
const idOf = new Map(truth.accounts.map((a) => [a.id, a.identityId]));
const truthOf = (i: number) => idOf.get(ext.get(res.prepared[i]!.data.vendorId) ?? '') ?? `?${i}`;
const counts: Record<string, number> = {};
const examples: Record<string, string[]> = {};
for (const j of res.clusters.joins) {
  if (truthOf(j.a) === truthOf(j.b)) { counts[`right ${j.via}`] = (counts[`right ${j.via}`] ?? 0) + 1; continue; }
  const f = pairFeatures(res.prepared[j.a]!, res.prepared[j.b]!);
  const why = [...FEATURES.filter((_, i) => f.x[i]! > 0 && ['pgp', 'crypto', 'email', 'messenger', 'name_same'].includes(FEATURES[i]!)),
    ...RULES.filter((_, i) => f.rules[i]! > 0)].join('+') || 'other';
  const k = `wrong ${j.via} ${why}`;
  counts[k] = (counts[k] ?? 0) + 1;
  (examples[k] ??= []);
  if (examples[k].length < 4) {
    const pa = res.prepared[j.a]!; const pb = res.prepared[j.b]!;
    examples[k].push(`${pa.data.handle}@${pa.data.sourceId} (${truthOf(j.a)}) ~ ${pb.data.handle}@${pb.data.sourceId} (${truthOf(j.b)}) shared=${f.shared.map((s) => `${s.kind}:${s.value.slice(0, 16)}`).join(',')} rules=${[...f.rules].map((r) => r.toFixed(2)).join('/')}`);
  }
}
// Pairwise precision/recall of the in-memory resolution (same definition as evaluateLinking).
const pairsOf = (n: number) => (n * (n - 1)) / 2;
const cs = new Map<number, number>(); const ts = new Map<string, number>(); const cell = new Map<string, number>();
res.clusters.groupOf.forEach((g, i) => { const t = truthOf(i); cs.set(g, (cs.get(g) ?? 0) + 1); ts.set(t, (ts.get(t) ?? 0) + 1);
  cell.set(`${g}|${t}`, (cell.get(`${g}|${t}`) ?? 0) + 1); });
const sum = (m: Map<unknown, number>) => [...m.values()].reduce((s, n) => s + pairsOf(n), 0);
const pairwise = { precision: sum(cell) / Math.max(1, sum(cs)), recall: sum(cell) / Math.max(1, sum(ts)) };
const sizes = new Map<number, number>();
for (const g of res.clusters.groupOf) sizes.set(g, (sizes.get(g) ?? 0) + 1);
console.log(JSON.stringify({ accounts: accounts.length, pairwise, ruleWeights: RULE_WEIGHTS, timings: res.timings, counts, examples,
  largest: Math.max(...sizes.values()), refused: res.clusters.refused }, null, 1));
