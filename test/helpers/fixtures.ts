import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A folder of ../shared/fixtures: beside the repository (/work/main → /work/shared) or beside a worktree's parent
 * (/work/wt/<name> → /work/shared); DP_FIXTURES overrides.
 */
export function fixtureDir(name: string): string {
  const roots = [process.env.DP_FIXTURES, new URL('../../../shared/fixtures', import.meta.url).pathname, new URL('../../../../shared/fixtures', import.meta.url).pathname];
  for (const r of roots) if (r && existsSync(resolve(r, name))) return resolve(r, name);
  return resolve(new URL('../../../shared/fixtures', import.meta.url).pathname, name);
}
