import { createHash } from 'node:crypto';
import { z } from 'zod';
import { buildSplitIndex, PackageInputError, SeizedSplitError, signPackage, signSplitIndex, splitSeizedMarket, validateBundle } from '../../exchange/index.ts';
import { ACCESS } from '../access/policy.ts';
import { badRequest, notFound } from '../errors.ts';
import { agencySigningKey } from '../exchange/index.ts';
import type { RouteContext } from '../types.ts';
import { tlpEnum, who } from './common.ts';

/** The kind the dump importer gives a seized market (src/collect/import/dump.ts). */
const SEIZED_KIND = 'seized_db';

/**
 * The seized-data split (Hansa / DisrupTor workflow) in the console: the seized markets the agency imported, and a
 * split of one of them into one signed STIX package per country with the signed index — the same stage function and
 * signing as `darkpatrol package split-seized`, with the agency's own key. Nothing is written to disk; the answer
 * carries each package as the file the CLI would write (pretty JSON + newline), so its SHA-256 matches the index.
 */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/exchange/seized-markets',
    { config: { access: { ...ACCESS.exchange, audit: 'exchange.seized_market.list' } }, schema: { tags: ['exchange'], summary: 'Seized markets (imported database dumps) the agency holds, for the per-country split' } },
    async (req) => {
      const agencyId = who(req.principal).agencyId;
      const rows = await db
        .selectFrom('markets as m')
        .select((eb) => [
          'm.id',
          'm.slug',
          'm.name',
          eb.selectFrom('vendors as v').select((e) => e.fn.countAll<string>().as('n')).whereRef('v.market_id', '=', 'm.id').as('accounts'),
          eb.selectFrom('orders as o').select((e) => e.fn.countAll<string>().as('n')).whereRef('o.market_id', '=', 'm.id').as('orders'),
        ])
        .where('m.agency_id', '=', agencyId)
        .where('m.kind', '=', SEIZED_KIND)
        .orderBy('m.id')
        .execute();
      return { items: rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, accounts: Number(r.accounts ?? 0), orders: Number(r.orders ?? 0) })) };
    },
  );

  app.post(
    '/exchange/split',
    {
      config: { access: { ...ACCESS.exchange, audit: 'package.split_seized' } },
      schema: {
        tags: ['exchange'],
        summary: "Split a seized market of the agency into one signed STIX 2.1 package per country, with a signed index (the agency's key)",
        body: z.object({ marketId: z.number().int().positive().max(2 ** 31 - 1), tlp: tlpEnum.default('AMBER') }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const market = await db.selectFrom('markets').select(['id', 'slug', 'name', 'kind']).where('id', '=', req.body.marketId).where('agency_id', '=', p.agencyId).executeTakeFirst();
      // Another agency's market answers as if it did not exist.
      if (!market) throw notFound('market', req.body.marketId);
      if (market.kind !== SEIZED_KIND) throw badRequest(`market ${market.slug} is not a seized database (kind ${market.kind}); import the dump with the dump importer first`);
      const agency = await db.selectFrom('agencies').select(['code', 'name', 'contact_point']).where('id', '=', p.agencyId).executeTakeFirstOrThrow();
      const producer = { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) };
      let split;
      try {
        split = await splitSeizedMarket(db, market.id, { producer, tlp: req.body.tlp });
      } catch (e) {
        if (e instanceof SeizedSplitError || e instanceof PackageInputError) throw badRequest(e.message);
        throw e;
      }
      const invalid = split.packages.flatMap((x) => validateBundle(x.bundle).errors.slice(0, 5).map((err) => `${x.country}: ${err}`));
      if (invalid.length) throw badRequest('packages do not validate against the OASIS STIX 2.1 schemas', invalid.slice(0, 20));
      const key = await agencySigningKey(db, p.agencyId);
      const files = new Map<string, { file: string; sha256: string }>();
      const packages = split.packages.map((x) => {
        const signed = signPackage({ bundle: x.bundle, manifest: x.manifest }, key);
        const text = `${JSON.stringify(signed, null, 2)}\n`;
        const file = `${x.country}.json`;
        const sha256 = createHash('sha256').update(text).digest('hex');
        files.set(x.country, { file, sha256 });
        return {
          country: x.country,
          file,
          fileSha256: sha256,
          bytes: Buffer.byteLength(text),
          objects: x.bundle.objects.length,
          evidence: x.manifest.evidence.length,
          buyers: x.buyers.length,
          vendors: x.vendors.length,
          orders: x.orders,
          messages: x.messages,
          selectors: x.selectors,
          package: signed,
        };
      });
      const index = signSplitIndex(buildSplitIndex(split, producer, files), key);
      req.auditObject = {
        type: 'market',
        id: String(market.id),
        detail: { countries: packages.map((x) => x.country), tlp: split.tlp, keyId: key.keyId, files: packages.map((x) => ({ file: x.file, sha256: x.fileSha256 })), unplaced: split.unplaced },
      };
      return { market: split.market, created: split.created, tlp: split.tlp, keyId: key.keyId, index, packages, unplaced: split.unplaced, warnings: split.warnings.slice(0, 100) };
    },
  );
}
