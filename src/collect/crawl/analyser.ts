import { Worker } from 'node:worker_threads';
import { analysePage, type LoginFieldNames, type PageAnalysis } from './page.ts';

export interface PageAnalyserOptions {
  /** Pages up to this size are analysed on the event loop (a few milliseconds); larger ones in a worker thread. */
  inlineBytes?: number;
  /** A page whose analysis takes longer is given up (the worker is terminated): it is preserved, marked, not followed. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (a: PageAnalysis) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Analyses fetched pages without ever stalling the crawl: small pages inline, large ones in a worker thread with a
 * deadline, so a hostile page (huge, deeply nested, pathological) costs at most `timeoutMs` of one thread and
 * never blocks the event loop that every other worker of the process shares.
 */
export class PageAnalyser {
  readonly #inlineBytes: number;
  readonly #timeoutMs: number;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  /** One page at a time per worker: a deadline then measures that page alone. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: PageAnalyserOptions = {}) {
    this.#inlineBytes = o.inlineBytes ?? 256 * 1024;
    this.#timeoutMs = o.timeoutMs ?? 10_000;
  }

  analyse(body: Buffer, url: string, fields?: LoginFieldNames): Promise<PageAnalysis> {
    if (body.length <= this.#inlineBytes) return Promise.resolve(analysePage(body, url, fields));
    const run = () => this.#inWorker(body, url, fields);
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const worker = new Worker(new URL('./analyse-worker.mjs', import.meta.url));
    worker.unref();
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { ready?: boolean; id?: number; result?: PageAnalysis; error?: string }) => {
        if (m.ready) return resolve();
        const p = m.id === undefined ? undefined : this.#pending.get(m.id);
        if (!p || m.id === undefined) return;
        this.#pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.result as PageAnalysis);
      });
    });
    worker.on('error', (e) => this.#failAll(e));
    worker.on('exit', () => {
      if (this.#worker === worker) {
        this.#worker = undefined;
        this.#ready = undefined;
      }
      this.#failAll(new Error('page analyser worker exited'));
    });
    return this.#ready;
  }

  #failAll(e: Error): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(e);
      this.#pending.delete(id);
    }
  }

  async #inWorker(body: Buffer, url: string, fields?: LoginFieldNames): Promise<PageAnalysis> {
    await this.#start();
    const worker = this.#worker as Worker;
    const id = ++this.#seq;
    try {
      return await new Promise<PageAnalysis>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#pending.delete(id);
          // The only way to stop a runaway parse: end the thread (a fresh one starts for the next page).
          this.#worker = undefined;
          this.#ready = undefined;
          void worker.terminate();
          resolve({ links: [], seized: false, maintenance: false, nesting: 0, limited: `analysis took more than ${this.#timeoutMs} ms: links not followed` });
        }, this.#timeoutMs);
        this.#pending.set(id, { resolve, reject, timer });
        worker.postMessage({ id, body: new Uint8Array(body), url, fields });
      });
    } catch (err) {
      return { links: [], seized: false, maintenance: false, nesting: 0, limited: `analysis failed (${(err as Error).message}): links not followed` };
    }
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    if (w) await w.terminate();
  }
}
