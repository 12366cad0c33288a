import { parentPort, workerData } from 'node:worker_threads';
import type { ColumnToRead, TextToScan } from '../../extract/store/scan.ts';
import { DumpRows, scanEach, serializeError, type FeedItem, type FeedStart, type ScanReply } from './dump-rows.ts';

/**
 * The feed's thread (dump-feed.ts): runs DumpRows and posts its items, at most `ahead` not yet taken by the main
 * thread (each `take` message frees one), so a slow database holds the reading back and memory stays bounded.
 */
const port = parentPort!;
const { ahead } = workerData as { ahead: number };
let rows: DumpRows | undefined;
let started: ((s: FeedStart) => void) | undefined;
const start = new Promise<FeedStart>((resolve) => (started = resolve));
let credit = ahead;
let wake: (() => void) | undefined;
type Request =
  | { op: 'start'; start: FeedStart }
  | { op: 'take' }
  | { op: 'listing-ids'; entries: Array<[string, number]> }
  | { op: 'scan'; id: number; texts: TextToScan[]; columns: ColumnToRead[] };
port.on('message', (m: Request) => {
  if (m.op === 'start') started?.(m.start);
  else if (m.op === 'scan') {
    const { id } = m;
    void scanEach(m.texts, m.columns).then(
      (result) => port.postMessage({ t: 'scanned', id, result } satisfies ScanReply),
      (err: unknown) => port.postMessage({ t: 'scanned', id, error: serializeError(err) } satisfies ScanReply),
    );
  }
  else if (m.op === 'take') {
    credit++;
    const w = wake;
    wake = undefined;
    w?.();
  } else rows?.addListingIds(m.entries);
});

const post = (item: FeedItem) => {
  if (item.t === 'batch' && item.encoded) {
    // A buffer of its own (a small one may be a view on Node's shared pool), moved rather than copied.
    const d = item.encoded.data;
    const own = d.byteOffset === 0 && d.buffer.byteLength === d.byteLength ? d : new Uint8Array(d);
    item.encoded.data = own;
    port.postMessage(item, [own.buffer as ArrayBuffer]);
  } else port.postMessage(item);
};

/** Runs the feed (a function, not top-level await: this module is loaded by require, dump-worker.mjs). */
async function feed(): Promise<void> {
  try {
    rows = new DumpRows(await start);
    for await (const item of rows.run()) {
      while (credit <= 0) await new Promise<void>((resolve) => (wake = resolve));
      credit--;
      post(item);
      if (item.t === 'end' || item.t === 'error') break;
    }
  } catch (err) {
    port.postMessage({ t: 'error', error: serializeError(err) } satisfies FeedItem);
  }
}
void feed();
