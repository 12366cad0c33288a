import type { App } from '../../src/server/index.ts';
import { PASSWORD } from './seed.ts';

/** Logs in through the API and returns the session cookie header. */
export async function loginCookie(app: App, username: string, password = PASSWORD): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
  const c = r.cookies.find((x) => x.name === 'dp_session');
  if (!c) throw new Error('no session cookie');
  return `dp_session=${c.value}`;
}
