/** `darkpatrol eval real` on a tiny world: what the import routes store agrees with the truth. */
import { describe, expect, it } from 'vitest';
import { evaluateImportRoutes } from '../../src/collect/index.ts';

describe('eval real (import routes)', () => {
  it('scores the Agora folder through import pages and a sim world through import telegram/dump at ≥ 0.98 per field', { timeout: 600_000 }, async () => {
    const r = await evaluateImportRoutes({ seed: 'eval-real', scale: 'tiny' });
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
  });
});
