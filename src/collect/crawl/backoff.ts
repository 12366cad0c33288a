/** Exponential backoff with full jitter, at least Retry-After when the server gave one. */
export function backoffMs(attempt: number, base: number, max: number, retryAfterSec?: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.max(jittered, (retryAfterSec ?? 0) * 1000);
}

/** A Retry-After header (seconds or an HTTP date) in seconds from now. */
export function retryAfterSeconds(h: string | undefined): number | undefined {
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim());
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
