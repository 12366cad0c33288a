import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const WEB_DIR = resolve(import.meta.dirname, '../../web');

/** Builds the console with Vite into web/dist when it is missing (or when forced). Returns the dist directory. */
export async function ensureWebBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<string> {
  const dist = resolve(WEB_DIR, 'dist');
  if (!opts.force && existsSync(resolve(dist, 'index.html'))) return dist;
  const { build } = await import('vite');
  await build({ configFile: resolve(WEB_DIR, 'vite.config.ts'), logLevel: opts.quiet ? 'error' : 'info' });
  return dist;
}
