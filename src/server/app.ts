import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ERROR_SCHEMA, openApiTransform } from './openapi.ts';
import { appendAudit } from '../store/index.ts';
import { decideRoute } from './access/policy.ts';
import { resolveApiToken, resolveSession } from './auth/accounts.ts';
import { warcCaptureBodies } from './captures/bodies.ts';
import { errorHandler } from './errors.ts';
import { hardenRoute, rejectNul } from './input.ts';
import { loggerConfig, newRequestId } from './logging.ts';
import { CSRF_HEADER, crossOriginReason, hasCsrfToken, isStateChanging } from './auth/csrf.ts';
import { registerRoutes } from './routes/index.ts';
import { registerTaxii, TAXII_PREFIX } from './taxii/routes.ts';
import type { App, RouteInfo, ServerOptions } from './types.ts';

export const SESSION_COOKIE = 'dp_session';

/** The console's CSP: only our own scripts, styles, images and API; nothing framed but our capture view. */
export const CONSOLE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  frameSrc: ["'self'"],
  manifestSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
};

/**
 * The CSP of the API reference at /docs (Swagger UI, served from the package's own files): scripts and styles from
 * our origin only, the spec fetched from /docs/json, nothing framed, no validator badge or other outside contact.
 */
const SWAGGER_UI_STYLE_HASH = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Swagger UI 5 injects one fixed <style> element at start-up; it is allowed by its hash, nothing else inline is.
  `style-src 'self' '${SWAGGER_UI_STYLE_HASH}'`,
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Every route the app registered, with its access rule: the access-matrix test walks this. */
export function routeCatalog(app: App): RouteInfo[] {
  return (app as unknown as { dpRoutes: RouteInfo[] }).dpRoutes;
}

const isTaxiiUrl = (url: string) => url === TAXII_PREFIX || url.startsWith(`${TAXII_PREFIX}/`);

/**
 * HTTP Basic for TAXII clients (TAXII 2.1 requires servers to offer it): the password is an API token, the user name
 * is not checked. Console passwords are never accepted here, so Basic cannot bypass the login's lockout.
 */
function basicPassword(header: string): string {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(colon + 1);
}

export async function buildServer(opts: ServerOptions): Promise<App> {
  const app = Fastify({
    logger: loggerConfig(opts),
    genReqId: newRequestId,
    requestIdHeader: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 200 },
    trustProxy: opts.trustProxy ?? false,
    // A URL the router cannot take (bad percent-encoding, a path parameter past maxParamLength) is refused before any
    // route or credential is looked at, in the API's error shape.
    frameworkErrors: (err, _req, reply) => {
      const [status, error, message] =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? [414, 'uri_too_long', 'a path parameter of the URL is too long'] : err.code === 'FST_ERR_BAD_URL' ? [400, 'bad_url', 'the URL is not valid (bad percent-encoding)'] : [400, 'bad_request', 'the request cannot be routed'];
      void (reply as unknown as FastifyReply).code(status).send({ error, message });
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // JSON only: a text/plain body is what a cross-site HTML form can send without a preflight.
  app.removeContentTypeParser('text/plain');

  const routes: RouteInfo[] = [];
  app.decorate('dpRoutes', routes);
  app.addHook('onRoute', (r) => {
    hardenRoute(r);
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) if (m !== 'HEAD') routes.push({ method: m, url: r.url, access: r.config?.access });
  });
  app.addHook('preValidation', rejectNul);

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  if (opts.rateLimit !== false) {
    await app.register(fastifyRateLimit, {
      max: opts.rateLimit?.max ?? 1200,
      timeWindow: 60_000,
      keyGenerator: (req) => (req.headers.authorization ? `t:${req.headers.authorization.slice(-16)}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) => ({ statusCode: ctx.statusCode, error: 'rate_limited', message: `too many requests; retry in ${ctx.after}` }),
    });
  }
  app.addSchema(ERROR_SCHEMA);
  await app.register(fastifySwagger, {
    // Shared schemas keep their $id as their name under components.schemas (ApiError).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'DarkPatrol API',
        version: '0.1.0',
        description: 'Dark-web market intelligence: every call is authorised by agency, TLP and role, and audited.',
        license: { name: 'AGPL-3.0-only', url: 'https://www.gnu.org/licenses/agpl-3.0.html' },
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
      servers: [{ url: '/', description: 'this installation (the API is served under /api of the console\'s origin)' }],
    },
    transform: openApiTransform,
  });

  app.decorateRequest('principal', null);
  app.decorateRequest('sessionToken', undefined);
  app.decorateRequest('refusalAudited', false);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
    const db = opts.store.db;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) req.principal = await resolveApiToken(db, auth.slice(7).trim());
    else if (auth?.startsWith('Basic ') && isTaxiiUrl(req.url)) req.principal = await resolveApiToken(db, basicPassword(auth));
    else {
      const cookie = req.cookies[SESSION_COOKIE];
      if (cookie) {
        req.principal = await resolveSession(db, cookie);
        if (req.principal) req.sessionToken = cookie;
      }
    }
    if (req.principal) req.log = reply.log = req.log.child({ actor: req.principal.actor });
    const audit = (action: string, reason: string) =>
      req.principal
        ? ((req.refusalAudited = true), appendAudit(db, { agencyId: req.principal.agencyId, userId: req.principal.userId, actor: req.principal.actor, action, objectType: 'route', objectId: `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`, detail: { reason } }))
        : Promise.resolve();
    // CSRF (auth/csrf.ts), for every state-changing request whatever its route: not from another origin, and with
    // the session's token when the session cookie is what authenticates it.
    if (isStateChanging(req.method)) {
      const crossOrigin = crossOriginReason(req);
      const missingToken = !crossOrigin && req.sessionToken !== undefined && !req.routeOptions.config?.access?.public && !hasCsrfToken(req, req.sessionToken);
      if (crossOrigin || missingToken) {
        const reason = crossOrigin ?? `a request authenticated by the session cookie must carry the session's CSRF token in ${CSRF_HEADER}`;
        await audit('csrf.refused', reason);
        return reply.code(403).send({ error: 'csrf', message: reason });
      }
    }
    // 404s and the console's static files (served outside /api) fall through; every /api route needs a rule.
    if (!req.routeOptions.url || !(req.routeOptions.url.startsWith('/api') || isTaxiiUrl(req.routeOptions.url))) return;
    const decision = decideRoute(req.principal, req.routeOptions.config.access);
    if (!decision.allow) {
      await audit('access.denied', decision.reason);
      return reply.code(decision.status).send({ error: decision.status === 401 ? 'unauthenticated' : 'forbidden', message: decision.reason });
    }
  });
  // Every authorised read and write is audited before the answer leaves (fail closed: no audit, no answer).
  app.addHook('onSend', async (req, reply, payload) => {
    const access = req.routeOptions.config?.access;
    if (!access || access.public || !req.principal || reply.statusCode === 401) return payload;
    if (req.refusalAudited) return payload; // already audited as access.denied or csrf.refused (a handler's own 403 is not)
    const p = req.principal;
    await appendAudit(opts.store.db, {
      agencyId: p.agencyId,
      userId: p.userId,
      actor: p.actor,
      action: access.audit ?? `${req.method} ${req.routeOptions.url}`,
      objectType: req.auditObject?.type ?? 'route',
      objectId: req.auditObject?.id ?? String((req.params as Record<string, unknown> | undefined)?.id ?? ''),
      detail: { status: reply.statusCode, method: req.method, url: req.url.slice(0, 500), ...req.auditObject?.detail },
    });
    return payload;
  });

  const captureBodies = opts.captureBodies ?? warcCaptureBodies(opts.warcRoot ?? process.cwd());
  await app.register(async (api) => registerRoutes({ app: api as unknown as App, opts, captureBodies }), { prefix: '/api' });
  await registerTaxii(app as unknown as App, opts);

  // The interactive API reference: Swagger UI's own assets from node_modules, the spec at /docs/json (and /docs/yaml).
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    validatorUrl: false,
    theme: { title: 'DarkPatrol API' },
    uiConfig: { deepLinking: true, displayRequestDuration: true, docExpansion: 'list', defaultModelsExpandDepth: 0 },
  });

  const webRoot = opts.webRoot === undefined ? defaultWebRoot() : opts.webRoot;
  if (webRoot && existsSync(resolve(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: resolve(webRoot), wildcard: false, index: ['index.html'], maxAge: 0 });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/docs')) return reply.sendFile('index.html');
      return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    });
  } else {
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
  }
  return app;
}

export function defaultWebRoot(): string {
  return resolve(import.meta.dirname, '../../web/dist');
}
