/** The database was written by a newer DarkPatrol: refusing to touch it is the only safe answer. */
export class SchemaTooNewError extends Error {
  constructor(readonly unknownMigrations: readonly number[], readonly location: string) {
    super(
      `The database at ${location} was created by a newer version of DarkPatrol ` +
        `(it has migration(s) ${unknownMigrations.join(', ')} that this version does not know). ` +
        `Upgrade DarkPatrol, or point it at another data directory / DATABASE_URL.`,
    );
    this.name = 'SchemaTooNewError';
  }
}

export class MigrationChangedError extends Error {
  constructor(readonly migrationId: number) {
    super(`Migration ${migrationId} differs from the one applied to this database; applied migrations must never change.`);
    this.name = 'MigrationChangedError';
  }
}

export class MigrationFailedError extends Error {
  constructor(readonly migrationId: number, readonly migrationName: string, cause: unknown) {
    super(
      `Migration ${migrationId} (${migrationName}) failed and was rolled back; the database is unchanged: ` +
        (cause instanceof Error ? cause.message : String(cause)),
      { cause },
    );
    this.name = 'MigrationFailedError';
  }
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `The data directory ${dataDir} is in use by another DarkPatrol process (pid ${pid}). The embedded database ` +
        `serves one process at a time; stop that process, or use a PostgreSQL server (DATABASE_URL) for several.`,
    );
    this.name = 'DataDirLockedError';
  }
}
