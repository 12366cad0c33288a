import type { App } from '../../src/server/index.ts';
import { PASSWORD } from './seed.ts';

/** What a browser session sends: the session cookie, and for state-changing calls the session's CSRF token. */
export interface SessionHeaders {
  cookie: string;
  'x-csrf-token': string;
  [name: string]: string;
}

/** Logs in through the API and returns the session's headers (cookie + CSRF token, as the console sends them). */
export async function loginCookie(app: App, username: string, password = PASSWORD): Promise<SessionHeaders> {
  const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
  const c = r.cookies.find((x) => x.name === 'dp_session');
  if (!c) throw new Error('no session cookie');
  const token = r.headers['x-csrf-token'];
  if (typeof token !== 'string') throw new Error('no CSRF token');
  return { cookie: `dp_session=${c.value}`, 'x-csrf-token': token };
}
