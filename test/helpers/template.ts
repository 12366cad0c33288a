declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the migrated PGlite data-directory dump built in global setup ('' on PostgreSQL runs). */
    pgliteTemplate: string;
  }
}
export {};
