import type { Command } from 'commander';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { startConsole } from '../../server/index.ts';
import { openStore } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { storeOptionsOf } from '../store-options.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the API (OpenAPI at /docs) and the web console')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <addr>', 'address to bind (keep 127.0.0.1 unless a reverse proxy with TLS is in front)', '127.0.0.1')
    .option('--evidence-dir <dir>', 'where WARC files live (captures.warc_file is relative to it)')
    .option('--secure-cookies', 'mark session cookies Secure (when served over TLS by a proxy)')
    .option('--no-web', 'serve the API only')
    .option('--json', 'print the URL as JSON once listening')
    .action(async (opts: { port: string; host: string; evidenceDir?: string; secureCookies?: boolean; web: boolean; json?: boolean }, cmd: Command) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port "${opts.port}" must be 0-65535`);
      const store = await openStore(storeOptionsOf(cmd));
      try {
        const running = await startConsole({
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
        await store.close();
      }
    });
}
