// The transition table is enforced by the database itself: raw SQL cannot make an illegal move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LESSON_STATUSES,
  LESSON_TRANSITIONS,
  canTransition,
  type LessonStatus,
} from '../src/domain/lesson-status.ts';
import { DB_KINDS, createLesson, startApiOn, type TestApi } from './support/harness.ts';

/** Shortest legal path of statuses from `scheduled` to `target` (BFS over the TS table). */
function pathTo(target: LessonStatus): LessonStatus[] {
  const prev = new Map<LessonStatus, LessonStatus | null>([['scheduled', null]]);
  const queue: LessonStatus[] = ['scheduled'];
  while (queue.length > 0) {
    const s = queue.shift()!;
    for (const t of LESSON_TRANSITIONS.filter((t) => t.from === s)) {
      if (!prev.has(t.to)) {
        prev.set(t.to, s);
        queue.push(t.to);
      }
    }
  }
  if (!prev.has(target)) throw new Error(`${target} is unreachable`);
  const path: LessonStatus[] = [];
  for (let s: LessonStatus | null = target; s !== null; s = prev.get(s) ?? null) path.unshift(s);
  return path.slice(1);
}

describe.each(DB_KINDS)('lesson status transitions in the database (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  /** A lesson moved, by raw SQL along legal moves, into `status`. */
  async function lessonIn(status: LessonStatus): Promise<string> {
    const { id } = await createLesson(api);
    for (const s of pathTo(status)) await api.server.sql`update sessions set status = ${s} where id = ${id}`;
    return id;
  }

  it('holds exactly the TypeScript transition table', async () => {
    const rows = await api.server.sql<{ from_status: string; to_status: string }[]>`
      select from_status, to_status from session_status_transitions order by 1, 2`;
    const expected = LESSON_TRANSITIONS.map((t) => ({ from_status: t.from, to_status: t.to })).sort(
      (a, b) => a.from_status.localeCompare(b.from_status) || a.to_status.localeCompare(b.to_status),
    );
    expect(rows.map((r) => ({ ...r }))).toEqual(expected);
  });

  it('every state is reachable from scheduled', () => {
    for (const s of LESSON_STATUSES) expect(() => pathTo(s)).not.toThrow();
  });

  it('accepts every legal move made with raw SQL', async () => {
    for (const t of LESSON_TRANSITIONS) {
      const id = await lessonIn(t.from);
      await api.server.sql`update sessions set status = ${t.to} where id = ${id}`;
      const [row] = await api.server.sql`select status from sessions where id = ${id}`;
      expect(row!.status, `${t.from} -> ${t.to}`).toBe(t.to);
    }
  });

  it('rejects every illegal move made with raw SQL', async () => {
    const lessons = new Map<LessonStatus, string>();
    for (const s of LESSON_STATUSES) lessons.set(s, await lessonIn(s));
    let checked = 0;
    for (const from of LESSON_STATUSES) {
      for (const to of LESSON_STATUSES) {
        if (from === to || canTransition(from, to)) continue;
        const id = lessons.get(from)!;
        const attempt = api.server.sql`update sessions set status = ${to} where id = ${id}`;
        await expect(attempt, `${from} -> ${to}`).rejects.toMatchObject({
          code: '23514',
          constraint_name: 'session_status_transition',
          message: `illegal lesson status transition ${from} -> ${to}`,
        });
        const [row] = await api.server.sql`select status from sessions where id = ${id}`;
        expect(row!.status).toBe(from);
        checked++;
      }
    }
    expect(checked).toBe(LESSON_STATUSES.length * (LESSON_STATUSES.length - 1) - LESSON_TRANSITIONS.length);
  });

  it('allows updates that keep the status, and no status outside the list', async () => {
    const id = await lessonIn('live');
    await api.server.sql`update sessions set status = 'live', title = 'renamed' where id = ${id}`;
    await expect(api.server.sql`update sessions set status = 'paused' where id = ${id}`).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('only lets a lesson begin as scheduled', async () => {
    const { id } = await createLesson(api);
    const [row] = await api.server.sql`select * from sessions where id = ${id}`;
    await expect(
      api.server.sql`
        insert into sessions (id, title, status, scheduled_start, scheduled_end)
        values ('direct-live', 't', 'live', ${row!.scheduled_start}, ${row!.scheduled_end})`,
    ).rejects.toMatchObject({ code: '23514', constraint_name: 'session_status_transition' });
  });

  it('keeps a lesson with a bad schedule out', async () => {
    await expect(
      api.server.sql`
        insert into sessions (id, title, scheduled_start, scheduled_end) values ('bad', 't', now(), now())`,
    ).rejects.toMatchObject({ code: '23514', constraint_name: 'sessions_schedule_order' });
  });
});
