import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Store } from '../store/index.ts';
import type { RouteAccess } from './access/policy.ts';
import type { ThrottlePolicy } from './auth/throttle.ts';
import type { Principal } from './auth/principal.ts';
import type { CaptchaQueue } from './captchas/queue.ts';
import type { CaptureBodies } from './captures/bodies.ts';
import type { JobQueue } from '../jobs/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/server/access/policy.ts). Routes without it are refused. */
    access?: RouteAccess;
    /**
     * The handler reads the body itself, by a protocol's own rules and error answers (TAXII's envelope with its 415
     * and 422), so the generic "no schema means no body" hardening leaves it alone.
     */
    bodyCheckedByHandler?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Set by handlers to name the object the audit entry is about. */
    auditObject?: { type: string; id: string; detail?: Record<string, unknown> };
    /** The session secret, when the principal came from the session cookie (the CSRF token derives from it). */
    sessionToken?: string;
    /** Set when the request was refused (access.denied, csrf.refused) and that refusal audited. */
    refusalAudited: boolean;
  }
}

export interface ServerOptions {
  store: Store;
  /** The CAPTCHA hand-off queue of the crawler; default dbCaptchaQueue (table crawl_captchas); null turns it off. */
  captchas?: CaptchaQueue | null;
  /** The job queue the API enqueues to; default: pg-boss on the store, opened on first use; null turns it off. */
  jobs?: JobQueue | null;
  /** Where captured bytes are read from; defaults to reading WARC records under warcRoot. */
  captureBodies?: CaptureBodies;
  /** Directory WARC paths in `captures.warc_file` are relative to (default: current directory). */
  warcRoot?: string;
  /** Built console to serve at /; false to serve the API only. Default web/dist when it exists. */
  webRoot?: string | false;
  /**
   * Structured request logs (pino, JSON lines): on by default at DARKPATROL_LOG_LEVEL (default info) to stderr;
   * false turns them off; `{ level, stream }` picks the level and where they go.
   */
  logger?: boolean | { level?: string; stream?: { write(line: string): void } };
  /** Requests per minute per client (IP or token); false turns the limiter off (tests of other things). */
  rateLimit?: { max: number; loginMax?: number } | false;
  /** Login throttling (progressive delay per account, address and pair); default DEFAULT_THROTTLE. */
  throttle?: ThrottlePolicy;
  /** Take the client address from X-Forwarded-For (only behind a reverse proxy that sets it). Default false. */
  trustProxy?: boolean;
  /** Mark cookies Secure (behind TLS). Off by default because the console binds to 127.0.0.1 over HTTP. */
  secureCookies?: boolean;
  /**
   * The chain source money traces run against (`serve --chain-esplora URL` or `--chain-rpc URL`); without it
   * `POST /api/identities/:id/money/trace` answers 409. Fetched chain data is preserved under evidenceDir when set.
   */
  /**
   * The workers' import directory (shared storage) that `POST /api/imports/uploads` writes into, under
   * `uploads/<agency id>/`; default $DARKPATROL_IMPORT_DIR or .darkpatrol/imports, as `darkpatrol worker`.
   */
  importDir?: string;
  /** Largest import upload in bytes (default 512 MiB). */
  importUploadLimit?: number;
  chain?: { esplora?: string; rpc?: { url: string; user?: string; password?: string }; timeoutMs?: number; evidenceDir?: string };
}

export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess | undefined;
}

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What route modules get: the app plus the shared dependencies. */
export interface RouteContext {
  app: App;
  opts: ServerOptions;
  captureBodies: CaptureBodies;
}
