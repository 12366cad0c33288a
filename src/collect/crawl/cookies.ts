/**
 * A per-account cookie jar. Markets are reached by onion name only, so one jar per account (not per domain)
 * is enough; attributes other than Max-Age=0 / expired (deletion) are ignored.
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.#cookies.set(k, v);
  }

  /** Applies Set-Cookie header values; returns true when something changed. */
  update(setCookies: readonly string[]): boolean {
    let changed = false;
    for (const sc of setCookies) {
      const [pair, ...attrs] = sc.split(';');
      const i = (pair ?? '').indexOf('=');
      if (i <= 0) continue;
      const name = (pair ?? '').slice(0, i).trim();
      const value = (pair ?? '').slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a) || (/^\s*expires\s*=/i.test(a) && Date.parse(a.split('=').slice(1).join('=')) < Date.now()));
      if (expired || value === '') changed = this.#cookies.delete(name) || changed;
      else if (this.#cookies.get(name) !== value) {
        this.#cookies.set(name, value);
        changed = true;
      }
    }
    return changed;
  }

  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clear(): void {
    this.#cookies.clear();
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#cookies);
  }
}
