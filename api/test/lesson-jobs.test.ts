// No-show detection and auto-end, including two job runners working the same database at once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  DB_KINDS,
  MINUTE,
  createLesson,
  createTestDatabase,
  eventually,
  sendHook,
  startApi,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

async function place(api: TestApi, id: string, startMinutesAgo: number, durationMinutes: number) {
  await api.server.sql`
    update sessions
       set scheduled_start = now() - make_interval(mins => ${startMinutesAgo}),
           scheduled_end = now() - make_interval(mins => ${startMinutesAgo}) + make_interval(mins => ${durationMinutes})
     where id = ${id}`;
  return (await api.request('GET', `/v1/sessions/${id}`, { token: API_KEY })).body;
}
const hook = (api: TestApi, type: string, sessionId: string, data: Record<string, unknown>) =>
  sendHook(api, { id: `evt_${randomUUID()}`, type: type as any, created_at: new Date().toISOString(), session_id: sessionId, data });

describe.each(DB_KINDS)('lesson jobs (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());
  const get = async (id: string) => (await api.request('GET', `/v1/sessions/${id}`, { token: API_KEY })).body;
  const eventsOf = (id: string, type: string) =>
    api.server.sql<{ created_at: Date; data: any }[]>`select created_at, data from events where session_id = ${id} and type = ${type}`;

  it('marks a mutual no-show when nobody came by the end of the grace (no penalty)', async () => {
    const lesson = await place(api, (await createLesson(api)).id, 20, 60); // grace = min(15, 15) min
    const r = await api.server.runLessonJobs();
    expect(r.noShows).toContain(lesson.id);
    const after = await get(lesson.id);
    expect(after).toMatchObject({ status: 'no_show', no_show: { tutor: true, student: true }, end_reason: 'nobody_came', can_join: false });
    const [e] = await eventsOf(lesson.id, 'session.no_show');
    expect(e!.data).toMatchObject({ from: 'scheduled', to: 'no_show', absent: ['tutor', 'student'], present: [], mutual: true, penalty: false });
    expect(e!.created_at.toISOString()).toBe(new Date(Date.parse(lesson.scheduled_start) + 15 * MINUTE).toISOString());
  });

  it('flags only the absent side when one came', async () => {
    const lesson = await createLesson(api);
    await hook(api, 'participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
    await place(api, lesson.id, 10, 20); // 20-minute lesson: grace = 5 min, over
    await api.server.runLessonJobs();
    expect(await get(lesson.id)).toMatchObject({ status: 'no_show', no_show: { tutor: false, student: true }, end_reason: 'participant_absent' });
    const [e] = await eventsOf(lesson.id, 'session.no_show');
    expect(e!.data).toMatchObject({ from: 'waiting', absent: ['student'], present: ['tutor'], mutual: false, penalty: true });
    const att = await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY });
    expect(att.body.participants.map((p: any) => p.no_show)).toEqual([false, true]);
  });

  it('leaves lessons alone inside the grace, and lessons that are live before their end', async () => {
    const early = await place(api, (await createLesson(api)).id, 4, 20); // grace 5 min: 1 min left
    const live = await createLesson(api);
    await hook(api, 'participant.joined', live.id, { role: 'tutor', user_id: live.tutor.id });
    await hook(api, 'participant.joined', live.id, { role: 'student', user_id: live.student.id });
    await place(api, live.id, 50, 60);
    const r = await api.server.runLessonJobs();
    expect(r.noShows).not.toContain(early.id);
    expect(r.ended).not.toContain(live.id);
    expect((await get(early.id)).status).toBe('scheduled');
    expect((await get(live.id)).status).toBe('live');
  });

  it('ends a live lesson at its end, and only after the extension', async () => {
    const lesson = await createLesson(api);
    await hook(api, 'participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
    await hook(api, 'participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
    await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: API_KEY, body: { minutes: 10 } });
    const placed = await place(api, lesson.id, 65, 60); // scheduled end 5 min ago, extended to +5
    await api.server.runLessonJobs();
    expect((await get(lesson.id)).status).toBe('live');
    await api.server.sql`update sessions set extension_seconds = 60 where id = ${lesson.id}`; // ends 4 min ago
    const r = await api.server.runLessonJobs();
    expect(r.ended).toEqual([lesson.id]);
    const done = await get(lesson.id);
    const end = new Date(Date.parse(placed.scheduled_end) + 60_000).toISOString();
    expect(done).toMatchObject({ status: 'completed', end_reason: 'time_up', ended_at: end });
    const [e] = await eventsOf(lesson.id, 'session.ended');
    expect(e!.data).toMatchObject({ reason: 'time_up', from: 'live', to: 'completed' });
    // The media node's own time_up hook afterwards changes nothing.
    expect((await hook(api, 'session.ended', lesson.id, { reason: 'time_up' })).status).toBe(200);
    expect(await eventsOf(lesson.id, 'session.ended')).toHaveLength(1);
  });

  it('runs on its own timer when enabled', async () => {
    const db = await createTestDatabase(kind);
    const timed = await startApi(db.url, { LESSON_JOBS_INTERVAL_MS: '100' }, { lessonJobs: true });
    try {
      const lesson = await createLesson(timed);
      await place(timed, lesson.id, 30, 60);
      await eventually(async () => ((await timed.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.status === 'no_show' ? true : undefined));
    } finally {
      await timed.close();
      await db.drop();
    }
  });
});

describe.each(DB_KINDS)('lesson jobs with two runners at once (%s)', (kind) => {
  const N = 30;
  let apis: TestApi[] = [];
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    if (kind === 'postgres') {
      // Two API instances on one PostgreSQL database, as in a multi-instance deployment.
      const db = await createTestDatabase(kind);
      drop = db.drop;
      apis = [await startApi(db.url), await startApi(db.url)];
    } else {
      // PGlite is single-process: two runners inside one API share its connection.
      const one = await startApiOn(kind);
      apis = [one, one];
      drop = async () => {};
    }
  });
  afterAll(async () => {
    for (const a of new Set(apis)) await a.close();
    await drop();
  });

  it('handles every due lesson exactly once', async () => {
    const [a, b] = apis as [TestApi, TestApi];
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const lesson = await createLesson(a);
      if (i % 3 === 0) {
        await hook(a, 'participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
        await hook(a, 'participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
        await place(a, lesson.id, 90, 60); // live past its end
      } else {
        await place(a, lesson.id, 30, 60); // no-show
      }
      ids.push(lesson.id);
    }
    const results = await Promise.all([a.server.runLessonJobs(), b.server.runLessonJobs(), a.server.runLessonJobs(), b.server.runLessonJobs()]);
    const handled = results.flatMap((r) => [...r.noShows, ...r.ended]);
    expect(handled.sort()).toEqual([...ids].sort()); // each exactly once across all runners
    const rows = await a.server.sql<{ session_id: string; n: number }[]>`
      select session_id, count(*)::int as n from events
       where session_id in ${a.server.sql(ids)} and type in ('session.no_show', 'session.ended')
       group by session_id`;
    expect(rows).toHaveLength(N);
    for (const r of rows) expect(r.n).toBe(1);
    const statuses = await a.server.sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from sessions where id in ${a.server.sql(ids)} group by status order by status`;
    expect(statuses).toEqual([
      { status: 'completed', n: 10 },
      { status: 'no_show', n: 20 },
    ]);
  });
});
