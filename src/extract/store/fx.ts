import { defaultFxTable, type FxRate, type FxTable } from '../../domain/money.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

/** The built-in rate table with every rate the user imported laid over it (an imported day wins). */
export async function loadFxTable(db: Kysely<Database>): Promise<FxTable> {
  const table = defaultFxTable();
  const rows = await db.selectFrom('fx_rates').selectAll().execute();
  for (const r of rows) table.set({ date: r.day, currency: r.currency as FxRate['currency'], usd: r.usd });
  return table;
}

/** Adds or replaces rates (one per currency and day). Returns how many rows were written. */
export async function saveFxRates(db: Kysely<Database>, rates: readonly FxRate[]): Promise<number> {
  for (let i = 0; i < rates.length; i += 1000) {
    const chunk = rates.slice(i, i + 1000).map((r) => ({ day: r.date, currency: r.currency, usd: r.usd }));
    await db
      .insertInto('fx_rates')
      .values(chunk)
      .onConflict((oc) => oc.columns(['currency', 'day']).doUpdateSet({ usd: (eb) => eb.ref('excluded.usd') }))
      .execute();
  }
  return rates.length;
}
