// The marketplace path's SQL cost, counted at the driver: lesson creation is one statement, a join
// two (the lesson, then redeem-and-place), minting a token one. Fewer round trips = more joins/s.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadApiConfig } from '../src/config.ts';
import type { AppContext } from '../src/context.ts';
import { createSession, issueJoinToken, joinSession } from '../src/services/sessions-service.ts';
import { requireJoinToken } from '../src/services/auth-service.ts';
import { MINUTE, createTestDatabase, startApi, testEnv, type TestApi, type TestDatabase } from './support/harness.ts';

describe('SQL statements on the marketplace path (postgres)', () => {
  let db: TestDatabase;
  let api: TestApi;
  let sql: postgres.Sql;
  let statements: string[] = [];
  let ctx: AppContext;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    api = await startApi(db.url); // migrates the database
    // One connection, opened before counting (it reads the array types once when it connects).
    sql = postgres(db.url, { max: 1, onnotice: () => {}, debug: (_conn, query) => statements.push(query) });
    await sql`select 1`;
    const config = loadApiConfig(testEnv(db.url));
    ctx = {
      config,
      sql,
      objects: null as never,
      log: pino({ level: 'silent' }),
      now: () => new Date(),
      publicUrl: () => 'http://127.0.0.1:1',
      eventsCommitted: () => {},
    };
  });
  afterAll(async () => {
    await sql?.end();
    await api?.close();
    await db?.drop();
  });

  const counted = async <T>(fn: () => Promise<T>): Promise<{ result: T; count: number }> => {
    statements = [];
    const result = await fn();
    return { result, count: statements.length };
  };

  it('creates in one statement, mints in one, and joins in two', async () => {
    const now = Date.now();
    const created = await counted(() =>
      createSession(ctx, {
        title: 'Counted',
        courseTitle: null,
        scheduledStart: new Date(now),
        scheduledEnd: new Date(now + 60 * MINUTE),
        recording: false,
        tutor: { userId: 'count-tutor', name: 'T', avatarUrl: null },
        student: { userId: 'count-student', name: 'S', avatarUrl: null },
      }),
    );
    expect(created.count, statements.join("\n---\n")).toBe(1);
    const lesson = created.result;
    expect(lesson).toMatchObject({ status: 'scheduled', tutor: { userId: 'count-tutor' }, student: { userId: 'count-student' } });

    for (const role of ['tutor', 'student'] as const) {
      const minted = await counted(() => issueJoinToken(ctx, lesson.id, role));
      expect(minted.count).toBe(1);
      const claims = await requireJoinToken(ctx.config, minted.result.token, lesson.id);
      const joined = await counted(() => joinSession(ctx, lesson.id, claims));
      expect(joined.count, statements.join('\n---\n')).toBe(2);
      expect(joined.result.mediaNode).toBe('default');
    }
    // Placed once, sticky: the stored lesson has its node.
    const [row] = await sql`select media_node from sessions where id = ${lesson.id}`;
    expect(row!.media_node).toBe('default');
  });
});
