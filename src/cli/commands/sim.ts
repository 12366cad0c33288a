// `darkpatrol sim`: generate a seeded world, write its outputs, serve its markets behind the Tor-playing SOCKS5
// proxy, and stay up until Ctrl-C. Stdin accepts "day +N", "day N" and "status" to move the sim clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { DEFAULT_SIM_PORT_BASE, describeSim, startSim, startSimTor, torAvailable, type SimHandle, type TorNetwork } from '../../sim/index.ts';
import { stopSignal } from '../stop-signal.ts';

interface SimCliOptions {
  seed: string;
  scale: string;
  out?: string;
  portBase: string;
  faults: boolean;
  day?: string;
  advanceEvery?: string;
  proxyPassword?: string;
  proxyAuth: boolean;
  tor?: boolean;
  torMarkets?: string;
  json?: boolean;
}

function intOption(name: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value)) throw new UserError(`${name} must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new UserError(`${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

function humanSummary(sim: SimHandle): string {
  const info = describeSim(sim);
  const first = info.markets[0];
  const proxyUser = sim.proxy.password === undefined ? [] : ['--proxy-user', `${sim.proxy.username}:${sim.proxy.password}`];
  const lines = [
    `DarkPatrol simulated dark web — seed ${info.seed}, scale ${info.scale}, sim day ${info.day} (${info.date}) of 0..${info.lastDay}`,
    '',
    `SOCKS5 proxy (plays Tor; use socks5h so .onion names resolve at the proxy): ${sim.proxy.url}`,
    sim.proxy.password === undefined ? '  no proxy authentication' : '  any username works (it isolates circuits, as in Tor); the password is required',
    '',
    table(
      ['market', 'design', 'cur', 'state', 'onion URL', 'login page', 'user / password'],
      info.markets.map((m) => [m.slug, m.design, m.currency, m.state, m.url, m.loginPath, `${m.credentials[0]?.username} / ${m.credentials[0]?.password}`]),
    ),
    '',
    info.outDir
      ? `Outputs in ${info.outDir}:\n${info.outputs.map((f) => `  ${f.path} (${f.bytes} bytes, sha256 ${f.sha256.slice(0, 16)}…)`).join('\n')}`
      : 'No outputs written (use --out DIR for the Telegram exports, the seized SQL dump and truth.json)',
    '',
    'Try:',
    first ? `  curl --socks5-hostname ${sim.proxy.host}:${sim.proxy.port} ${proxyUser.join(' ')} ${first.url.replace(/\/$/, '')}${first.loginPath}` : '',
    '',
    'Type "day +7" (advance), "day 42" (jump), "status" — Ctrl-C to stop.',
  ];
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('sim')
    .description('serve the seeded simulated dark-web ecosystem on loopback (markets over a Tor-like SOCKS5 proxy)')
    .requiredOption('--seed <seed>', 'world seed: the same seed gives byte-identical pages and outputs')
    .option('--scale <preset>', 'world size: tiny, demo, medium, large, alphabay', 'demo')
    .option('--out <dir>', 'write the Telegram exports, seized SQL dump and truth.json here')
    .option('--port-base <n>', 'proxy on this port, market i on port+1+i (0: any free ports)', String(DEFAULT_SIM_PORT_BASE))
    .option('--no-faults', 'turn off onion-style failures (slow answers, 502/503, dropped connections)')
    .option('--day <n>', 'sim day the markets show at start (default 0)')
    .option('--advance-every <seconds>', 'advance the sim clock by one day every so many seconds')
    .option('--proxy-password <pw>', 'proxy password (default: derived from the seed)')
    .option('--no-proxy-auth', 'let clients use the proxy without username/password')
    .option('--tor', 'also serve the markets as real v3 onion services on a private Tor network on loopback (Debian tor; ~40 s to start, ~500 MiB)')
    .option('--tor-markets <slugs>', 'with --tor: only these markets (comma-separated)')
    .option('--json', 'print the addresses, onions and logins as JSON')
    .action(async (opts: SimCliOptions) => {
      const portBase = intOption('--port-base', opts.portBase, 0, 65000);
      const startDay = opts.day === undefined ? undefined : intOption('--day', opts.day, 0, 100_000);
      const every = opts.advanceEvery === undefined ? undefined : intOption('--advance-every', opts.advanceEvery, 1, 86_400);
      let sim: SimHandle;
      try {
        sim = await startSim({
          seed: opts.seed,
          scale: opts.scale,
          outDir: opts.out,
          portBase,
          startDay,
          faults: opts.faults,
          proxyAuth: opts.proxyAuth ? (opts.proxyPassword ? { password: opts.proxyPassword } : undefined) : false,
        });
      } catch (error) {
        throw new UserError(error instanceof Error ? error.message : String(error));
      }
      let tor: TorNetwork | undefined;
      let torDir: string | undefined;
      if (opts.tor) {
        if (!torAvailable()) {
          await sim.stop();
          throw new UserError('--tor needs tor and tor-gencert (Debian package "tor")');
        }
        torDir = mkdtempSync(path.join(tmpdir(), 'darkpatrol-tor-'));
        process.stderr.write(`starting a private Tor network in ${torDir} (authority, 3 relays, onion services)…\n`);
        try {
          tor = await startSimTor(sim, { dir: torDir, markets: opts.torMarkets?.split(',').map((x) => x.trim()).filter(Boolean) });
        } catch (error) {
          await sim.stop();
          throw new UserError(`private Tor network: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const torInfo = tor ? { socks: tor.socksUrl('darkpatrol'), onions: tor.onions, bootstrapMs: tor.bootstrapMs, dir: torDir } : undefined;
      emit(!!opts.json, { ...describeSim(sim), ...(torInfo ? { tor: torInfo } : {}) }, () =>
        torInfo
          ? `${humanSummary(sim)}\n\nReal Tor (private network, ready in ${Math.round(torInfo.bootstrapMs / 1000)} s): crawl with --proxy ${torInfo.socks}\n  (any username: each gets its own circuits; the onions above are real v3 services: ${Object.keys(torInfo.onions).join(', ')})`
          : humanSummary(sim),
      );

      const say = (line: string) => {
        if (opts.json) process.stdout.write(`${JSON.stringify({ event: 'day', day: sim.day, markets: describeSim(sim).markets.map((m) => ({ slug: m.slug, state: m.state })) })}\n`);
        else process.stdout.write(`${line}\n`);
      };
      const timer = every ? setInterval(() => {
        if (sim.day < sim.lastDay) say(`sim day ${sim.advanceDay(1)}`);
      }, every * 1000) : undefined;
      const input = readline.createInterface({ input: process.stdin, terminal: false });
      input.on('line', (raw) => {
        const line = raw.trim();
        const m = /^day\s+([+-]?)(\d+)$/.exec(line);
        try {
          if (m) {
            const n = Number(m[2]);
            const day = m[1] === '+' ? sim.advanceDay(n) : m[1] === '-' ? sim.advanceDay(-n) : sim.setDay(n);
            say(`sim day ${day}: ${describeSim(sim).markets.map((x) => `${x.slug}=${x.state}`).join(' ')}`);
          } else if (line === 'status') {
            say(humanSummary(sim));
          } else if (line) {
            process.stderr.write('commands: "day +N", "day -N", "day N", "status"\n');
          }
        } catch (error) {
          process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        }
      });
      await stopSignal();
      if (timer) clearInterval(timer);
      input.close();
      await tor?.stop();
      if (torDir) rmSync(torDir, { recursive: true, force: true });
      await sim.stop();
    });
}
