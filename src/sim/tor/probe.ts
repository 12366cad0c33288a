import net from 'node:net';

export interface ProbeOptions {
  socksPort: number;
  host: string;
  port: number;
  username: string;
  timeoutMs: number;
}

/**
 * One HTTP HEAD to an onion through the client's SocksPort (SOCKS5 with username/password, name unresolved):
 * ok once an HTTP status line comes back, otherwise the SOCKS reply code or the error. Used only to know when the
 * private network is ready; the crawler has its own client.
 */
export async function probeOnion(o: ProbeOptions): Promise<{ ok: true } | { ok: false; error: string }> {
  return await new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: o.socksPort });
    let buf = Buffer.alloc(0);
    let step = 0;
    const done = (r: { ok: true } | { ok: false; error: string }) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no answer within ${o.timeoutMs} ms` }), o.timeoutMs);
    s.on('error', (e) => done({ ok: false, error: e.message }));
    s.on('close', () => done({ ok: false, error: `closed at step ${step}` }));
    s.on('connect', () => s.write(Buffer.from([5, 1, 2])));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (step === 0 && buf.length >= 2) {
        buf = buf.subarray(2);
        step = 1;
        const u = Buffer.from(o.username);
        s.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([1, 0x78])]));
      }
      if (step === 1 && buf.length >= 2) {
        if (buf[1] !== 0) return done({ ok: false, error: 'authentication refused' });
        buf = buf.subarray(2);
        step = 2;
        const h = Buffer.from(o.host);
        const p = Buffer.alloc(2);
        p.writeUInt16BE(o.port);
        s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, h.length]), h, p]));
      }
      if (step === 2 && buf.length >= 10) {
        if (buf[1] !== 0) return done({ ok: false, error: `SOCKS5 reply 0x${(buf[1] ?? 0).toString(16)}` });
        buf = buf.subarray(10);
        step = 3;
        s.write(`HEAD / HTTP/1.1\r\nHost: ${o.host}\r\nConnection: close\r\n\r\n`);
      }
      if (step === 3 && buf.length >= 9) {
        if (buf.subarray(0, 7).toString('latin1') === 'HTTP/1.') done({ ok: true });
        else done({ ok: false, error: 'not an HTTP answer' });
      }
    });
  });
}
