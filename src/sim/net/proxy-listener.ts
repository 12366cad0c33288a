// Accepts TCP connections for an HTTP server, reading an optional PROXY v1 line first (Tor's
// HiddenServiceExportCircuitID): the circuit id is kept per socket for the request handlers.
import net from 'node:net';
import type http from 'node:http';
import { PROXY_HEADER_MAX, parseProxyHeader } from './proxy-protocol.ts';

const circuits = new WeakMap<net.Socket, number>();

/** The circuit id the proxy exported for this connection, or undefined (no PROXY line: a direct connection). */
export function circuitOf(socket: net.Socket): number | undefined {
  return circuits.get(socket);
}

/** A net.Server that hands each connection to `server` once an optional PROXY line has been read off it. */
export function proxyProtocolListener(server: http.Server, onSocket?: (socket: net.Socket) => void): net.Server {
  return net.createServer((socket) => {
    onSocket?.(socket);
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const head = buffered.subarray(0, 6).toString('latin1');
      if (buffered.length < 6 && 'PROXY '.startsWith(head)) return; // not enough bytes yet to tell
      if (head === 'PROXY ') {
        const end = buffered.indexOf('\r\n');
        if (end < 0) {
          if (buffered.length > PROXY_HEADER_MAX) socket.destroy();
          return;
        }
        const id = parseProxyHeader(buffered.subarray(0, end).toString('latin1'));
        if (id === undefined) {
          socket.destroy();
          return;
        }
        circuits.set(socket, id);
        buffered = buffered.subarray(end + 2);
      }
      socket.off('data', onData);
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
      server.emit('connection', socket);
      // The HTTP parser reads the socket's handle directly; resuming hands it what was read ahead (unshifted) too.
      socket.resume();
    };
    socket.on('data', onData);
  });
}
