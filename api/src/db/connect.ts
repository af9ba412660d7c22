// One SQL code path for both databases: PGlite is put behind its Postgres wire-protocol server on
// loopback and reached with the same postgres.js client as a real PostgreSQL server.
import { mkdir } from 'node:fs/promises';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { DatabaseConfig } from '../config.ts';

export type Sql = postgres.Sql;
/** What repositories take: the pool or a transaction, so callers decide the transaction. */
export type Queryable = postgres.ISql;

export interface Database {
  kind: DatabaseConfig['kind'];
  sql: Sql;
  close(): Promise<void>;
}

const silent = () => {};

/** Told when a shutdown step of the embedded database did not finish in time (logged by the server). */
export type StallReport = (step: string, waitedMs: number) => void;

// pglite-socket's stop() waits for its sockets to close (electric-sql/pglite#678: it hangs while
// a client is still connected) and PGlite's close() for its query mutex; one of them once hung a
// test API's close in CI (a 60-s hook timeout; docs/testing.md). Each step gets a bound, and a
// step that overruns is reported by name instead of hanging the process that is shutting down.
const STEP_BOUND_MS = 5_000;
async function bounded(step: string, work: Promise<unknown>, onStall: StallReport): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<'overrun'>((resolve) => {
    timer = setTimeout(() => resolve('overrun'), STEP_BOUND_MS);
  });
  try {
    if ((await Promise.race([work, overrun])) === 'overrun') onStall(step, STEP_BOUND_MS);
  } finally {
    clearTimeout(timer);
  }
}

export async function openDatabase(config: DatabaseConfig, onStall: StallReport = silent): Promise<Database> {
  if (config.kind === 'postgres') {
    const sql = postgres(config.url, { onnotice: silent, max: config.poolMax });
    return { kind: 'postgres', sql, close: () => sql.end({ timeout: 5 }) };
  }

  if (config.dataDir) await mkdir(config.dataDir, { recursive: true });
  const db = await PGlite.create(config.dataDir ?? undefined);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const [host, port] = server.getServerConn().split(':');
  // PGlite is single-user and the socket server accepts one connection: one client connection,
  // never recycled (max_lifetime would otherwise reconnect while the old socket is still counted).
  const sql = postgres({
    host: host!,
    port: Number(port),
    database: 'postgres',
    username: 'postgres',
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    onnotice: silent,
  });
  return {
    kind: 'pglite',
    sql,
    async close() {
      await sql.end({ timeout: 5 });
      await bounded('pglite socket server stop', server.stop(), onStall);
      await bounded('pglite close', db.close(), onStall);
    },
  };
}
