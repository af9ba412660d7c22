// Which database the API uses (DATABASE_URL, parsed in config.ts): embedded PGlite or PostgreSQL.
export type DatabaseConfig =
  | {
      kind: 'pglite';
      /** null = in memory (tests) */
      dataDir: string | null;
      /**
       * In memory only: start from this data directory (a `Database.dumpDataDir` of an already
       * migrated database) instead of a fresh initdb, ~0.5 s instead of ~3 s (the API tests share
       * one). Never set from the environment.
       */
      seed?: Blob;
    }
  | { kind: 'postgres'; url: string; /** Connections per API process (DATABASE_POOL_MAX). */ poolMax: number };
