/**
 * The sim of bench/collect.bench.ts in a process of its own (its market servers and SOCKS5 proxy), so the crawl's
 * process runs only the crawler and the plain fetch's only the fetch loop, both against the same served sim.
 * Started by the bench with an IPC channel: it sends `{ ready: { proxyUrl, markets } }`, answers
 * `{ peek: { id, slug, captchaId } }` with `{ peeked: { id, answer } }` (the CAPTCHA test hook) and stops on `{ stop: true }`.
 *
 *   node --import tsx bench/collect-sim.ts --seed bench-collect --scale demo
 */
import { startSim, type ScalePreset } from '../src/sim/index.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
const sim = await startSim({ seed: arg('seed', 'bench-collect'), scale: arg('scale', 'demo') as ScalePreset, faults: false, rateLimit: false, portBase: 0, startDay: 60 });
const send = (m: unknown) => process.send?.(m);
process.on('message', (m: { peek?: { id: number; slug: string; captchaId: string }; stop?: boolean }) => {
  if (m.peek) send({ peeked: { id: m.peek.id, answer: sim.peekCaptchaAnswer(m.peek.slug, m.peek.captchaId) ?? null } });
  if (m.stop) void sim.stop().then(() => process.exit(0));
});
process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
send({
  ready: {
    proxyUrl: sim.proxy.url,
    markets: sim.markets.map((m) => ({ slug: m.slug, url: m.url, loginPath: m.loginPath, loginFields: m.loginFields, credentials: m.credentials.map((c) => ({ username: c.username, password: c.password })) })),
  },
});
