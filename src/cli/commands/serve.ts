import type { Command } from 'commander';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { startConsole } from '../../server/index.ts';
import { openStore } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { storeOptionsOf } from '../store-options.ts';
import { PROXY_ENV } from '../../collect/index.ts';
import { startJobWorker, type JobWorker } from '../worker-runtime.ts';
import { IMPORT_DIR_ENV } from './worker.ts';
import path from 'node:path';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the API (OpenAPI at /docs) and the web console')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <addr>', 'address to bind (keep 127.0.0.1 unless a reverse proxy with TLS is in front)', '127.0.0.1')
    .option('--evidence-dir <dir>', 'where WARC files live (captures.warc_file is relative to it)')
    .option('--secure-cookies', 'mark session cookies Secure (when served over TLS by a proxy)')
    .option('--no-web', 'serve the API only')
    .option('--jobs <mode>', 'run queued jobs in this process: auto (yes on the embedded database, no on a PostgreSQL server, where `darkpatrol worker` processes run them), on, off', 'auto')
    .option('--proxy <url>', `Tor SOCKS5h port for crawl jobs run in this process (or $${PROXY_ENV})`)
    .option('--json', 'print the URL as JSON once listening')
    .action(async (opts: { port: string; host: string; evidenceDir?: string; secureCookies?: boolean; web: boolean; json?: boolean; jobs: string; proxy?: string }, cmd: Command) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port "${opts.port}" must be 0-65535`);
      if (!['auto', 'on', 'off'].includes(opts.jobs)) throw new UserError('--jobs must be auto, on or off');
      const store = await openStore(storeOptionsOf(cmd));
      let jobs: JobWorker | undefined;
      try {
        // The embedded database serves one process: its jobs run here, on the same queue the API enqueues to.
        if (opts.jobs === 'on' || (opts.jobs === 'auto' && store.engine === 'pglite')) {
          jobs = await startJobWorker(store, {
            proxy: opts.proxy ?? process.env[PROXY_ENV],
            evidenceDir: resolveEvidenceDir(opts.evidenceDir),
            importDir: path.resolve(process.env[IMPORT_DIR_ENV] ?? '.darkpatrol/imports'),
            concurrency: 1,
            log: (line) => void process.stderr.write(`${line}\n`),
          });
        }
        const running = await startConsole({
          jobs: jobs?.queue,
          store,
          host: opts.host,
          port,
          warcRoot: resolveEvidenceDir(opts.evidenceDir),
          secureCookies: opts.secureCookies ?? false,
          webRoot: opts.web ? undefined : false,
          logger: false,
        });
        process.stdout.write(opts.json ? `${JSON.stringify({ url: running.url, docs: `${running.url}docs` })}\n` : `DarkPatrol console on ${running.url} (API docs ${running.url}docs) — Ctrl-C to stop\n`);
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await running.close();
      } finally {
        await jobs?.stop();
        await store.close();
      }
    });
}
