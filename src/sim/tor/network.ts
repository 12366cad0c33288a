import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeOnionServiceKeys } from './keys.ts';
import { probeOnion } from './probe.ts';
import { torSocksPort } from './control.ts';

const run = promisify(execFile);

/** An onion service of the private network: a loopback HTTP port published under a v3 address. */
export interface TorServiceSpec {
  /** Name to look the address up by (a market slug). */
  name: string;
  /** 32-byte ed25519 seed of the service key; without it Tor generates a fresh key. */
  keySeed?: Uint8Array;
  /** Loopback port of the HTTP server behind the service. */
  targetPort: number;
  /** Port on the onion address (default 80). */
  virtualPort?: number;
  /** Prefix each stream with a PROXY protocol line carrying the circuit id (HiddenServiceExportCircuitID haproxy). */
  exportCircuitId?: boolean;
}

export interface TorNetworkOptions {
  /** Working directory (torrcs, data directories, logs); must exist and be private. */
  dir: string;
  services: TorServiceSpec[];
  /** Relays besides the directory authority (default 3: four distinct relays are needed for onion circuits). */
  relays?: number;
  /** Give up if the onion services are not reachable through the client within this time (default 150 s). */
  bootstrapTimeoutMs?: number;
  /** Tor binaries (default from $PATH / Debian's /usr/sbin/tor, /usr/bin/tor-gencert). */
  torBin?: string;
  gencertBin?: string;
  log?: (line: string) => void;
  /** Where relay ports come from (default: a port the kernel reports free). Tests hand out a taken one to see the restart. */
  choosePort?: () => Promise<number>;
}

export interface TorNetwork {
  /** The client's SocksPort (IsolateSOCKSAuth, ExtendedErrors): "socks5h://user:password@127.0.0.1:port" works. */
  socksHost: string;
  socksPort: number;
  /** socks5h URL with the given credentials (Tor accepts any; distinct usernames get distinct circuits). */
  socksUrl(username: string, password?: string): string;
  /** Control port of the client (cookie auth, cookie in `controlCookiePath`): to watch streams and circuits. */
  controlPort: number;
  controlCookiePath: string;
  /** Onion hostname per service name. */
  onions: Record<string, string>;
  /** Milliseconds from the first tor process to the first HTTP answer through every onion service. */
  bootstrapMs: number;
  /** The tor processes (authority, relays, client): pid and role. */
  processes: { role: string; pid: number }[];
  stop(): Promise<void>;
}

interface Node {
  role: 'authority' | 'relay' | 'client';
  nick: string;
  dir: string;
  orPort?: number;
  dirPort?: number;
  proc?: ChildProcess;
  /** The last lines tor wrote to stdout/stderr: a failure before the log file is open (a port taken) is only told there. */
  output: string[];
  /** Set once the process has exited and its stdout/stderr are drained. */
  closed?: boolean;
}

/** A tor process could not bind a port chosen for it: another process took it between the choice and the bind. */
class PortTakenError extends Error {}

const PORT_ATTEMPTS = 3;

/** Whether Debian's tor and tor-gencert are installed (the harness cannot run without both). */
export function torAvailable(torBin = findBin('tor'), gencertBin = findBin('tor-gencert')): boolean {
  return torBin !== undefined && gencertBin !== undefined;
}

function findBin(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin'];
  for (const d of dirs) if (d && existsSync(path.join(d, name))) return path.join(d, name);
  return undefined;
}

/** A TCP port free on 127.0.0.1 right now (the kernel's choice); someone else may take it before it is used. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Settings every node shares: a test network on loopback, with voting and flag thresholds short enough to form in seconds. */
function commonTorrc(node: Node, dirAuthority: string): string[] {
  return [
    'TestingTorNetwork 1',
    `DataDirectory ${node.dir}`,
    `Nickname ${node.nick}`,
    'RunAsDaemon 0',
    `__OwningControllerProcess ${process.pid}`, // tor exits when the process that started it is gone
    'ShutdownWaitLength 0',
    `Log notice file ${path.join(node.dir, 'notice.log')}`,
    'SafeLogging 0',
    `DirAuthority ${dirAuthority}`,
    'AssumeReachable 1',
    'Address 127.0.0.1',
    'OutboundBindAddress 127.0.0.1',
    'PathsNeededToBuildCircuits 0.67',
    'TestingDirAuthVoteGuard *',
    'TestingDirAuthVoteExit *',
    'TestingDirAuthVoteHSDir *',
    'TestingMinExitFlagThreshold 0',
    'V3AuthNIntervalsValid 2',
    'ExitPolicy reject *:*', // nothing leaves the private network
    'DisableDebuggerAttachment 0',
  ];
}

/**
 * Starts a complete private Tor network on loopback with Debian's `tor` and `tor-gencert`: one directory authority
 * (also a relay), `relays` more relays, and one client process that both publishes the onion services and offers
 * the SocksPort. Resolves when every onion service answers an HTTP request through the client (descriptors
 * published and fetched), or rejects with the tail of the logs after `bootstrapTimeoutMs`. Nothing reaches
 * beyond 127.0.0.1.
 */
export async function startTorNetwork(o: TorNetworkOptions): Promise<TorNetwork> {
  // Relay ports are chosen free and written into torrcs (and the authority's into every DirAuthority line); on a
  // busy machine another process may take one before tor binds it. Tor then exits before opening its log, and
  // the whole network starts again in a fresh directory with fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTorNetworkOnce(attempt === 1 ? o : { ...o, dir: path.join(o.dir, `retry${attempt}`) });
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw e;
      (o.log ?? (() => undefined))(`${e.message}; starting the network again with other ports`);
    }
  }
}

async function startTorNetworkOnce(o: TorNetworkOptions): Promise<TorNetwork> {
  const torBin = o.torBin ?? findBin('tor');
  const gencertBin = o.gencertBin ?? findBin('tor-gencert');
  if (!torBin || !gencertBin) throw new Error('tor and tor-gencert are required (Debian package "tor")');
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const relayCount = o.relays ?? 3;
  const nodes: Node[] = [];
  const mk = (role: Node['role'], nick: string): Node => {
    const dir = path.join(o.dir, nick);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const n: Node = { role, nick, dir, output: [] };
    nodes.push(n);
    return n;
  };
  const auth = mk('authority', 'auth0');
  const relays = Array.from({ length: relayCount }, (_, i) => mk('relay', `relay${i + 1}`));
  const client = mk('client', 'client');
  const choosePort = o.choosePort ?? freePort;
  for (const n of [auth, ...relays]) {
    n.orPort = await choosePort();
    n.dirPort = await choosePort();
  }
  const defaults = path.join(o.dir, 'torrc-defaults');
  writeFileSync(defaults, '');

  const stop = async () => {
    await Promise.all(nodes.map((n) => stopProcess(n.proc)));
  };

  try {
    // The authority's v3 identity (tor-gencert) and its relay identity fingerprint (tor --list-fingerprint).
    const keys = path.join(auth.dir, 'keys');
    mkdirSync(keys, { recursive: true, mode: 0o700 });
    await new Promise<void>((resolve, reject) => {
      const g = spawn(gencertBin, ['--create-identity-key', '-m', '12', '-a', `127.0.0.1:${auth.dirPort}`, '-i', path.join(keys, 'authority_identity_key'), '-s', path.join(keys, 'authority_signing_key'), '-c', path.join(keys, 'authority_certificate'), '--passphrase-fd', '0'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      g.stderr.on('data', (c: Buffer) => { err += c.toString(); });
      g.on('error', reject);
      g.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tor-gencert failed (${code}): ${err.trim()}`))));
      g.stdin.end('\n');
    });
    const v3ident = /^fingerprint ([0-9A-F]{40})$/m.exec(readFileSync(path.join(keys, 'authority_certificate'), 'latin1'))?.[1];
    if (!v3ident) throw new Error('tor-gencert wrote no fingerprint');
    const fpTorrc = path.join(auth.dir, 'torrc-fingerprint');
    writeFileSync(fpTorrc, [`DataDirectory ${auth.dir}`, `Nickname ${auth.nick}`, `ORPort 127.0.0.1:${auth.orPort}`, 'Address 127.0.0.1', 'SocksPort 0', 'PublishServerDescriptor 0'].join('\n'));
    const { stdout } = await run(torBin, ['--defaults-torrc', defaults, '-f', fpTorrc, '--list-fingerprint', '--quiet'], { timeout: 30_000 });
    const fingerprint = new RegExp(`^${auth.nick} ([0-9A-F ]{40,})$`, 'm').exec(stdout)?.[1]?.replace(/ /g, '');
    if (!fingerprint || fingerprint.length !== 40) throw new Error(`tor --list-fingerprint gave no fingerprint: ${stdout.trim()}`);
    const dirAuthority = `${auth.nick} orport=${auth.orPort} no-v2 v3ident=${v3ident} 127.0.0.1:${auth.dirPort} ${fingerprint}`;

    const torrcs = new Map<Node, string[]>();
    torrcs.set(auth, [
      ...commonTorrc(auth, dirAuthority),
      `ORPort 127.0.0.1:${auth.orPort}`,
      `DirPort 127.0.0.1:${auth.dirPort}`,
      'SocksPort 0',
      'AuthoritativeDirectory 1',
      'V3AuthoritativeDirectory 1',
      'V3AuthVotingInterval 10',
      'V3AuthVoteDelay 2',
      'V3AuthDistDelay 2',
      'TestingV3AuthInitialVotingInterval 10',
      'TestingV3AuthInitialVoteDelay 2',
      'TestingV3AuthInitialDistDelay 2',
      'TestingV3AuthVotingStartOffset 0',
    ]);
    for (const r of relays) {
      torrcs.set(r, [...commonTorrc(r, dirAuthority), `ORPort 127.0.0.1:${r.orPort}`, `DirPort 127.0.0.1:${r.dirPort}`, 'SocksPort 0']);
    }
    const onions: Record<string, string> = {};
    const hs: string[] = [];
    for (const s of o.services) {
      if (!/^[a-z0-9][a-z0-9_-]*$/i.test(s.name)) throw new Error(`service name ${JSON.stringify(s.name)} must be letters, digits, - or _`);
      const hsDir = path.join(client.dir, 'hs', s.name);
      if (s.keySeed) onions[s.name] = writeOnionServiceKeys(hsDir, s.keySeed);
      else mkdirSync(hsDir, { recursive: true, mode: 0o700 });
      hs.push(`HiddenServiceDir ${hsDir}`, `HiddenServicePort ${s.virtualPort ?? 80} 127.0.0.1:${s.targetPort}`);
      if (s.exportCircuitId) hs.push('HiddenServiceExportCircuitID haproxy');
    }
    const cookie = path.join(client.dir, 'control_auth_cookie');
    const controlPortFile = path.join(client.dir, 'control_port');
    // The client starts only once the consensus is complete, tens of seconds after the relays: tor picks its
    // ports itself ("auto") and tells them, so nothing can take them in between.
    torrcs.set(client, [
      ...commonTorrc(client, dirAuthority),
      'SocksPort 127.0.0.1:auto IsolateSOCKSAuth ExtendedErrors',
      'ControlPort 127.0.0.1:auto',
      `ControlPortWriteToFile ${controlPortFile}`,
      'CookieAuthentication 1',
      `CookieAuthFile ${cookie}`,
      ...hs,
    ]);

    const launch = (n: Node) => {
      const torrc = path.join(n.dir, 'torrc');
      writeFileSync(torrc, `${torrcs.get(n)!.join('\n')}\n`);
      // Until its log file is open (after the ports are bound) tor reports on stdout: a port taken is only told there.
      n.proc = spawn(torBin, ['--defaults-torrc', defaults, '-f', torrc], { stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (c: Buffer) => {
        const text = c.toString().trim();
        n.output.push(...text.split('\n'));
        n.output.splice(0, Math.max(0, n.output.length - 20));
        log(`${n.nick}: ${text}`);
      };
      n.proc.stdout?.on('data', keep);
      n.proc.stderr?.on('data', keep);
      n.proc.on('close', () => { n.closed = true; });
      n.proc.on('exit', (code, signal) => log(`${n.nick} exited (${signal ?? code})`));
    };
    const deadline = started + (o.bootstrapTimeoutMs ?? 150_000);
    const checkAlive = () => {
      const dead = nodes.find((n) => n.closed);
      if (!dead) return;
      const output = dead.output.join('\n');
      const message = `${dead.nick} exited with code ${dead.proc?.exitCode}:\n${logTail(dead.dir)}${output ? `\noutput:\n${output}` : ''}`;
      throw /Address already in use|Failed to bind/.test(output) ? new PortTakenError(message) : new Error(message);
    };
    // The relays first; the client only once a consensus lists all of them as HSDirs, so its first consensus is
    // complete (a client that starts on a partial consensus waits a long while for the next one).
    for (const n of [auth, ...relays]) launch(n);
    log(`private Tor network: authority and ${relays.length} relays started`);
    for (;;) {
      checkAlive();
      const hsdirs = await consensusHsDirs(auth.dirPort!);
      if (hsdirs >= relays.length + 1) break;
      if (Date.now() > deadline) throw new Error(`the authority's consensus lists ${hsdirs} of ${relays.length + 1} relays as HSDirs after ${o.bootstrapTimeoutMs ?? 150_000} ms:\n${logTail(auth.dir)}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    log(`consensus complete after ${Date.now() - started} ms; starting the client and onion services`);
    launch(client);
    const controlPort = await waitForControlPort(controlPortFile, 30_000, checkAlive);
    await waitForFile(cookie, 30_000, checkAlive);
    const socksPort = await torSocksPort(controlPort, cookie);
    log(`client: SocksPort ${socksPort}, ControlPort ${controlPort}`);

    for (const s of o.services) {
      if (!onions[s.name]) onions[s.name] = (await waitForFile(path.join(client.dir, 'hs', s.name, 'hostname'), 30_000, checkAlive)).trim();
    }
    // Reachable means: the descriptor is published on the HSDirs, fetched by the client, and a rendezvous worked.
    // Until then tor answers "descriptor not found" or "no more HSDir available": keep asking.
    for (const s of o.services) {
      const host = onions[s.name]!;
      for (let attempt = 1; ; attempt++) {
        checkAlive();
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`onion service ${s.name} (${host}) not reachable within ${o.bootstrapTimeoutMs ?? 150_000} ms; client log:\n${logTail(client.dir)}`);
        const r = await probeOnion({ socksPort, host, port: s.virtualPort ?? 80, username: `bootstrap-${attempt}`, timeoutMs: Math.min(20_000, left) });
        if (r.ok) break;
        log(`waiting for ${s.name}: ${r.error}`);
        await new Promise((res) => setTimeout(res, 1000));
      }
    }
    const bootstrapMs = Date.now() - started;
    log(`private Tor network ready in ${bootstrapMs} ms`);
    return {
      socksHost: '127.0.0.1',
      socksPort,
      socksUrl: (username, password = 'x') => `socks5h://${encodeURIComponent(username)}:${encodeURIComponent(password)}@127.0.0.1:${socksPort}`,
      controlPort,
      controlCookiePath: cookie,
      onions,
      bootstrapMs,
      processes: nodes.map((n) => ({ role: n.role, pid: n.proc?.pid ?? 0 })),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Relays with the HSDir flag in the authority's current consensus (0 while there is none). */
async function consensusHsDirs(dirPort: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${dirPort}/tor/status-vote/current/consensus`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return 0;
    const text = await res.text();
    return text.split('\n').filter((l) => l.startsWith('s ') && / HSDir( |$)/.test(l) && / Running( |$)/.test(l)).length;
  } catch {
    return 0;
  }
}

function logTail(dir: string, lines = 25): string {
  const f = path.join(dir, 'notice.log');
  if (!existsSync(f)) return '(no log)';
  return readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The port tor chose for "ControlPort …:auto", from its ControlPortWriteToFile ("PORT=127.0.0.1:9051"). */
async function waitForControlPort(file: string, timeoutMs: number, checkAlive: () => void): Promise<number> {
  const text = await waitForFile(file, timeoutMs, checkAlive);
  const port = Number(/^PORT=127\.0\.0\.1:(\d+)$/m.exec(text)?.[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`unexpected ${file}: ${JSON.stringify(text)}`);
  return port;
}

async function waitForFile(file: string, timeoutMs: number, checkAlive: () => void = () => undefined): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    checkAlive();
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text.trim()) return text;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} did not appear within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after 2 s: a tor process may hang on SIGTERM. */
async function stopProcess(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(t);
}
