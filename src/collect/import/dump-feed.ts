import { Worker } from 'node:worker_threads';
import type { ColumnToRead, TextToScan } from '../../extract/store/scan.ts';
import { deserializeError, DumpRows, scanEach, type FeedItem, type FeedStart, type ScannedEach, type ScanReply } from './dump-rows.ts';

/** Items the feed's thread may have ready and not yet taken: each is one dump statement (~1 MB of COPY text). */
const AHEAD = 3;

/** The feed of a dump import's passes 2 and 3 (dump-rows.ts), items in file order. */
export interface DumpFeed {
  /** Starts the passes (once pass 1 and the accounts are done); the thread itself was started by openDumpFeed. */
  start(start: FeedStart): void;
  /**
   * scanEach on the feed's thread, which is idle until `start`: the vendors' profiles are scanned there while the main
   * thread preserves the file and writes the accounts.
   */
  scan(texts: readonly TextToScan[], columns: readonly ColumnToRead[]): Promise<ScannedEach>;
  /** The next item; an `error` item is thrown here (in its place in the file), as is a failure of the thread. */
  next(): Promise<Exclude<FeedItem, { t: 'error' }>>;
  /** The ids of the listings item just written (or of the store, after `listing-ids-please`). */
  addListingIds(entries: Array<[string, number]>): void;
  close(): Promise<void>;
}

/**
 * The feed on a worker thread (its parse, mapping, selector scan and COPY encoding overlap the database's writes on
 * the main thread), or on the caller's thread with DARKPATROL_DUMP_THREAD=main. The thread starts now (loading its
 * modules overlaps pass 1 and the evidence copy); `start` hands it the work.
 */
export function openDumpFeed(): DumpFeed {
  return process.env.DARKPATROL_DUMP_THREAD === 'main' ? inThread() : inWorker();
}

function unwrap(item: FeedItem): Exclude<FeedItem, { t: 'error' }> {
  if (item.t === 'error') throw deserializeError(item.error);
  return item;
}

function inThread(): DumpFeed {
  let rows: DumpRows | undefined;
  let it: AsyncGenerator<FeedItem> | undefined;
  return {
    start: (start) => {
      rows = new DumpRows(start);
      it = rows.run();
    },
    scan: scanEach,
    next: async () => {
      const r = await it!.next();
      return unwrap(r.done ? { t: 'end' } : r.value);
    },
    addListingIds: (entries) => rows!.addListingIds(entries),
    close: async () => {
      await it?.return(undefined);
    },
  };
}

function inWorker(): DumpFeed {
  const worker = new Worker(new URL('./dump-worker.mjs', import.meta.url), { workerData: { ahead: AHEAD } });
  const ready: FeedItem[] = [];
  let waiting: { resolve: (i: FeedItem) => void; reject: (e: Error) => void } | undefined;
  const scans = new Map<number, { resolve: (r: ScannedEach) => void; reject: (e: Error) => void }>();
  let scanned = 0;
  let failure: Error | undefined;
  let finished = false;
  const fail = (e: Error) => {
    for (const s of scans.values()) s.reject(e);
    scans.clear();
    if (finished) return;
    failure ??= e;
    waiting?.reject(failure);
    waiting = undefined;
  };
  worker.on('message', (item: FeedItem | ScanReply) => {
    if (item.t === 'scanned') {
      const s = scans.get(item.id);
      scans.delete(item.id);
      if ('error' in item) s?.reject(deserializeError(item.error));
      else s?.resolve(item.result);
      return;
    }
    if (item.t === 'end' || item.t === 'error') finished = true;
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w.resolve(item);
    } else ready.push(item);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the dump import's worker thread exited (code ${code}) before the end of the dump`)));
  let ended = false;
  return {
    start: (start) => worker.postMessage({ op: 'start', start }),
    scan: (texts, columns) => {
      if (failure) return Promise.reject(failure);
      const id = ++scanned;
      const reply = new Promise<ScannedEach>((resolve, reject) => scans.set(id, { resolve, reject }));
      worker.postMessage({ op: 'scan', id, texts, columns });
      return reply;
    },
    next: async () => {
      if (ended) return { t: 'end' };
      let item = ready.shift();
      if (!item) {
        if (failure) throw failure;
        item = await new Promise<FeedItem>((resolve, reject) => (waiting = { resolve, reject }));
      }
      if (item.t === 'end' || item.t === 'error') ended = true;
      else worker.postMessage({ op: 'take' });
      return unwrap(item);
    },
    addListingIds: (entries) => worker.postMessage({ op: 'listing-ids', entries }),
    close: async () => {
      finished = true;
      await worker.terminate();
    },
  };
}
