import type { Command } from 'commander';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { parseCidr, startConsole } from '../../server/index.ts';
import { openStore } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { storeOptionsOf } from '../store-options.ts';
import { PROXY_ENV } from '../../collect/index.ts';
import { startJobWorker, type JobWorker } from '../worker-runtime.ts';
import { IMPORT_DIR_ENV } from './worker.ts';
import path from 'node:path';
import { stopSignal } from '../stop-signal.ts';

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
    .option('--log-level <level>', 'JSON request logs on stderr: trace, debug, info, warn, error, fatal or silent (default info, or $DARKPATROL_LOG_LEVEL)')
    .option('--trust-proxy', 'take client addresses from X-Forwarded-For (only behind a reverse proxy that sets it; login throttling keys on them)')
    .option('--federation-allow <cidrs>', 'comma-separated address ranges federation peers may resolve to although private or loopback (e.g. 10.20.0.0/16)')
    .option('--chain-esplora <url>', 'Esplora REST base URL (…/api) the console\'s money traces use (docs/money.md)')
    .option('--chain-rpc <url>', 'Bitcoin Core JSON-RPC URL the console\'s money traces use (rpcuser --chain-rpc-user, rpcpassword from $DP_RPC_PASSWORD)')
    .option('--chain-rpc-user <user>', 'rpcuser for --chain-rpc')
    .option('--chain-timeout <ms>', 'deadline per request to the chain source', '15000')
    .option('--json', 'print the URL as JSON once listening')
    .action(async (opts: { port: string; host: string; evidenceDir?: string; secureCookies?: boolean; web: boolean; json?: boolean; jobs: string; proxy?: string; logLevel?: string; trustProxy?: boolean; federationAllow?: string; chainEsplora?: string; chainRpc?: string; chainRpcUser?: string; chainTimeout: string }, cmd: Command) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port "${opts.port}" must be 0-65535`);
      if (!['auto', 'on', 'off'].includes(opts.jobs)) throw new UserError('--jobs must be auto, on or off');
      const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
      if (opts.logLevel !== undefined && !levels.includes(opts.logLevel)) throw new UserError(`--log-level "${opts.logLevel}" must be one of ${levels.join(', ')}`);
      const allowedPeerNetworks = (opts.federationAllow ?? '').split(',').map((c) => c.trim()).filter(Boolean);
      for (const c of allowedPeerNetworks) if (!parseCidr(c)) throw new UserError(`--federation-allow "${c}" is not an address range like 10.20.0.0/16 or fd00::/8`);
      if (opts.chainEsplora && opts.chainRpc) throw new UserError('give at most one chain source: --chain-esplora or --chain-rpc');
      for (const u of [opts.chainEsplora, opts.chainRpc]) if (u !== undefined && !/^https?:\/\/[^\s]+$/.test(u)) throw new UserError(`chain source "${u}" is not an http(s) URL`);
      const chainTimeout = Number(opts.chainTimeout);
      if (!Number.isInteger(chainTimeout) || chainTimeout < 100) throw new UserError('--chain-timeout must be at least 100 ms');
      const chain = opts.chainEsplora || opts.chainRpc
        ? {
            esplora: opts.chainEsplora,
            rpc: opts.chainRpc ? { url: opts.chainRpc, user: opts.chainRpcUser, password: opts.chainRpcUser ? (process.env.DP_RPC_PASSWORD ?? '') : undefined } : undefined,
            timeoutMs: chainTimeout,
            evidenceDir: resolveEvidenceDir(opts.evidenceDir),
          }
        : undefined;
      // Listened for before anything starts: a signal while the store opens or the job worker registers would
      // otherwise end the process by the default action, leaving that worker's registration open.
      const stopRequested = stopSignal();
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
          logger: opts.logLevel ? { level: opts.logLevel } : true,
          trustProxy: opts.trustProxy ?? false,
          exchange: { allowedPeerNetworks },
          importDir: path.resolve(process.env[IMPORT_DIR_ENV] ?? '.darkpatrol/imports'),
          chain,
        }).catch((e: unknown) => {
          const code = (e as { code?: string }).code;
          if (code === 'EADDRINUSE') throw new UserError(`port ${port} on ${opts.host} is already in use: stop the other server or pick another --port`);
          if (code === 'EACCES') throw new UserError(`not allowed to listen on ${opts.host}:${port}: pick a port above 1023 with --port`);
          if (code === 'EADDRNOTAVAIL') throw new UserError(`${opts.host} is not an address of this machine (--host)`);
          throw e;
        });
        process.stdout.write(opts.json ? `${JSON.stringify({ url: running.url, docs: `${running.url}docs` })}\n` : `DarkPatrol console on ${running.url} (API docs ${running.url}docs) — Ctrl-C to stop\n`);
        await stopRequested;
        await running.close();
      } finally {
        await jobs?.stop();
        await store.close();
      }
    });
}
