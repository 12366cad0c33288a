import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export const WEB_DIR = resolve(import.meta.dirname, '../../web');

/** The newest modification time of the console's sources (web/src, index.html, vite config). */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = resolve(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(resolve(WEB_DIR, 'src'));
  for (const f of ['index.html', 'vite.config.ts']) if (existsSync(resolve(WEB_DIR, f))) newest = Math.max(newest, statSync(resolve(WEB_DIR, f)).mtimeMs);
  return newest;
}

/**
 * Builds the console with Vite into web/dist when it is missing or older than its sources (or when forced). Builds into a private directory
 * and renames it into place, so parallel test processes never see (or write) a half-built console.
 */
export async function ensureWebBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<string> {
  const dist = resolve(WEB_DIR, 'dist');
  const index = resolve(dist, 'index.html');
  if (!opts.force && existsSync(index) && statSync(index).mtimeMs >= newestSource()) return dist;
  const stale = existsSync(index);
  const tmp = resolve(WEB_DIR, `.dist-${process.pid}-${Date.now()}`);
  const { build } = await import('vite');
  try {
    await build({ configFile: resolve(WEB_DIR, 'vite.config.ts'), logLevel: opts.quiet ? 'error' : 'info', build: { outDir: tmp, emptyOutDir: true } });
    if (opts.force || stale) rmSync(dist, { recursive: true, force: true });
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
