// Serving a simulated world: one HTTP server per market on 127.0.0.1 and the SOCKS5 proxy that plays Tor,
// all rendering the world as of one shared sim clock.
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { onionOnlyResolver, Socks5Server } from './net/index.ts';
import { MarketServer, PhishingClone, SimClock, derivedOnion, isOnline, marketSigningKey, accountTwoFactorKey, marketState, resolveDefences } from './markets/index.ts';
import type { CloneKind, DefenceSwitches, FaultOptions, MarketDefences, MarketState, RateLimitOptions } from './markets/index.ts';
import { SCALE_PRESETS, dayToIsoDate, generateWorld, isScalePreset } from './world/index.ts';
import type { DisplayCurrency, MarketDesign, SimCredential, SimDay, World, WorldOptions } from './world/index.ts';
import { writeSimOutputs, type SimOutputManifest } from './exports/index.ts';

export interface ProxyAuthOption {
  /** When set, only this username is accepted; otherwise any username works (it is the isolation key, as in Tor). */
  username?: string;
  password: string;
}

export interface ServeWorldOptions {
  /** Onion-style failures (default on); false turns them off, an object tunes them. */
  faults?: boolean | FaultOptions;
  /** Proxy credentials; default: any username with a password derived from the world seed. false: no auth. */
  proxyAuth?: ProxyAuthOption | false;
  /** The proxy listens on portBase, market i on portBase + 1 + i. Default 0: free ports. */
  portBase?: number;
  /** The sim day the markets show at start. Default 0. */
  startDay?: SimDay;
  /** Per-client request limit of every market (default 120 per 10 s); false turns it off. */
  rateLimit?: RateLimitOptions | false;
  /** Lifetime of a market login session in real milliseconds (default 30 min). */
  sessionTtlMs?: number;
  /** Defences per market slug (all off by default): anti-DDoS front, two-factor, mirrors, phishing clones, forced logouts. */
  defences?: Record<string, DefenceSwitches>;
}

/** What a market's defences look like from outside (what an analyst could learn, plus the clones' ground truth). */
export interface ServedDefences {
  switched: MarketDefences;
  /** The market's PGP public key (armored) and fingerprint: pin it when adding the market. */
  signingKey: string;
  signingFingerprint: string;
  mirrorsPath?: string;
  /** Onions alive on the day the sim started (they rotate with the sim day; see SimServing.liveOnions). */
  onionsAtStart: string[];
  /** Ground truth: the phishing clones of this market. */
  phishingClones: Array<{ onion: string; kind: CloneKind }>;
  twoFactor?: { path: string; field: string };
  antiDdosCookie?: string;
}

/** An undercover login of a sim market; with two-factor on, the secret key the account registered (armored). */
export interface ServedCredential extends SimCredential {
  pgpPrivateKey?: string;
  pgpFingerprint?: string;
}

export interface ServedMarket {
  slug: string;
  name: string;
  design: MarketDesign;
  currency: DisplayCurrency;
  /** v3 onion hostname ("<56 chars>.onion"). */
  onion: string;
  /** "http://<onion>/": the URL to open through the proxy. */
  url: string;
  /** Loopback port of the HTTP server (crawlers must not use it directly; tests may). */
  port: number;
  /** Path of the login form (the form posts to the same path). */
  loginPath: string;
  /** Login form field names. */
  loginFields: { username: string; password: string; captcha: string; csrf: string };
  credentials: ServedCredential[];
  /** Present when the market runs any defence. */
  defences?: ServedDefences;
}

export interface ProxyInfo {
  host: '127.0.0.1';
  port: number;
  /** Username to show in examples; with the default auth any username is accepted. */
  username?: string;
  password?: string;
  /** "socks5h://user:password@127.0.0.1:port" (or without credentials). */
  url: string;
}

export interface SimServing {
  world: World;
  proxy: ProxyInfo;
  markets: ServedMarket[];
  /** The day the markets currently show. */
  readonly day: SimDay;
  /** Last day of the simulation (days - 1). */
  readonly lastDay: SimDay;
  /** Moves the sim clock by n days (negative moves back) and returns the new day. */
  advanceDay(n: number): SimDay;
  setDay(day: SimDay): SimDay;
  /** What a market is doing today (up, seized, maintenance, gone, not-launched). */
  marketState(slug: string): MarketState;
  /** The market's server object (test hooks, counters). */
  server(slug: string): MarketServer;
  /** The SOCKS5 proxy (per-username counters, connection log). */
  readonly proxyServer: Socks5Server;
  /** Test hook: see MarketServer.peekCaptchaAnswer (needs DARKPATROL_SIM_TEST_HOOKS=1). */
  peekCaptchaAnswer(slug: string, captchaId: string): string | undefined;
  /** The market's onions alive today (they rotate when the mirror defence is on). */
  liveOnions(slug: string): string[];
  /** The phishing clone servers of a market (their logs are the ground truth of stolen credentials). */
  clones(slug: string): PhishingClone[];
  stop(): Promise<void>;
}

/** The default proxy password of a world: stable for a seed, so scripts can be written once. */
export function defaultProxyPassword(seed: string): string {
  return Buffer.from(sha256(utf8ToBytes(`darkpatrol-sim/proxy/${seed}`))).toString('hex').slice(0, 16);
}

export const DEFAULT_PROXY_USERNAME = 'darkpatrol';

/** Starts every market server and the proxy for an already generated world. */
export async function serveWorld(world: World, options: ServeWorldOptions = {}): Promise<SimServing> {
  const portBase = options.portBase ?? 0;
  if (!Number.isInteger(portBase) || portBase < 0 || portBase + world.markets.length > 65535) {
    throw new Error(`port base must be an integer in 0..${65535 - world.markets.length}, got ${portBase}`);
  }
  const clock = new SimClock(options.startDay ?? 0, { min: Math.min(0, options.startDay ?? 0), max: world.days - 1 });
  const servers = new Map<string, MarketServer>();
  const clones = new Map<string, PhishingClone[]>();
  const started: Array<{ close(): Promise<void> }> = [];
  const slugs = new Set(world.markets.map((m) => m.slug));
  for (const slug of Object.keys(options.defences ?? {})) {
    if (!slugs.has(slug)) throw new Error(`defences for unknown market ${JSON.stringify(slug)} (markets: ${[...slugs].join(', ')})`);
  }
  try {
    for (const [i, market] of world.markets.entries()) {
      const server = new MarketServer({
        world,
        market,
        clock,
        port: portBase === 0 ? 0 : portBase + 1 + i,
        faults: options.faults,
        rateLimit: options.rateLimit,
        sessionTtlMs: options.sessionTtlMs,
        defences: resolveDefences(market, options.defences?.[market.slug]),
      });
      await server.listen().catch((error: NodeJS.ErrnoException) => {
        throw new Error(`market ${market.slug} cannot listen on 127.0.0.1:${portBase === 0 ? 0 : portBase + 1 + i}: ${error.code ?? error.message}`);
      });
      started.push(server);
      servers.set(market.slug, server);
      const cloneCount = server.defences?.phishingClones?.count ?? 0;
      const list: PhishingClone[] = [];
      for (let n = 0; n < cloneCount; n++) {
        const clone = new PhishingClone({
          onion: derivedOnion(market, 'clone', n),
          kind: (['rewrite', 'resign'] as const)[(n + market.serverSeed.charCodeAt(0)) % 2] as CloneKind,
          market,
          design: server.design,
          marketPort: () => server.port,
          marketOnions: () => server.liveOnions(),
          day: () => clock.day,
          twoFactorPath: server.twoFactorForm?.path,
          twoFactorField: server.twoFactorForm?.field,
          mirrorsPath: server.mirrors?.options.path,
        });
        await clone.listen();
        started.push(clone);
        list.push(clone);
      }
      clones.set(market.slug, list);
    }
    // Every onion the proxy knows: each market's own (and, with rotation, every mirror it will ever have) and clones.
    const byOnion = new Map<string, { market: (typeof world.markets)[number]; clone?: PhishingClone }>();
    for (const m of world.markets) {
      const server = servers.get(m.slug) as MarketServer;
      for (const onion of server.mirrors ? server.mirrors.allUntil(world.days - 1) : [m.onion]) byOnion.set(onion, { market: m });
      for (const clone of clones.get(m.slug) ?? []) byOnion.set(clone.onion, { market: m, clone });
    }
    const auth = options.proxyAuth === false ? undefined
      : options.proxyAuth ?? { password: defaultProxyPassword(world.seed) };
    const proxyServer = new Socks5Server({
      port: portBase,
      auth,
      resolve: onionOnlyResolver((onion) => {
        const known = byOnion.get(onion);
        const server = known ? servers.get(known.market.slug) : undefined;
        if (!known || !server) return undefined;
        const up = isOnline(marketState(known.market, clock.day));
        if (known.clone) return { port: known.clone.port, online: up, exportCircuitId: true };
        const live = !server.mirrors || server.liveOnions().includes(onion);
        return { port: server.port, online: up && live, exportCircuitId: server.front !== undefined };
      }),
    });
    await proxyServer.listen().catch((error: NodeJS.ErrnoException) => {
      throw new Error(`SOCKS5 proxy cannot listen on 127.0.0.1:${portBase}: ${error.code ?? error.message}`);
    });
    started.push(proxyServer);

    const username = auth ? (auth.username ?? DEFAULT_PROXY_USERNAME) : undefined;
    const password = auth?.password;
    const userinfo = auth ? `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password ?? '')}@` : '';
    const markets: ServedMarket[] = world.markets.map((m) => {
      const server = servers.get(m.slug) as MarketServer;
      return {
        slug: m.slug,
        name: m.name,
        design: m.design,
        currency: m.currency,
        onion: m.onion,
        url: `http://${m.onion}/`,
        port: server.port,
        loginPath: server.design.loginPath,
        loginFields: { ...server.design.fields },
        credentials: m.credentials.map((c): ServedCredential => {
          if (!server.defences?.twoFactor?.usernames.includes(c.username)) return { ...c };
          const key = accountTwoFactorKey(m, c.username);
          return { ...c, pgpPrivateKey: key.secretArmored, pgpFingerprint: key.fingerprint };
        }),
        ...(server.defences ? { defences: servedDefences(server, clones.get(m.slug) ?? []) } : {}),
        ...(server.mirrors ? { url: `http://${server.liveOnions()[0]}/`, onion: server.liveOnions()[0] as string } : {}),
      };
    });
    const serverOf = (slug: string): MarketServer => {
      const s = servers.get(slug);
      if (!s) throw new Error(`no market ${JSON.stringify(slug)} (markets: ${[...servers.keys()].join(', ')})`);
      return s;
    };
    let stopped = false;
    return {
      world,
      proxy: { host: '127.0.0.1', port: proxyServer.port, username, password, url: `socks5h://${userinfo}127.0.0.1:${proxyServer.port}` },
      markets,
      get day() {
        return clock.day;
      },
      lastDay: world.days - 1,
      advanceDay: (n) => clock.advance(n),
      setDay: (day) => clock.set(day),
      marketState: (slug) => marketState(serverOf(slug).market, clock.day),
      server: serverOf,
      proxyServer,
      peekCaptchaAnswer: (slug, id) => serverOf(slug).peekCaptchaAnswer(id),
      liveOnions: (slug) => serverOf(slug).liveOnions(),
      clones: (slug) => {
        serverOf(slug);
        return [...(clones.get(slug) ?? [])];
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }
}

function servedDefences(server: MarketServer, clones: PhishingClone[]): ServedDefences {
  const key = marketSigningKey(server.market);
  return {
    switched: server.defences ?? {},
    signingKey: key.armored,
    signingFingerprint: key.fingerprint,
    mirrorsPath: server.mirrors?.options.path,
    onionsAtStart: server.liveOnions(),
    phishingClones: clones.map((c) => ({ onion: c.onion, kind: c.kind })),
    twoFactor: server.twoFactorForm ? { ...server.twoFactorForm } : undefined,
    antiDdosCookie: server.defences?.antiDdos?.cookieName,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// startSim: generate + write outputs + serve

/** Default proxy port of `darkpatrol sim` (markets follow on the next ports). Not 9050/9150, which Tor uses. */
export const DEFAULT_SIM_PORT_BASE = 19050;

export interface StartSimOptions extends ServeWorldOptions {
  seed: string | number;
  /** Scale preset name ('tiny', 'demo', 'medium', 'large', 'alphabay') or numeric overrides. Default 'demo'. */
  scale?: WorldOptions['scale'] | string;
  /** Directory for the world's files (Telegram exports, seized SQL dump, truth.json); none written without it. */
  outDir?: string;
}

export interface SimHandle extends SimServing {
  seed: string;
  /** Scale preset name, or 'custom'. */
  scaleName: string;
  /** Absolute directory the outputs were written to, when `outDir` was given. */
  outDir?: string;
  /** What was written there (files with sizes and SHA-256, seized row counts). */
  outputs?: SimOutputManifest;
}

/** Generates the world of a seed, writes its outputs (when `outDir` is given) and serves it. */
export async function startSim(options: StartSimOptions): Promise<SimHandle> {
  const scale = options.scale ?? 'demo';
  if (typeof scale === 'string' && !isScalePreset(scale)) {
    throw new Error(`unknown scale ${JSON.stringify(scale)} (use ${Object.keys(SCALE_PRESETS).join(', ')})`);
  }
  const world = generateWorld({ seed: options.seed, scale: scale as WorldOptions['scale'] });
  let outDir: string | undefined;
  let outputs: SimOutputManifest | undefined;
  if (options.outDir !== undefined) {
    outDir = path.resolve(options.outDir);
    outputs = await writeSimOutputs(world, outDir);
  }
  const serving = await serveWorld(world, options);
  return Object.assign(serving, { seed: world.seed, scaleName: typeof scale === 'string' ? scale : 'custom', outDir, outputs });
}

/** A plain, JSON-ready description of a running sim (what `darkpatrol sim --json` prints). */
export function describeSim(sim: SimHandle): {
  seed: string;
  scale: string;
  day: SimDay;
  date: string;
  lastDay: SimDay;
  proxy: ProxyInfo;
  markets: Array<ServedMarket & { state: MarketState }>;
  outDir: string | null;
  outputs: Array<{ path: string; bytes: number; sha256: string }>;
  curlExample: string | null;
} {
  const first = sim.markets.find((m) => isOnline(sim.marketState(m.slug))) ?? sim.markets[0];
  const auth = sim.proxy.password === undefined ? '' : ` --proxy-user ${sim.proxy.username}:${sim.proxy.password}`;
  return {
    seed: sim.seed,
    scale: sim.scaleName,
    day: sim.day,
    date: dayToIsoDate(sim.day),
    lastDay: sim.lastDay,
    proxy: { ...sim.proxy },
    markets: sim.markets.map((m) => ({ ...m, state: sim.marketState(m.slug) })),
    outDir: sim.outDir ?? null,
    outputs: sim.outputs?.files ?? [],
    curlExample: first ? `curl --socks5-hostname ${sim.proxy.host}:${sim.proxy.port}${auth} ${first.url.replace(/\/$/, '')}${first.loginPath}` : null,
  };
}
