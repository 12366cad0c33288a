import './template.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.ts';
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
  const name = `dp_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString(), poolSize: 4 });
  return {
    ...store,
    databaseUrl: url.toString(),
    async close() {
      await store.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
