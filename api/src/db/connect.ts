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

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
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
      await server.stop();
      await db.close();
    },
  };
}
