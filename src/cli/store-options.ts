import type { Command } from 'commander';
import { openStore, type Store, type StoreOptions } from '../store/index.ts';

/** The global options every command shares for reaching the database. */
export function storeOptionsOf(cmd: Command): StoreOptions {
  const opts = cmd.optsWithGlobals<{ dataDir?: string; databaseUrl?: string }>();
  return { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl };
}

/** Opens the store for one command and always closes it, even when the command fails. */
export async function withStore<T>(cmd: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOptionsOf(cmd));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
