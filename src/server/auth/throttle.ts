import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

/**
 * Login throttling with progressive delay, instead of a lockout anyone could trigger. Failed logins are counted
 * per key, and past a number of free failures each key earns a delay that doubles with every further failure:
 *   - pair (account name × client address): one client guessing one account is slowed hardest;
 *   - address: one client spraying passwords across many accounts;
 *   - account: many clients guessing one account — with a short cap, so a stranger can slow the owner of an
 *     account down by at most that much, never lock them out.
 * While any key of an attempt is delayed, the attempt is refused before the password is looked at. Keys use the
 * account name as typed, whether or not such a user exists, so a throttled answer says nothing about existence.
 */
export interface ThrottleRule {
  /** Failures allowed before delays start. */
  free: number;
  /** The first delay; each further failure doubles it. */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

export interface ThrottlePolicy {
  pair: ThrottleRule;
  address: ThrottleRule;
  account: ThrottleRule;
  /** A key whose last failure is older than this starts again from zero. */
  forgetMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  pair: { free: 3, baseMs: 1000, maxMs: 15 * 60_000 },
  address: { free: 20, baseMs: 1000, maxMs: 15 * 60_000 },
  account: { free: 10, baseMs: 1000, maxMs: 60_000 },
  forgetMs: 24 * 3600_000,
};

type KeyKind = 'pair' | 'address' | 'account';

/** The keys of one attempt. Names are lower-cased: usernames are case-sensitive a-z only, so this loses nothing. */
export function throttleKeys(username: string, ip: string | undefined): Array<{ kind: KeyKind; key: string }> {
  const name = username.slice(0, 128).toLowerCase();
  const keys: Array<{ kind: KeyKind; key: string }> = [{ kind: 'account', key: `account:${name}` }];
  if (ip) keys.push({ kind: 'pair', key: `pair:${name}|${ip.slice(0, 64)}` }, { kind: 'address', key: `address:${ip.slice(0, 64)}` });
  return keys;
}

/** Delay after `failures` failures under `rule` (0 while failures are free). */
export function delayAfter(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.free) return 0;
  return Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(30, failures - rule.free - 1));
}

/** How long until an attempt with these keys may be checked (0: now). */
export async function throttleWait(db: Kysely<Database>, keys: ReturnType<typeof throttleKeys>, now: Date): Promise<number> {
  const rows = await db.selectFrom('login_throttle').select(['blocked_until']).where('key', 'in', keys.map((k) => k.key)).execute();
  let wait = 0;
  for (const r of rows) if (r.blocked_until && r.blocked_until > now) wait = Math.max(wait, r.blocked_until.getTime() - now.getTime());
  return wait;
}

let failuresSeen = 0;

/** Counts one failed attempt against every key (one statement per key, atomic under concurrency). */
export async function recordFailure(db: Kysely<Database>, keys: ReturnType<typeof throttleKeys>, policy: ThrottlePolicy, now: Date): Promise<void> {
  for (const { kind, key } of keys) {
    const rule = policy[kind];
    const row = await sql<{ failures: number }>`
      insert into login_throttle as t (key, failures, last_failure) values (${key}, 1, ${now})
      on conflict (key) do update set
        failures = case when t.last_failure < ${new Date(now.getTime() - policy.forgetMs)} then 1 else t.failures + 1 end,
        last_failure = excluded.last_failure
      returning failures`.execute(db);
    const failures = row.rows[0]?.failures ?? 1;
    const delay = delayAfter(failures, rule);
    if (delay > 0) await db.updateTable('login_throttle').set({ blocked_until: new Date(now.getTime() + delay) }).where('key', '=', key).execute();
  }
  if (++failuresSeen % 500 === 0) {
    await db.deleteFrom('login_throttle').where('last_failure', '<', new Date(now.getTime() - policy.forgetMs)).execute();
  }
}

/** After a successful login: the account's own counters start again (the address keeps its count: spraying). */
export async function clearAccount(db: Kysely<Database>, username: string, ip?: string): Promise<void> {
  const keys = throttleKeys(username, ip).filter((k) => k.kind !== 'address').map((k) => k.key);
  await db.deleteFrom('login_throttle').where('key', 'in', keys).execute();
}

/** An administrator lifts every delay on an account (all its pairs too). */
export async function unthrottleAccount(db: Kysely<Database>, username: string): Promise<number> {
  const name = username.toLowerCase();
  const r = await db
    .deleteFrom('login_throttle')
    .where((eb) => eb.or([eb('key', '=', `account:${name}`), eb('key', 'like', `pair:${name.replace(/[%_\\]/g, '\\$&')}|%`)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The account's current delay, if any (for user lists). */
export async function accountDelayedUntil(db: Kysely<Database>, usernames: readonly string[]): Promise<Map<string, Date>> {
  const out = new Map<string, Date>();
  if (usernames.length === 0) return out;
  const rows = await db.selectFrom('login_throttle').select(['key', 'blocked_until']).where('key', 'in', usernames.map((u) => `account:${u.toLowerCase()}`)).where('blocked_until', '>', new Date()).execute();
  for (const r of rows) if (r.blocked_until) out.set(r.key.slice('account:'.length), r.blocked_until);
  return out;
}
