import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

export const WEB_DIR = resolve(import.meta.dirname, '../../web');

/**
 * Builds the console with Vite into web/dist when it is missing (or when forced). Builds into a private directory
 * and renames it into place, so parallel test processes never see (or write) a half-built console.
 */
export async function ensureWebBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<string> {
  const dist = resolve(WEB_DIR, 'dist');
  if (!opts.force && existsSync(resolve(dist, 'index.html'))) return dist;
  const tmp = resolve(WEB_DIR, `.dist-${process.pid}-${Date.now()}`);
  const { build } = await import('vite');
  try {
    await build({ configFile: resolve(WEB_DIR, 'vite.config.ts'), logLevel: opts.quiet ? 'error' : 'info', build: { outDir: tmp, emptyOutDir: true } });
    if (opts.force) rmSync(dist, { recursive: true, force: true });
    if (!existsSync(resolve(dist, 'index.html'))) {
      rmSync(dist, { recursive: true, force: true });
      try {
        renameSync(tmp, dist);
      } catch {
        // another process won the race; its build is as good as ours
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dist;
}
