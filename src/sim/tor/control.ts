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
  const events: TorStreamEvent[] = [];
  const { socket } = await torControl(port, cookiePath, 'SETEVENTS STREAM', timeoutMs, (line) => {
    if (!line.startsWith('650 STREAM ')) return;
    const [, , streamId = '', status = '', circuitId = '', target = ''] = line.split(' ');
    const user = /SOCKS_USERNAME="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    events.push({ streamId, status, circuitId, target, ...(user !== undefined ? { socksUsername: user } : {}) });
  });
  return {
    events,
    close: () => socket.destroy(),
  };
}

/** The port of tor's SocksPort listener (GETINFO net/listeners/socks, control-spec §3.9): for "SocksPort auto". */
export async function torSocksPort(port: number, cookiePath: string, timeoutMs = 10_000): Promise<number> {
  const { socket, reply } = await torControl(port, cookiePath, 'GETINFO net/listeners/socks', timeoutMs);
  socket.destroy();
  const listener = /net\/listeners\/socks="127\.0\.0\.1:(\d+)"/.exec(reply)?.[1];
  if (!listener) throw new Error(`tor control: no loopback SocksPort listener in ${JSON.stringify(reply)}`);
  return Number(listener);
}

/**
 * Opens a control connection, authenticates with the cookie and sends one command; resolves with the open socket and
 * the command's reply lines once tor has answered both with "250 OK". Lines after that (asynchronous events) go to
 * `onEvent`. A 4xx/5xx answer or no answer within `timeoutMs` rejects and closes the socket.
 */
async function torControl(port: number, cookiePath: string, command: string, timeoutMs: number, onEvent: (line: string) => void = () => undefined): Promise<{ socket: net.Socket; reply: string }> {
  const cookie = readFileSync(cookiePath).toString('hex');
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setEncoding('latin1');
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tor control port ${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
      let buf = '';
      let oks = 0;
      const lines: string[] = [];
      socket.on('error', (e) => { clearTimeout(timer); reject(e); });
      socket.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 2);
          if (oks === 2) onEvent(line);
          else if (/^[45]\d\d /.test(line)) {
            clearTimeout(timer);
            reject(new Error(`tor control: ${line}`));
          } else if (line.startsWith('250 OK') && ++oks === 2) {
            clearTimeout(timer);
            resolve(lines.join('\n'));
          } else if (oks === 1) lines.push(line);
        }
      });
      socket.write(`AUTHENTICATE ${cookie}\r\n${command}\r\n`);
    });
    return { socket, reply };
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
