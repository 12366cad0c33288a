import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildFeedPackage, feedCsv, signPackage } from '../../exchange/index.ts';
import { ACCESS } from '../access/policy.ts';
import { agencySigningKey, exchangeDb, financialFeed, postalFeed } from '../exchange/index.ts';
import type { Feed } from '../exchange/index.ts';
import type { RouteContext } from '../types.ts';
import { who } from './common.ts';

const FORMATS = ['json', 'csv', 'stix', 'package'] as const;
type Format = (typeof FORMATS)[number];

/** `?format=` wins; otherwise the Accept header (text/csv, application/stix+json); JSON by default. */
function formatOf(req: FastifyRequest, asked: Format | undefined): Format {
  if (asked) return asked;
  const accept = String(req.headers.accept ?? '');
  if (accept.includes('text/csv')) return 'csv';
  if (accept.includes('application/stix+json')) return 'stix';
  return 'json';
}

/**
 * Partner feeds (postal operators, financial institutions): reachable with a partner API token (scope feed), built
 * from CLEAR/GREEN rows only, TLP-marked in every format, every access audited with what was handed out.
 */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  const send = async (req: FastifyRequest, reply: FastifyReply, feed: Feed, format: Format, extra: Record<string, unknown>) => {
    const p = who(req.principal);
    req.auditObject = { type: 'feed', id: feed.id, detail: { format, entries: feed.entries.length, tlp: feed.tlp, ...extra } };
    void reply.header('x-tlp', feed.tlp);
    if (format === 'csv') {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${feed.id}.csv"`)
        .send(feedCsv({ tlp: feed.tlp, entries: feed.entries }));
    }
    if (format === 'json') return reply.send({ feed: feed.id, name: feed.name, description: feed.description, tlp: feed.tlp, generatedAt: new Date().toISOString(), ...extra, entries: feed.entries });
    const agency = await exchangeDb(db).selectFrom('agencies').select(['code', 'name', 'contact_point']).where('id', '=', p.agencyId).executeTakeFirstOrThrow();
    const built = buildFeedPackage({
      producer: { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) },
      id: feed.id,
      name: feed.name,
      description: feed.description,
      tlp: feed.tlp,
      entries: feed.entries,
    });
    if (format === 'stix') return reply.type('application/stix+json;version=2.1').send(JSON.stringify(built.bundle));
    return reply.type('application/json').send(JSON.stringify(signPackage(built, await agencySigningKey(db, p.agencyId))));
  };

  app.get(
    '/feed/postal',
    {
      config: { access: { ...ACCESS.feed, audit: 'feed.postal' } },
      schema: {
        tags: ['feed'],
        summary: "Partner feed (postal operators): drop/return addresses and vendor names of vendors shipping from or to the partner's country",
        querystring: z.object({ days: z.coerce.number().int().min(1).max(3650).default(365), format: z.enum(FORMATS).optional() }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const agency = await exchangeDb(db).selectFrom('agencies').select('country').where('id', '=', p.agencyId).executeTakeFirstOrThrow();
      const country = agency.country.toUpperCase();
      const feed = await postalFeed(db, country, new Date(Date.now() - req.query.days * 86_400_000));
      return send(req, reply, feed, formatOf(req, req.query.format), { country });
    },
  );

  app.get(
    '/feed/financial',
    {
      config: { access: { ...ACCESS.feed, audit: 'feed.financial' } },
      schema: {
        tags: ['feed'],
        summary: 'Partner feed (financial institutions): cryptocurrency addresses of the top targets',
        querystring: z.object({ targets: z.coerce.number().int().min(1).max(200).default(25), format: z.enum(FORMATS).optional() }),
      },
    },
    async (req, reply) => {
      const feed = await financialFeed(db, who(req.principal), req.query.targets);
      return send(req, reply, feed, formatOf(req, req.query.format), { targets: req.query.targets });
    },
  );
}
