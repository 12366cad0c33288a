import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Store } from '../store/index.ts';
import type { RouteAccess } from './access/policy.ts';
import type { LockoutPolicy } from './auth/accounts.ts';
import type { Principal } from './auth/principal.ts';
import type { CaptchaQueue } from './captchas/queue.ts';
import type { CaptureBodies } from './captures/bodies.ts';
import type { JobQueue } from '../jobs/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/server/access/policy.ts). Routes without it are refused. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Set by handlers to name the object the audit entry is about. */
    auditObject?: { type: string; id: string; detail?: Record<string, unknown> };
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
  logger?: boolean;
  /** Requests per minute per client (IP or token); false turns the limiter off (tests of other things). */
  rateLimit?: { max: number; loginMax?: number } | false;
  lockout?: LockoutPolicy;
  /** Mark cookies Secure (behind TLS). Off by default because the console binds to 127.0.0.1 over HTTP. */
  secureCookies?: boolean;
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
