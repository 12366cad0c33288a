import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { canReadRow, type OwnedRow } from '../access/policy.ts';
import { notFound } from '../errors.ts';

export const idParams = z.object({ id: z.coerce.number().int().positive().max(2 ** 31 - 1) });

export const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

export interface Page<T> {
  items: T[];
  limit: number;
  offset: number;
  /** The offset of the next page, or null on the last page. */
  nextOffset: number | null;
}

/** Lists fetch limit+1 rows to know whether another page exists without counting the table. */
export function toPage<T>(rows: T[], limit: number, offset: number): Page<T> {
  const more = rows.length > limit;
  return { items: more ? rows.slice(0, limit) : rows, limit, offset, nextOffset: more ? offset + limit : null };
}

/** A row the caller may not see answers exactly like a missing one: no existence oracle. */
export function visibleOr404<T extends OwnedRow>(p: Principal, row: T | undefined, what: string, id: number | string): T {
  if (!row || !canReadRow(p, row)) throw notFound(what, id);
  return row;
}

/** Principal is set: routes run only after decideRoute allowed a non-public call. */
export function who(p: Principal | null): Principal {
  if (!p) throw new Error('route reached without a principal');
  return p;
}

export const tlpEnum = z.enum(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']);
