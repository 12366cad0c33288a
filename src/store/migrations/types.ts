/** A schema change. `up` runs inside one transaction; an applied migration is never edited. */
export interface Migration {
  /** Strictly increasing; ranges per stage are listed in docs/DEVELOPING.md. */
  readonly id: number;
  readonly name: string;
  readonly up: string;
}
