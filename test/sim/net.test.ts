import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocksClient } from 'socks';
import { ed25519 } from '@noble/curves/ed25519.js';
import { onionFromPublicKey } from '../../src/domain/onion.ts';
import { onionOnlyResolver, Socks5Server, SocksReply } from '../../src/sim/net/index.ts';

const ONION = onionFromPublicKey(ed25519.getPublicKey(new Uint8Array(32).fill(1)));
const OFFLINE_ONION = onionFromPublicKey(ed25519.getPublicKey(new Uint8Array(32).fill(2)));
const UNKNOWN_ONION = onionFromPublicKey(ed25519.getPublicKey(new Uint8Array(32).fill(3)));

interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Sends raw bytes to the proxy and collects everything it answers until it closes (bounded by a timeout). */
function rawExchange(port: number, chunks: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(received));
    }, 3000);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.on('data', (d) => received.push(d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
    socket.on('error', reject);
  });
}

describe('SOCKS5 proxy that knows only sim onions', () => {
  let web: http.Server;
  let webPort = 0;
  let proxy: Socks5Server;
  let open: Socks5Server;

  beforeAll(async () => {
    web = http.createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from the onion service; host=${req.headers.host}; path=${req.url}`);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webPort = (web.address() as net.AddressInfo).port;
    const resolve = onionOnlyResolver((onion) => {
      if (onion === ONION) return { port: webPort, online: true };
      if (onion === OFFLINE_ONION) return { port: webPort, online: false };
      return undefined;
    });
    proxy = new Socks5Server({ resolve, auth: { password: 'sesame' } });
    await proxy.listen();
    open = new Socks5Server({ resolve });
    await open.listen();
  });

  afterAll(async () => {
    await proxy.close();
    await open.close();
    await new Promise<void>((resolve) => web.close(() => resolve()));
  });

  it('serves an onion page to real curl --socks5-hostname with --proxy-user', async () => {
    const result = await curl(['--socks5-hostname', `127.0.0.1:${proxy.port}`, '--proxy-user', 'alice:sesame', `http://${ONION}/index?x=1`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`host=${ONION}`);
    expect(result.stdout).toContain('path=/index?x=1');
  });

  it('refuses a wrong password, and clients that do not offer username/password', async () => {
    const result = await curl(['--socks5-hostname', `127.0.0.1:${proxy.port}`, '--proxy-user', 'alice:wrong', `http://${ONION}/`]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(proxy.connectionLog().some((e) => e.username === 'alice' && e.reply === 'auth-failed')).toBe(true);

    const noAuth = await rawExchange(proxy.port, [Buffer.from([0x05, 0x01, 0x00])]);
    expect([...noAuth]).toEqual([0x05, 0xff]);
  });

  it('refuses a clearnet name and an IP literal (even the service’s own port)', async () => {
    const clearnet = await curl(['--socks5-hostname', `127.0.0.1:${proxy.port}`, '--proxy-user', 'bob:sesame', 'http://example.com/']);
    expect(clearnet.code).not.toBe(0);
    const literal = await curl(['--socks5-hostname', `127.0.0.1:${proxy.port}`, '--proxy-user', 'bob:sesame', `http://127.0.0.1:${webPort}/`]);
    expect(literal.code).not.toBe(0);
    expect(literal.stdout).toBe('');
    const bob = proxy.connectionLog().filter((e) => e.username === 'bob');
    expect(bob.map((e) => [e.destination, e.reply])).toEqual([
      ['example.com:80', SocksReply.notAllowed],
      [`127.0.0.1:${webPort}`, SocksReply.notAllowed],
    ]);
  });

  it('counts connections per username (circuit isolation by credential)', async () => {
    for (const user of ['iso-a', 'iso-b', 'iso-b']) {
      const r = await curl(['--socks5-hostname', `127.0.0.1:${proxy.port}`, '--proxy-user', `${user}:sesame`, `http://${ONION}/`]);
      expect(r.code).toBe(0);
    }
    expect(proxy.connectionCount('iso-a')).toBe(1);
    expect(proxy.connectionCount('iso-b')).toBe(2);
    expect(proxy.connectionsByUsername().get('nobody')).toBeUndefined();
  });

  it('works with a third-party SOCKS client (socks package) and reports RFC 1928 reply codes', async () => {
    const proxyConf = { host: '127.0.0.1', port: proxy.port, type: 5 as const, userId: 'carol', password: 'sesame' };
    const { socket } = await SocksClient.createConnection({
      proxy: proxyConf,
      command: 'connect',
      destination: { host: ONION, port: 80 },
      timeout: 5000,
    });
    const body = await new Promise<string>((resolve, reject) => {
      const parts: Buffer[] = [];
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      socket.on('error', reject);
      socket.write(`GET /via-socks HTTP/1.1\r\nHost: ${ONION}\r\nConnection: close\r\n\r\n`);
    });
    expect(body).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(body).toContain('path=/via-socks');

    const attempt = (host: string, port = 80) =>
      SocksClient.createConnection({ proxy: proxyConf, command: 'connect', destination: { host, port }, timeout: 5000 }).then(
        (r) => {
          r.socket.destroy();
          return 'connected';
        },
        (e: Error) => e.message,
      );
    expect(await attempt(UNKNOWN_ONION)).toMatch(/HostUnreachable/);
    expect(await attempt(OFFLINE_ONION)).toMatch(/HostUnreachable/);
    expect(await attempt(`${ONION.slice(0, 10)}aaaa${ONION.slice(14)}`)).toMatch(/HostUnreachable/);
    expect(await attempt(ONION, 443)).toMatch(/ConnectionRefused/);
    expect(await attempt('torproject.org')).toMatch(/NotAllowed/);
    expect(await attempt('10.0.0.1')).toMatch(/NotAllowed/);
    expect(await attempt(`WWW.${ONION.toUpperCase()}`)).toBe('connected');
  });

  it('answers 0x07 for BIND/UDP ASSOCIATE and 0x08 for an unknown address type', async () => {
    const greeting = Buffer.from([0x05, 0x01, 0x00]);
    const onionBytes = Buffer.from(ONION, 'latin1');
    for (const command of [0x02, 0x03]) {
      const bind = Buffer.concat([Buffer.from([0x05, command, 0x00, 0x03, onionBytes.length]), onionBytes, Buffer.from([0, 80])]);
      const reply = await rawExchange(open.port, [greeting, bind]);
      expect(reply[3]).toBe(SocksReply.commandNotSupported);
    }
    const request = Buffer.from([0x05, 0x01, 0x00, 0x09, 1, 2, 3, 4, 0, 80]);
    const answer = await rawExchange(open.port, [greeting, request]);
    expect([...answer.subarray(0, 2)]).toEqual([0x05, 0x00]);
    expect(answer[3]).toBe(SocksReply.addressTypeNotSupported);
  });

  it('without configured auth accepts no-auth clients and still records offered usernames', async () => {
    const plain = await curl(['--socks5-hostname', `127.0.0.1:${open.port}`, `http://${ONION}/`]);
    expect(plain.code).toBe(0);
    const named = await curl(['--socks5-hostname', `127.0.0.1:${open.port}`, '--proxy-user', 'dave:anything', `http://${ONION}/`]);
    expect(named.code).toBe(0);
    expect(open.connectionCount('')).toBeGreaterThanOrEqual(1);
    expect(open.connectionCount('dave')).toBe(1);
  });

  it('bounds simultaneous connections', async () => {
    const small = new Socks5Server({ resolve: () => ({ kind: 'refuse', reply: SocksReply.notAllowed, reason: 'test' }), maxConnections: 1 });
    await small.listen();
    try {
      const holder = net.connect({ host: '127.0.0.1', port: small.port });
      await new Promise((r) => holder.once('connect', r));
      holder.write(Buffer.from([0x05, 0x01, 0x00]));
      await new Promise((r) => holder.once('data', r)); // the first client is in its handshake
      const second = await rawExchange(small.port, [Buffer.from([0x05, 0x01, 0x00])]);
      expect(second.length).toBe(0); // closed without an answer
      holder.destroy();
    } finally {
      await small.close();
    }
  });

  it('closes a client that speaks another protocol', async () => {
    const garbage = await rawExchange(open.port, [Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
    expect(garbage.length).toBe(0);
    expect(open.connectionLog().some((e) => e.reply === 'protocol-error')).toBe(true);
  });
});
