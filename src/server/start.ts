import type { Kysely } from 'kysely';
import type { Role } from '../domain/role.ts';
import type { Database } from '../store/index.ts';
import { buildServer } from './app.ts';
import { createUser } from './auth/accounts.ts';
import { generatePassword } from './auth/password.ts';
import type { ExchangeServerOptions } from './exchange/index.ts';
import type { App, ServerOptions } from './types.ts';
import { ensureWebBuilt } from './web-build.ts';

export interface StartOptions extends ServerOptions, ExchangeServerOptions {
  /** Default 127.0.0.1: the console is for the analyst's own machine unless an operator says otherwise. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Build web/dist first when it is missing (default true). */
  buildWeb?: boolean;
}

export interface RunningConsole {
  app: App;
  url: string;
  close(): Promise<void>;
}

/** Builds the console if needed, then serves API + console on host:port. */
export async function startConsole(opts: StartOptions): Promise<RunningConsole> {
  const webRoot = opts.webRoot ?? (opts.buildWeb === false ? undefined : await ensureWebBuilt({ quiet: true }));
  const app = await buildServer({ ...opts, webRoot });
  try {
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host ?? '127.0.0.1';
  return { app, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`, close: () => app.close() };
}

/**
 * Makes sure a console user exists (the demo's analyst). Returns the password when it created the user, so the
 * caller can print it once; null when the user already existed (its password is not recoverable).
 */
export async function ensureUser(db: Kysely<Database>, u: { agencyCode: string; username: string; role: Role; password?: string }): Promise<string | null> {
  const exists = await db.selectFrom('users').select('id').where('username', '=', u.username).executeTakeFirst();
  if (exists) return null;
  const password = u.password ?? generatePassword();
  await createUser(db, { agencyCode: u.agencyCode, username: u.username, role: u.role, password });
  return password;
}
