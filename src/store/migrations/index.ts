import type { Migration } from './types.ts';
import { migration as m0001 } from './0001_core.ts';

export type { Migration } from './types.ts';

/** Every migration this version knows, in id order. Register new ones here. */
export const MIGRATIONS: readonly Migration[] = [m0001].sort((a, b) => a.id - b.id);
