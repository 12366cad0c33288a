import { readFileSync } from 'node:fs';
import net from 'node:net';

/** One STREAM event of Tor's control protocol (control-spec §4.1.2): which circuit carried which request. */
export interface TorStreamEvent {
  streamId: string;
  status: string;
  circuitId: string;
  target: string;
  /** The SOCKS username the client gave (the crawler's isolation key). */
  socksUsername?: string;
}

export interface StreamWatch {
  readonly events: TorStreamEvent[];
  close(): void;
}

/**
 * Subscribes to STREAM events on a tor control port (cookie authentication) and keeps them: tests read them to see
 * that distinct SOCKS usernames travelled on distinct circuits (IsolateSOCKSAuth).
 */
export async function watchTorStreams(port: number, cookiePath: string, timeoutMs = 10_000): Promise<StreamWatch> {
  const cookie = readFileSync(cookiePath).toString('hex');
  const s = net.connect({ host: '127.0.0.1', port });
  const events: TorStreamEvent[] = [];
  let buf = '';
  let ready: (() => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  let oks = 0;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const timer = setTimeout(() => failed?.(new Error(`tor control port ${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
  s.setEncoding('latin1');
  s.on('error', (e) => failed?.(e));
  s.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      if (line.startsWith('250 OK')) {
        if (++oks === 2) ready?.();
      } else if (/^[45]\d\d /.test(line)) failed?.(new Error(`tor control: ${line}`));
      else if (line.startsWith('650 STREAM ')) {
        const [, , streamId = '', status = '', circuitId = '', target = ''] = line.split(' ');
        const user = /SOCKS_USERNAME="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
        events.push({ streamId, status, circuitId, target, ...(user !== undefined ? { socksUsername: user } : {}) });
      }
    }
  });
  s.write(`AUTHENTICATE ${cookie}\r\nSETEVENTS STREAM\r\n`);
  try {
    await started;
  } catch (e) {
    s.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    events,
    close: () => s.destroy(),
  };
}

/** The port of tor's SocksPort listener (GETINFO net/listeners/socks, control-spec §3.9): for "SocksPort auto". */
export async function torSocksPort(port: number, cookiePath: string, timeoutMs = 10_000): Promise<number> {
  const reply = await torControlCommand(port, cookiePath, 'GETINFO net/listeners/socks', timeoutMs);
  const listener = /net\/listeners\/socks="127\.0\.0\.1:(\d+)"/.exec(reply)?.[1];
  if (!listener) throw new Error(`tor control: no loopback SocksPort listener in ${JSON.stringify(reply)}`);
  return Number(listener);
}

/** Authenticates with the cookie, sends one command and returns its reply lines (up to the final "250 OK"). */
async function torControlCommand(port: number, cookiePath: string, command: string, timeoutMs: number): Promise<string> {
  const cookie = readFileSync(cookiePath).toString('hex');
  const s = net.connect({ host: '127.0.0.1', port });
  s.setEncoding('latin1');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tor control port ${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
      let buf = '';
      let oks = 0;
      const lines: string[] = [];
      s.on('error', (e) => { clearTimeout(timer); reject(e); });
      s.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 2);
          if (/^[45]\d\d /.test(line)) {
            clearTimeout(timer);
            reject(new Error(`tor control: ${line}`));
          } else if (line.startsWith('250 OK') && ++oks === 2) {
            clearTimeout(timer);
            resolve(lines.join('\n'));
          } else if (oks === 1) lines.push(line);
        }
      });
      s.write(`AUTHENTICATE ${cookie}\r\n${command}\r\n`);
    });
  } finally {
    s.destroy();
  }
}
