import './template.ts';
import { existsSync, readFileSync } from 'node:fs';
import { createScratchDatabase, openStore, type Store } from '../../src/store/index.ts';
import { inject } from 'vitest';

export interface TestStore extends Store {
  /** The connection string of the throwaway database (PostgreSQL engine only). */
  readonly databaseUrl?: string;
}

/**
 * A fresh, migrated, empty database for one test: an in-memory PGlite (restored from the migrated template
 * made in global setup, which is much faster than initdb), or, when DATABASE_URL is set, a new database on
 * that PostgreSQL server that is dropped on close.
 */
export async function openTestStore(): Promise<TestStore> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) return openPostgresTestStore(adminUrl);
  const template = inject('pgliteTemplate');
  const loadDataDir = template && existsSync(template) ? new Blob([readFileSync(template)]) : undefined;
  return openStore({ dataDir: 'memory://', pgliteLoadDataDir: loadDataDir });
}

/** The engine the suite runs on, for test names and engine-specific expectations. */
export const testEngine: 'pglite' | 'postgres' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

async function openPostgresTestStore(adminUrl: string): Promise<TestStore> {
  const scratch = await createScratchDatabase(adminUrl, 'dp_test');
  const store = await openStore({ databaseUrl: scratch.url, poolSize: 4 });
  return {
    ...store,
    databaseUrl: scratch.url,
    async close() {
      await store.close();
      await scratch.drop();
    },
  };
}
