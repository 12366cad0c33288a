import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';

/** scrypt parameters: N=2^15, r=8 uses 32 MiB per hash (memory-hard), ~50-100 ms on one core. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };
const KEY_LEN = 32;

/**
 * How many scrypt hashes run at once, and how many may wait. Node runs scrypt on the libuv pool (4 threads), so
 * without a cap a burst of logins from many clients (the rate limit is per client) takes every core and 4 × 32 MiB,
 * and API requests starve. At most `concurrent` hashes run (default: one core left for everything else); further
 * hashes wait in FIFO order, and past `queued` waiting ones a hash is refused at once with PasswordHashBusyError
 * (the login route answers 503 with Retry-After) instead of the queue growing. Every hash goes through the same
 * queue — a known user's, an unknown user's dummy hash, a new password — so waiting says nothing about a user.
 */
export interface PasswordHashLimit {
  concurrent: number;
  queued: number;
}
const CORES = availableParallelism();
export const DEFAULT_HASH_LIMIT: PasswordHashLimit = { concurrent: Math.max(1, CORES - 1), queued: 32 * Math.max(1, CORES - 1) };

/** Refused because `queued` hashes already wait; `retryAfterMs` estimates when the queue will have drained. */
export class PasswordHashBusyError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('too many password checks are waiting; try again shortly');
    this.name = 'PasswordHashBusyError';
  }
}

let hashLimit: PasswordHashLimit = { ...DEFAULT_HASH_LIMIT };
let running = 0;
const waiting: Array<() => void> = [];
let avgHashMs = 100;
const hashStats = { started: 0, refused: 0, peakRunning: 0, peakWaiting: 0 };

/**
 * For tests and benchmarks: set the cap (`concurrent: Infinity` removes it, as before it existed) and reset the
 * counters. Without an argument, back to DEFAULT_HASH_LIMIT.
 */
export function setPasswordHashLimit(limit: Partial<PasswordHashLimit> = DEFAULT_HASH_LIMIT): void {
  hashLimit = { concurrent: Math.max(1, limit.concurrent ?? DEFAULT_HASH_LIMIT.concurrent), queued: Math.max(0, limit.queued ?? DEFAULT_HASH_LIMIT.queued) };
  Object.assign(hashStats, { started: 0, refused: 0, peakRunning: running, peakWaiting: waiting.length });
  while (running < hashLimit.concurrent && waiting.length > 0) {
    running++;
    waiting.shift()!();
  }
}

/** Hashes started and refused since the last setPasswordHashLimit, the peaks, and what runs and waits now. */
export function passwordHashStats(): typeof hashStats & { running: number; waiting: number; limit: PasswordHashLimit } {
  return { ...hashStats, running, waiting: waiting.length, limit: { ...hashLimit } };
}

/**
 * Runs `fn` in a hash slot of the bounded queue (every scrypt below does; tests hold a slot with it). Only a
 * `refusable` hash (a password check: what a login flood makes) is refused when the queue is full; hashing a new
 * password (an administrator creating a user) waits its turn however long the queue is.
 */
export async function withPasswordHashSlot<T>(fn: () => Promise<T>, refusable = true): Promise<T> {
  if (running < hashLimit.concurrent) running++;
  else if (refusable && waiting.length >= hashLimit.queued) {
    hashStats.refused++;
    throw new PasswordHashBusyError(Math.ceil(((waiting.length + running) / hashLimit.concurrent) * avgHashMs));
  } else {
    // The slot is handed over by the hash that ends (running stays counted), so arrivals cannot jump the queue.
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      hashStats.peakWaiting = Math.max(hashStats.peakWaiting, waiting.length);
    });
  }
  hashStats.started++;
  hashStats.peakRunning = Math.max(hashStats.peakRunning, running);
  const t = performance.now();
  try {
    return await fn();
  } finally {
    avgHashMs = 0.8 * avgHashMs + 0.2 * (performance.now() - t);
    const next = running <= hashLimit.concurrent ? waiting.shift() : undefined;
    if (next) next();
    else running--;
  }
}

function scrypt(password: string, salt: Buffer, params: ScryptParams, refusable: boolean): Promise<Buffer> {
  const opts: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 };
  return withPasswordHashSlot(
    () =>
      new Promise((resolve, reject) =>
        scryptCb(password.normalize('NFC'), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
      ),
    refusable,
  );
}

/** Encodes as `scrypt$N$r$p$salt$key` (base64url) so parameters can be raised later without breaking old hashes. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (password.length < 10) throw new RangeError('a password must have at least 10 characters');
  if (password.length > 1024) throw new RangeError('a password must have at most 1024 characters');
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params, false);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant-time check; a malformed stored hash never matches. Throws PasswordHashBusyError when the queue is full. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (password.length > 1024) return false;
  const key = await scrypt(password, salt, { N, r, p }, true);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A memorable-enough random password for `darkpatrol user add` when none is given. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
