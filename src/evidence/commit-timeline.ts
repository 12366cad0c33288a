/**
 * Where the group commits of a recorder spend their time, summed over its life (bench/collect.bench.ts prints it).
 * Given in the recorder's options; without one nothing is timed. All figures are milliseconds of wall time. A
 * recorder commits one group at a time (its flush loop), so a group's parts run in sequence; gzip runs on the libuv
 * pool meanwhile, and the crawl's time outside commits is not counted here.
 */
export class CommitTimeline {
  groups = 0;
  exchanges = 0;
  /** Summed over exchanges: from `recordExchange` to the start of its group (the wait for a group to form). */
  formingMs = 0;
  /** Serialising (digests) and gzipping a group's records. */
  gzipMs = 0;
  writeMs = 0;
  fsyncMs = 0;
  /** The database transaction (capture rows, log, frontier). */
  transactionMs = 0;
  /** Summed over exchanges: from `recordExchange` to its group's commit settling (what a crawler's worker waits). */
  recordMs = 0;
  /** Wall time during which a group was being committed. */
  busyMs = 0;
  #groupSince = 0;

  /** A group of `exchanges` starts: each waited `formingMs` in all. */
  groupStarted(exchanges: number, formingMs: number): void {
    this.groups++;
    this.exchanges += exchanges;
    this.formingMs += formingMs;
    this.#groupSince = performance.now();
  }

  /** A group settled, its exchanges having waited `recordMs` in all since they were handed in. */
  groupEnded(recordMs: number): void {
    this.recordMs += recordMs;
    this.busyMs += performance.now() - this.#groupSince;
  }

  /** The figures, rounded, with per-group and per-exchange means. */
  summary(): Record<string, number> {
    const r = (x: number) => Math.round(x * 10) / 10;
    const perGroup = (ms: number) => (this.groups ? r(ms / this.groups) : 0);
    return {
      groups: this.groups,
      exchanges: this.exchanges,
      exchangesPerGroup: this.groups ? r(this.exchanges / this.groups) : 0,
      formingMsPerExchange: this.exchanges ? r(this.formingMs / this.exchanges) : 0,
      recordMsPerExchange: this.exchanges ? r(this.recordMs / this.exchanges) : 0,
      gzipMsPerGroup: perGroup(this.gzipMs),
      writeMsPerGroup: perGroup(this.writeMs),
      fsyncMsPerGroup: perGroup(this.fsyncMs),
      transactionMsPerGroup: perGroup(this.transactionMs),
      busySeconds: r(this.busyMs / 1000),
    };
  }
}
