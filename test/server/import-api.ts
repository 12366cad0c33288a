import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { startJobWorker, type JobWorker } from '../../src/cli/worker-runtime.ts';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

export interface ImportJobView { id: string; state: string; attempts: number; result: Record<string, unknown> | null; error: string | null; progress: { done: number; total?: number; unit?: string; message?: string } }

/** The server and a real import worker on one seeded store, with an NL-POL analyst's session: what the upload tests drive. */
export interface ImportApi {
  store: TestStore;
  app: App;
  s: Seeded;
  importDir: string;
  evidenceDir: string;
  analyst: SessionHeaders;
  /** POST /api/imports/uploads as the analyst. */
  upload(kind: string, body: Buffer | string, o?: { name?: string; headers?: Record<string, string> }): Promise<Awaited<ReturnType<App['inject']>>>;
  /** Starts an import job as the analyst and waits until it ends (the test's timeout bounds the wait). */
  runImport(payload: Record<string, unknown>): Promise<ImportJobView>;
  close(): Promise<void>;
}

export async function startImportApi(o: { importUploadLimit?: number } = {}): Promise<ImportApi> {
  const store = await openTestStore();
  let worker: JobWorker | undefined;
  let app: App | undefined;
  try {
    const s = await seed(store.db);
    const importDir = mkdtempSync(path.join(tmpdir(), 'dp-imports-'));
    const evidenceDir = mkdtempSync(path.join(tmpdir(), 'dp-ev-'));
    worker = await startJobWorker(store, { proxy: undefined, importDir, evidenceDir, concurrency: 1, pollMs: 100, queues: ['import'] });
    const server = await buildServer({ store, webRoot: false, rateLimit: false, jobs: worker.queue, importDir, ...o });
    app = server;
    const analyst = await loginCookie(server, s.username('NL-POL', 'analyst'));
    const w = worker;
    return {
      store,
      app: server,
      s,
      importDir,
      evidenceDir,
      analyst,
      upload: (kind, body, u = {}) =>
        server.inject({
          method: 'POST',
          url: `/api/imports/uploads?kind=${kind}${u.name !== undefined ? `&name=${encodeURIComponent(u.name)}` : ''}`,
          headers: { ...analyst, 'content-type': 'application/octet-stream', ...u.headers },
          payload: typeof body === 'string' ? Buffer.from(body) : body,
        }),
      async runImport(payload) {
        const r = await server.inject({ method: 'POST', url: '/api/jobs', headers: analyst, payload: { kind: 'import', payload } });
        expect(r.statusCode, r.body).toBe(202);
        const id = (r.json() as ImportJobView).id;
        for (;;) {
          const j = (await server.inject({ method: 'GET', url: `/api/jobs/${id}`, headers: analyst })).json() as ImportJobView;
          if (['completed', 'failed', 'cancelled'].includes(j.state)) return j;
          await new Promise((res) => setTimeout(res, 100));
        }
      },
      async close() {
        await server.close();
        await w.stop();
        await store.close();
      },
    };
  } catch (e) {
    await app?.close();
    await worker?.stop();
    await store.close();
    throw e;
  }
}
