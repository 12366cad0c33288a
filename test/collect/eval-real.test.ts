/**
 * `darkpatrol eval real`: what the import routes store agrees with the truth, and `link run` on the imported sim
 * accounts (Telegram exports and the seized dump, never the crawler) scored against the world's identities.
 * A demo-scale world: at tiny scale the exports and the dump share no vendor with hard evidence, so linking would
 * have nothing to find.
 */
import { describe, expect, it } from 'vitest';
import { evaluateImportRoutes } from '../../src/collect/index.ts';
import { formatImportEval } from '../../src/cli/commands/eval-real.ts';

describe('eval real (import routes)', () => {
  it('scores the Agora folder through import pages, a sim world through import telegram/dump at ≥ 0.98 per field, and links the imported accounts', { timeout: 600_000 }, async () => {
    const r = await evaluateImportRoutes({ seed: '7', scale: 'demo' });
    expect(r.agora?.captures).toBe(40);
    expect(r.agora?.pages).toBe(40);
    expect(r.sim.telegramExports).toBeGreaterThan(0);
    expect(r.sim.dumpRows).toBeGreaterThan(0);
    const fields = [...(r.agora?.fields ?? []), ...r.sim.fields];
    expect(r.sim.fields.map((f) => f.field).sort()).toEqual(['dump.account', 'dump.pgpKey', 'dump.wallet', 'telegram.author', 'telegram.message', 'telegram.selector']);
    for (const f of fields) {
      expect(f.tp, f.field).toBeGreaterThan(0);
      expect(f.precision, `${f.field} precision`).toBeGreaterThanOrEqual(0.98);
      expect(f.recall, `${f.field} recall`).toBeGreaterThanOrEqual(0.98);
    }

    // Linking: every imported account maps back to a world entity and is scored.
    const l = r.sim.linking;
    expect(l.accounts.unmapped).toBe(0);
    expect(l.accounts.telegram).toBeGreaterThan(0);
    expect(l.accounts.dump).toBe(r.sim.fields.find((f) => f.field === 'dump.account')?.tp);
    expect(l.scores.accounts).toBe(l.accounts.telegram + l.accounts.dump);
    expect(l.run.accounts).toBe(l.scores.accounts);
    // Seed 7 demo, measured: 6 correct of 8 predicted pairs (0.750), 24 true pairs (recall 0.250); the 2 wrong pairs
    // come from joining two different people both called URBANCartel in two Telegram groups (name and writing style).
    expect(l.scores.pairwise.truePairs).toBeGreaterThan(0);
    expect(l.scores.pairwise.predictedPairs).toBeGreaterThan(0);
    expect(l.scores.pairwise.precision).toBeGreaterThanOrEqual(0.75);
    expect(l.scores.pairwise.recall).toBeGreaterThanOrEqual(0.25);
    expect(l.scores.purity).toBeGreaterThanOrEqual(0.99);
    // Vendors only: buyers (in the groups and in the dump) left out.
    expect(l.vendorsOnly.accounts).toBeGreaterThan(0);
    expect(l.vendorsOnly.accounts).toBeLessThan(l.scores.accounts);
    expect(l.vendorsOnly.pairwise.truePairs).toBeGreaterThan(0);
    expect(l.vendorsOnly.pairwise.truePairs).toBeLessThanOrEqual(l.scores.pairwise.truePairs);
    // Selectors read by the importers fire as hard evidence across the routes, and hard links join only one person.
    const pgp = l.evidence.find((e) => e.evidence === 'shared PGP key (pgp_key)');
    expect(pgp?.correct).toBeGreaterThan(0);
    expect(l.evidence.some((e) => e.hard && e.evidence.startsWith('same crypto address') && e.correct > 0)).toBe(true);
    for (const e of l.evidence.filter((k) => k.hard)) expect(e.wrong, e.evidence).toBe(0);

    const text = formatImportEval(r);
    expect(text).toMatch(/pairwise precision \d\.\d{3}, recall \d\.\d{3}, F1/);
    expect(text).toMatch(/shared PGP key \(pgp_key\)/);
    expect(text).toMatch(/vendors only \(buyers left out/);
  });
});
