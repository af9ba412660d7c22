// The embedded database's socket server (pglite-socket) must keep answering after PGlite throws
// on one query: without guardQueryQueue the library's queue stays "processing" forever and every
// later query hangs (what hung signed-url-links' close and webhooks' restart test in full runs).
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { guardQueryQueue } from '../src/db/connect.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** PGlite behind its socket server, as openDatabase sets it up, whose next query throws inside PGlite. */
async function embedded(guard: boolean) {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  const reported: string[] = [];
  if (guard) guardQueryQueue(server, (m) => reported.push(m));
  await server.start();
  const [host, port] = server.getServerConn().split(':');
  const sql = postgres({ host: host!, port: Number(port), database: 'postgres', username: 'postgres', max: 1, idle_timeout: 0, max_lifetime: null, onnotice: () => {} });
  cleanups.push(() => db.close(), () => server.stop(), () => sql.end({ timeout: 1 }));
  await sql`select 1`; // connected and warm
  const exec = db.execProtocolRawStream.bind(db);
  let failNext = true;
  db.execProtocolRawStream = (async (...args: Parameters<typeof exec>) => {
    if (failNext) {
      failNext = false;
      throw new Error('injected failure inside PGlite');
    }
    return exec(...args);
  }) as typeof exec;
  return { sql, reported };
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

describe('the embedded database after a query fails inside PGlite', () => {
  it('refuses that query and answers the next ones (guarded queue)', async () => {
    const { sql, reported } = await embedded(true);
    await expect(sql`select 1 as n`).rejects.toThrow();
    const next = await within(sql`select 2 as n`, 5_000);
    expect(next).not.toBe('hung');
    expect((next as unknown as { n: number }[])[0]!.n).toBe(2);
    expect((await sql`select 3 as n`)[0]!.n).toBe(3);
    expect(reported).toHaveLength(1);
  });

  it('without the guard the library hangs every later query (why the guard exists)', async () => {
    const { sql } = await embedded(false);
    await expect(sql`select 1 as n`).rejects.toThrow();
    expect(await within(sql`select 2 as n`, 2_000)).toBe('hung');
  });
});
