import { ACCESS } from '../access/policy.ts';
import type { RouteContext } from '../types.ts';
import { register as adapters } from './adapters.ts';
import { register as admin } from './admin.ts';
import { register as auth } from './auth.ts';
import { register as captchas } from './captchas.ts';
import { register as captures } from './captures.ts';
import { register as deconflict } from './deconflict.ts';
import { register as evidence } from './evidence.ts';
import { register as federation } from './federation.ts';
import { register as feeds } from './feeds.ts';
import { register as identities } from './identities.ts';
import { register as imports } from './imports.ts';
import { register as intel } from './intel.ts';
import { register as jobs } from './jobs.ts';
import { register as listings } from './listings.ts';
import { register as markets } from './markets.ts';
import { register as money } from './money.ts';
import { register as packages } from './packages.ts';
import { register as reports } from './reports.ts';
import { register as split } from './split.ts';
import { register as taxii } from './taxii.ts';
import { register as vendors } from './vendors.ts';

/** Every /api route module. Each route declares config.access (src/server/access/policy.ts). */
export async function registerRoutes(ctx: RouteContext): Promise<void> {
  ctx.app.get('/health', { config: { access: ACCESS.public }, schema: { tags: ['meta'], summary: 'Liveness' } }, async () => ({ ok: true }));
  const modules = [
    auth,
    admin,
    markets,
    vendors,
    identities,
    money,
    listings,
    captures,
    evidence,
    captchas,
    reports,
    deconflict,
    packages,
    split,
    feeds,
    federation,
    taxii,
    intel,
    jobs,
    imports,
    adapters,
  ];
  for (const r of modules) r(ctx);
}
