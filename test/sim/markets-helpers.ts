// A tiny cookie-keeping HTTP client for the market tests, and the login flow (CSRF + CAPTCHA via the test hook).
import type { SimServing, ServedMarket } from '../../src/sim/serve.ts';

export interface Response {
  status: number;
  headers: Headers;
  body: string;
  bytes: Buffer;
}

export class Client {
  cookie: string | undefined;
  constructor(readonly port: number) {}

  async get(path: string): Promise<Response> {
    return this.request(path, { method: 'GET' });
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  async request(path: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Response> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method: init.method,
      body: init.body,
      redirect: 'manual',
      headers: { ...(init.headers ?? {}), ...(this.cookie ? { cookie: this.cookie } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0] ?? '';
      this.cookie = pair.endsWith('=') ? undefined : pair;
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: bytes.toString('utf8'), bytes };
  }
}

export interface LoginForm {
  csrf: string;
  captchaId: string;
}

export function parseLoginForm(html: string, market: ServedMarket): LoginForm {
  const csrf = new RegExp(`name="${market.loginFields.csrf}" value="([^"]+)"`).exec(html)?.[1];
  const captchaId = /src="\/captcha\/([0-9a-f]+)\.png"/.exec(html)?.[1];
  if (!csrf || !captchaId) throw new Error(`login form of ${market.slug} lacks CSRF token or CAPTCHA`);
  return { csrf, captchaId };
}

/** Logs in with the first undercover account, solving the CAPTCHA through the in-process test hook. */
export async function login(sim: SimServing, market: ServedMarket, overrides: Partial<Record<'csrf' | 'captcha' | 'password', string>> = {}): Promise<{ client: Client; response: Response }> {
  const client = new Client(market.port);
  const page = await client.get(market.loginPath);
  if (page.status !== 200) throw new Error(`login page of ${market.slug}: HTTP ${page.status}`);
  const form = parseLoginForm(page.body, market);
  const answer = sim.peekCaptchaAnswer(market.slug, form.captchaId) ?? '';
  const cred = market.credentials[0]!;
  const f = market.loginFields;
  const response = await client.post(market.loginPath, {
    [f.username]: cred.username,
    [f.password]: overrides.password ?? cred.password,
    [f.captcha]: overrides.captcha ?? answer.toLowerCase(),
    [f.csrf]: overrides.csrf ?? form.csrf,
  });
  return { client, response };
}
