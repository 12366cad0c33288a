import './template.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { migrate } from '../../src/store/index.ts';
import type { TestProject } from 'vitest/node';

/** Builds one migrated PGlite data directory for the whole run; every test store starts from a copy of it. */
export default async function setup(project: TestProject): Promise<() => void> {
  if (process.env.DATABASE_URL) {
    project.provide('pgliteTemplate', '');
    return () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'darkpatrol-test-'));
  const pglite = await PGlite.create(undefined, { extensions: { pg_trgm } });
  const pool = new pg.Pool(createPgConfig(pglite));
  await migrate(pool, 'template');
  await pool.end();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  const path = join(dir, 'template.tar');
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
