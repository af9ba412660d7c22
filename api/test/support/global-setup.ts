// Starts one PostgreSQL server for the whole API test run; each test file makes its own databases.
// Also migrates one in-memory PGlite and dumps it: every in-memory PGlite the tests start loads that
// dump (~0.5 s) instead of running initdb and the migrations (~3 s each, ~40 starts in a run).
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/connect.ts';
import { migrate } from '../../src/db/migrate.ts';
import { startPostgresServer } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    /** A tarball of a migrated in-memory PGlite (harness.ts startApi loads it). */
    pgliteSeedPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgresServer();
  project.provide('postgresAdminUrl', server.url);
  const seedPath = join(tmpdir(), `duet-pglite-seed-${process.pid}.tar`);
  const db = await openDatabase({ kind: 'pglite', dataDir: null });
  try {
    await migrate(db.sql);
    await writeFile(seedPath, Buffer.from(await (await db.dumpDataDir!()).arrayBuffer()));
  } finally {
    await db.close();
  }
  project.provide('pgliteSeedPath', seedPath);
  return async () => {
    await server.stop();
    await rm(seedPath, { force: true });
  };
}
