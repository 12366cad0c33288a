import { sql, type RawBuilder } from 'kysely';

/** A filter on an aliased table's owner (`agency_id`) and marking (`tlp`). */
export type RowFilter = (alias: string) => RawBuilder<boolean>;

/** One agency's view of a marked table: its own rows, and other agencies' rows marked CLEAR or GREEN. */
export function agencyViewSql(agencyId: number, alias: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${alias}.agency_id`)} = ${agencyId} or ${sql.ref(`${alias}.tlp`)} in ('CLEAR', 'GREEN'))`;
}
