import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';

export interface SubstanceSignal {
  substance: string;
  substanceClass: string | null;
  /** Listings first seen in the recent window vs the window before it. */
  recent: number;
  before: number;
  firstSeen: Date;
  reason: 'new' | 'growing';
  /** Opioids (fentanyl analogues, nitazenes) are flagged first: they kill. */
  priority: 'high' | 'normal';
}

export interface WarningOptions {
  /** The end of the recent window (default: the latest observation). */
  asOf?: Date;
  windowDays?: number;
  /** Growth ratio recent/before that counts as fast. */
  growth?: number;
  minRecent?: number;
}

const HIGH_PRIORITY = /fentan|nitazene|carfent|isotonitaz|metonitaz|protonitaz|etonitaz|brorphine|opioid/i;

/**
 * New or fast-growing substances and product terms: compares listings first seen in the recent window with the
 * window before. Unclassified listings contribute their candidate term (the listing's substance field).
 */
export async function substanceWarnings(db: Kysely<Database>, opts: WarningOptions = {}): Promise<SubstanceSignal[]> {
  const windowDays = opts.windowDays ?? 30;
  const growth = opts.growth ?? 2;
  const minRecent = opts.minRecent ?? 3;
  const latest = await db.selectFrom('listings').select((eb) => eb.fn.max('first_seen').as('at')).executeTakeFirst();
  const asOf = opts.asOf ?? (latest?.at ? new Date(latest.at) : new Date());
  const recentStart = new Date(asOf.getTime() - windowDays * 86_400_000);
  const beforeStart = new Date(recentStart.getTime() - windowDays * 86_400_000);
  const rows = await sql<{ substance: string; substance_class: string | null; recent: number; before: number; first_seen: Date }>`
    select lower(substance) as substance, max(substance_class) as substance_class,
           count(*) filter (where first_seen >= ${recentStart} and first_seen <= ${asOf})::int as recent,
           count(*) filter (where first_seen >= ${beforeStart} and first_seen < ${recentStart})::int as before,
           min(first_seen) as first_seen
    from listings where substance is not null and substance <> ''
    group by lower(substance)
  `.execute(db);
  const out: SubstanceSignal[] = [];
  for (const r of rows.rows) {
    if (r.recent < minRecent) continue;
    const isNew = r.first_seen >= recentStart;
    const isGrowing = !isNew && r.recent >= growth * Math.max(1, r.before);
    if (!isNew && !isGrowing) continue;
    out.push({
      substance: r.substance,
      substanceClass: r.substance_class,
      recent: r.recent,
      before: r.before,
      firstSeen: r.first_seen,
      reason: isNew ? 'new' : 'growing',
      priority: HIGH_PRIORITY.test(r.substance) || r.substance_class === 'opioid' ? 'high' : 'normal',
    });
  }
  return out.sort((a, b) => (a.priority === b.priority ? b.recent - a.recent : a.priority === 'high' ? -1 : 1));
}
