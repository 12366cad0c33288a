import type { Kysely } from 'kysely';
import { EVENT_STATUS, type MarketEventKind, type MarketStatus } from '../../domain/market.ts';
import type { Database } from '../../store/index.ts';


/**
 * Records a lifecycle observation when it changes the market's status (an 'up' while already up is not an event).
 * Returns true when an event was written.
 */
export async function observeMarket(
  db: Kysely<Database>,
  marketId: number,
  kind: MarketEventKind,
  p: { captureId?: number | null; detail?: string; at?: Date } = {},
): Promise<boolean> {
  // 'launched' is an analyst's record; the crawler observes 'up' (the only difference between the two maps).
  const status: MarketStatus | null = kind === 'launched' ? null : EVENT_STATUS[kind];
  return db.transaction().execute(async (trx) => {
    const m = await trx.selectFrom('markets').select(['agency_id', 'tlp', 'status']).where('id', '=', marketId).forUpdate().executeTakeFirstOrThrow();
    if (status && m.status === status) {
      if (kind === 'up') await trx.updateTable('markets').set({ last_seen: p.at ?? new Date() }).where('id', '=', marketId).execute();
      return false;
    }
    // A seized market stays seized: a later 'down' (onion gone) does not undo it.
    if (m.status === 'seized' && (kind === 'down' || kind === 'up')) return false;
    const at = p.at ?? new Date();
    await trx
      .insertInto('market_events')
      .values({ agency_id: m.agency_id, tlp: m.tlp, market_id: marketId, kind, observed_at: at, capture_id: p.captureId ?? null, detail: p.detail ?? '' })
      .execute();
    const set: { status?: MarketStatus; last_seen?: Date; first_seen?: Date } = {};
    if (status) set.status = status;
    if (kind === 'up') set.last_seen = at;
    await trx.updateTable('markets').set(set).where('id', '=', marketId).execute();
    return true;
  });
}
