import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';

/**
 * PGlite in a worker thread: the WASM engine (parse, plan, execute, its file system) runs on a thread of its own, so
 * its CPU leaves the event loop of whoever uses the store (the crawler: ~45 % of its thread on the main-thread engine,
 * docs/benchmarks.md "Collect"). The main thread keeps node-postgres and kysely unchanged: this object is what
 * PGlite's node-postgres adapter (`createPgConfig`) talks to — `execProtocolStream(bytes)` — and it forwards the
 * frontend bytes to the worker, which runs them through the engine (`execProtocolRawStream`: PostgreSQL's own
 * message loop) and returns the backend bytes, parsed here by node-postgres' own protocol parser.
 *
 * Semantics are the engine's: one session, every call run in the order sent (the worker runs one call at a time), so
 * transactions stay atomic and serialised exactly as with the engine on the main thread. Parse/Bind/Describe/Execute/
 * Close are held and sent with the Sync (or Flush, or any other message) that follows them, as one call: node-postgres
 * writes a statement's messages synchronously, and the replies arrive in the same order, only in one message instead
 * of five (one thread round trip per statement instead of five).
 */
export interface EmbeddedEngine {
  /** A statement on the engine itself (the dump import's `COPY … FROM '/dev/blob'`); runs in the open transaction. */
  query(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<{ rows: unknown[]; affectedRows?: number }>;
}

export interface PgliteWorker extends EmbeddedEngine {
  readonly waitReady: Promise<void>;
  execProtocolStream(message: Uint8Array, options?: unknown): Promise<BackendMessage[]>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

// CommonJS, evaluated in the worker: the paths are resolved here, so no loader (tsx, vitest) is needed there.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const { pg_trgm } = require(workerData.pgTrgm);
let db;
let chain = Promise.resolve();
parentPort.on('message', (m) => { chain = chain.then(() => handle(m)); });
async function handle(m) {
  try {
    if (m.op === 'raw') {
      // The reply's bytes as the engine writes them (views on its memory, so copied), not execProtocolRaw: that also
      // parses every reply message in JS and keeps the parsed messages in an array nothing clears.
      const chunks = [];
      let size = 0;
      await db.execProtocolRawStream(m.data, { onRawData: (view) => { chunks.push(view.slice()); size += view.length; } });
      const out = chunks.length === 1 ? chunks[0] : new Uint8Array(size);
      if (chunks.length > 1) { let at = 0; for (const c of chunks) { out.set(c, at); at += c.length; } }
      parentPort.postMessage({ id: m.id, data: out }, [out.buffer]);
    } else if (m.op === 'open') {
      db = await PGlite.create(m.dataDir, {
        extensions: { pg_trgm },
        loadDataDir: m.load ? new Blob([m.load]) : undefined,
        pgliteWasmModule: workerData.modules.pglite,
        initdbWasmModule: workerData.modules.initdb,
      });
      parentPort.postMessage({ id: m.id });
    } else if (m.op === 'query') {
      const r = await db.query(m.text, m.params, m.blob ? { blob: new Blob([m.blob]) } : undefined);
      parentPort.postMessage({ id: m.id, result: { rows: r.rows, affectedRows: r.affectedRows } });
    } else if (m.op === 'close') {
      await db.close();
      parentPort.postMessage({ id: m.id });
    }
  } catch (err) {
    const e = err && typeof err === 'object' ? err : { message: String(err) };
    parentPort.postMessage({ id: m.id, error: { message: String(e.message), code: e.code, detail: e.detail, severity: e.severity } });
  }
}
`;

interface Reply {
  id: number;
  data?: Uint8Array;
  result?: { rows: unknown[]; affectedRows?: number };
  error?: { message: string; code?: string; detail?: string; severity?: string };
}

// Frontend message types held until the message that ends them: Parse, Bind, Describe, Execute, Close.
const HELD = new Set([0x50, 0x42, 0x44, 0x45, 0x43]);

/**
 * The engine's WASM modules, compiled once per process and shared with every worker: a worker compiling its own
 * (PGlite caches them per thread) cost ~3 s of CPU per store opened, which doubled the cost of opening a store
 * (tests open hundreds).
 */
let compiled: Promise<{ pglite: WebAssembly.Module; initdb: WebAssembly.Module }> | undefined;
function engineModules(): Promise<{ pglite: WebAssembly.Module; initdb: WebAssembly.Module }> {
  compiled ??= (async () => {
    const dist = dirname(require.resolve('@electric-sql/pglite'));
    const [pglite, initdb] = await Promise.all(['pglite.wasm', 'initdb.wasm'].map(async (f) => WebAssembly.compile(await readFile(join(dist, f)))));
    return { pglite: pglite!, initdb: initdb! };
  })();
  compiled.catch(() => {
    compiled = undefined; // not kept: the next open tries again and reports its own error
  });
  return compiled;
}

export async function startPgliteWorker(dataDir: string | undefined, loadDataDir?: Blob): Promise<PgliteWorker> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { pglite: require.resolve('@electric-sql/pglite'), pgTrgm: require.resolve('@electric-sql/pglite/contrib/pg_trgm'), modules: await engineModules() },
  });
  worker.unref();
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (r: Reply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (pending.size === 0) worker.unref();
    if (r.error) p.reject(Object.assign(new Error(r.error.message), r.error));
    else p.resolve(r);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the embedded database's worker thread exited (code ${code})`)));

  const call = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (pending.size === 0) worker.ref(); // a call in flight keeps the process alive, an idle engine does not
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  };

  const load = loadDataDir ? new Uint8Array(await loadDataDir.arrayBuffer()) : undefined;
  const waitReady = call({ op: 'open', dataDir, load }, load ? [load.buffer] : []).then(() => undefined);
  waitReady.catch(() => undefined);
  await waitReady.catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });

  const parser = new Parser();
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  return {
    waitReady,
    async execProtocolStream(message: Uint8Array) {
      // A copy of exactly these bytes (node-postgres' buffers may be views on a shared pool), moved to the worker.
      const bytes = new Uint8Array(message);
      if (bytes.length > 0 && HELD.has(bytes[0]!)) {
        held.push(bytes);
        heldBytes += bytes.length;
        return [];
      }
      let data = bytes;
      if (held.length > 0) {
        data = new Uint8Array(heldBytes + bytes.length);
        let at = 0;
        for (const h of held) {
          data.set(h, at);
          at += h.length;
        }
        data.set(bytes, at);
        held = [];
        heldBytes = 0;
      }
      const reply = await call({ op: 'raw', data }, [data.buffer as ArrayBuffer]);
      const out = reply.data!;
      const messages: BackendMessage[] = [];
      if (out.length > 0) parser.parse(Buffer.from(out.buffer, out.byteOffset, out.byteLength), (m) => messages.push(m));
      return messages;
    },
    async query(text, params = [], options = {}) {
      const blob = options.blob ? new Uint8Array(await options.blob.arrayBuffer()) : undefined;
      const reply = await call({ op: 'query', text, params, blob }, blob ? [blob.buffer as ArrayBuffer] : []);
      return reply.result!;
    },
    async close() {
      if (failure) return;
      try {
        await call({ op: 'close' });
      } finally {
        await worker.terminate();
      }
    },
  };
}
