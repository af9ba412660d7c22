// One SQL code path for both databases: PGlite is put behind its Postgres wire-protocol server on
// loopback and reached with the same postgres.js client as a real PostgreSQL server.
import { mkdir } from 'node:fs/promises';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { DatabaseConfig } from './database-config.ts';

export type Sql = postgres.Sql;
/** What repositories take: the pool or a transaction, so callers decide the transaction. */
export type Queryable = postgres.ISql;
/**
 * A transaction's one connection: statements issued together on it are pipelined (sent in one
 * write, run in order), which a pool could spread over connections and run out of order.
 */
export type Tx = postgres.TransactionSql;

export interface Database {
  kind: DatabaseConfig['kind'];
  sql: Sql;
  close(): Promise<void>;
  /** PGlite only: its whole data directory as an uncompressed tarball (a `seed` for another in-memory database). */
  dumpDataDir?(): Promise<Blob>;
}

const silent = () => {};

/** Told when a shutdown step of the embedded database did not finish in time (logged by the server). */
export type StallReport = (step: string, waitedMs: number) => void;
/** Told when a query failed inside PGlite itself (not an SQL error: those are answers). */
export type QueueErrorReport = (message: string) => void;

interface QueryQueue {
  processing: boolean;
  getQueueLength(): number;
  processQueue(): Promise<void>;
}

/**
 * pglite-socket 0.2.17 runs every client's queries through one queue, and when PGlite throws while
 * executing one (rather than answering with an error message) its processQueue rejects that query
 * and returns without clearing its `processing` flag: every later query waits forever behind a
 * queue that never runs again (reported upstream as electric-sql/pglite#1046, open). In the suite this was a test whose `api.close()` or whose next
 * query never returned (a 60-s hook timeout in signed-url-links, a 30-s test timeout in
 * webhooks' restart test). This wraps the queue so such a failure is reported and the queue goes
 * on with the next query; the failed query itself is still refused, as the library does.
 */
export function guardQueryQueue(server: PGLiteSocketServer, onError: QueueErrorReport): void {
  const queue = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (!queue || typeof queue.processQueue !== 'function' || typeof queue.processing !== 'boolean') {
    throw new Error('pglite-socket: its query queue is not the one guardQueryQueue knows (check the version)');
  }
  const run = queue.processQueue.bind(queue);
  queue.processQueue = async () => {
    if (queue.processing) return run(); // a run is in progress; it picks the new query up
    try {
      await run();
    } finally {
      // A run that ended normally cleared the flag; one that is still "processing" here has
      // returned from its error path.
      if (queue.processing) {
        queue.processing = false;
        onError('a query failed inside the embedded database; its queue goes on with the next one');
        if (queue.getQueueLength() > 0) void queue.processQueue();
      }
    }
  };
}

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

export async function openDatabase(config: DatabaseConfig, onStall: StallReport = silent, onQueueError: QueueErrorReport = silent): Promise<Database> {
  if (config.kind === 'postgres') {
    const sql = postgres(config.url, { onnotice: silent, max: config.poolMax });
    return { kind: 'postgres', sql, close: () => sql.end({ timeout: 5 }) };
  }

  if (config.dataDir) await mkdir(config.dataDir, { recursive: true });
  const db = config.dataDir === null && config.seed ? await PGlite.create({ loadDataDir: config.seed }) : await PGlite.create(config.dataDir ?? undefined);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  guardQueryQueue(server, onQueueError);
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
    dumpDataDir: () => db.dumpDataDir('none'),
    async close() {
      await sql.end({ timeout: 5 });
      await bounded('pglite socket server stop', server.stop(), onStall);
      await bounded('pglite close', db.close(), onStall);
    },
  };
}
