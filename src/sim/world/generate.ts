import { makeAliases, makeAnchors, migrateVendors, newFactory } from './accounts.ts';
import { makeChannels, makeMessages } from './channels.ts';
import type { GenContext } from './context.ts';
import { pad } from './context.ts';
import { makeIdentities } from './identities.ts';
import { makeListings } from './listings.ts';
import { makeMarkets } from './markets.ts';
import { writeProfiles } from './profiles.ts';
import { Rng } from './rng.ts';
import { makeBuyers, makeSales } from './sales.ts';
import { resolveScale } from './scale.ts';
import { makeSeized } from './seized.ts';
import type { SimEvent, World, WorldOptions } from './types.ts';

/** Bumped whenever the same seed would produce a different world. */
export const WORLD_VERSION = 'darkpatrol-sim-world/1';

const EVENT_ORDER: Record<SimEvent['kind'], number> = { market_launch: 0, key_rotation: 1, takedown: 2, exit_scam: 3, vendor_migration: 4 };

function scriptedEvents(ctx: GenContext): void {
  const { timeline } = ctx;
  for (const m of ctx.markets) {
    if (m.openDay >= 0) ctx.events.push({ id: '', kind: 'market_launch', day: m.openDay, market: m.slug, description: `${m.name} opens` });
    if (m.fate === 'seized') ctx.events.push({ id: '', kind: 'takedown', day: timeline.seizureDay, market: m.slug,
      description: `${m.name} is seized by law enforcement; its servers and database are taken` });
    if (m.fate === 'exit_scam') ctx.events.push({ id: '', kind: 'exit_scam', day: timeline.exitDay, market: m.slug,
      description: `${m.name}'s operators disappear with the escrow funds` });
  }
  const seen = new Set<string>();
  for (const a of ctx.accounts) {
    const first = a.pgpKeys[0];
    const second = a.pgpKeys[1];
    if (!first || !second || seen.has(a.identityId)) continue;
    seen.add(a.identityId);
    ctx.events.push({ id: '', kind: 'key_rotation', day: second.fromDay, market: a.market ?? undefined, identityId: a.identityId,
      fromAccountId: a.id, fromKey: first.fingerprint, toKey: second.fingerprint,
      description: `${a.handle} switches to a new PGP key` });
  }
  ctx.events.sort((x, y) => x.day - y.day || EVENT_ORDER[x.kind] - EVENT_ORDER[y.kind]
    || (x.toAccountId ?? x.market ?? '').localeCompare(y.toAccountId ?? y.market ?? ''));
  ctx.events.forEach((e, i) => {
    e.id = `E${pad(i + 1, 4)}`;
    for (const k of Object.keys(e) as Array<keyof SimEvent>) if (e[k] === undefined) delete e[k];
  });
}

/**
 * Generates a whole simulated ecosystem from a seed. Deterministic to the byte: the same seed, scale and
 * generator version give the same world (no Math.random, no clock, no iteration over unordered state).
 */
export function generateWorld(opts: WorldOptions): World {
  const seed = String(opts.seed);
  if (seed.length === 0 || seed.length > 200) throw new Error('seed must be a non-empty string of at most 200 characters');
  const p = resolveScale(opts.scale);
  const rng = new Rng(`${WORLD_VERSION}/${seed}`);
  const { markets, weights, timeline } = makeMarkets(rng.fork('markets'), seed, p);
  const ctx: GenContext = {
    seed, rng, p, days: p.days, markets, marketWeight: weights, timeline, plans: [], accounts: [],
    accountAddrs: new Map(), migratedFrom: new Map(), listings: [], specOf: new Map(), buyers: [], sales: [],
    channels: [], messages: [], events: [], migrations: [],
  };
  makeIdentities(ctx);
  const factory = newFactory();
  makeAnchors(ctx, factory);
  makeAliases(ctx, factory);
  migrateVendors(ctx, factory, timeline.seizedMarket, timeline.seizureDay, 'takedown', 0.65);
  migrateVendors(ctx, factory, timeline.exitMarket, timeline.exitDay, 'exit_scam', 0.5);
  const channelPlans = makeChannels(ctx, factory);
  writeProfiles(ctx);
  makeListings(ctx);
  const pools = makeBuyers(ctx);
  makeSales(ctx, pools);
  makeMessages(ctx, channelPlans);
  const seized = makeSeized(ctx);
  scriptedEvents(ctx);
  return {
    version: WORLD_VERSION,
    seed,
    scale: p,
    days: p.days,
    timeline,
    markets,
    identities: ctx.plans.map((pl) => pl.identity),
    accounts: ctx.accounts,
    listings: ctx.listings,
    sales: ctx.sales,
    buyers: ctx.buyers,
    channels: ctx.channels,
    messages: ctx.messages,
    events: ctx.events,
    migrations: ctx.migrations,
    seized: [seized],
  };
}
