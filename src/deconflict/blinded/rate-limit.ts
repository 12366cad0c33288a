/** Per-client token buckets: each OPRF evaluation costs one token; a client can burst `capacity` then waits. */
export interface RateLimit {
  /** Most evaluations a client may make at once. */
  capacity: number;
  /** Tokens returned per second. */
  refillPerSecond: number;
}

export class RateLimitedError extends Error {
  constructor(
    readonly clientId: string,
    /** How long until the request would be allowed (Infinity: the request is larger than the burst capacity). */
    readonly retryAfterMs: number,
  ) {
    super(
      Number.isFinite(retryAfterMs)
        ? `client ${clientId} exceeded its OPRF evaluation rate; retry in ${Math.ceil(retryAfterMs)} ms`
        : `client ${clientId} asked for more evaluations at once than its burst capacity allows; send smaller batches`,
    );
    this.name = 'RateLimitedError';
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
    /** Most clients tracked at once; full buckets are dropped first when the map grows past it. */
    private readonly maxClients = 100_000,
  ) {
    if (!(limit.capacity >= 1) || !(limit.refillPerSecond > 0)) throw new RangeError('rate limit needs capacity >= 1 and refillPerSecond > 0');
  }

  /** Take `cost` tokens for `clientId` or throw RateLimitedError (taking nothing). */
  take(clientId: string, cost = 1): void {
    if (cost > this.limit.capacity) {
      throw new RateLimitedError(clientId, Number.POSITIVE_INFINITY);
    }
    const t = this.now();
    const b = this.buckets.get(clientId) ?? { tokens: this.limit.capacity, at: t };
    const tokens = Math.min(this.limit.capacity, b.tokens + ((t - b.at) / 1000) * this.limit.refillPerSecond);
    if (tokens < cost) {
      this.buckets.set(clientId, { tokens, at: t });
      throw new RateLimitedError(clientId, ((cost - tokens) / this.limit.refillPerSecond) * 1000);
    }
    this.buckets.set(clientId, { tokens: tokens - cost, at: t });
    if (this.buckets.size > this.maxClients) this.evictFull(t);
  }

  private evictFull(t: number): void {
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.limit.refillPerSecond >= this.limit.capacity) this.buckets.delete(id);
    }
  }
}
