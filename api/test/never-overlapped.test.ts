// A lesson both people attended, one after the other, is not a no-show: it is completed at its end
// with `never_overlapped: true` and `overlap_seconds: 0`, and nobody is flagged or penalised.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlapSeconds } from '../src/domain/attendance.ts';
import { API_KEY, DB_KINDS, MINUTE, createLesson, sendHook, startApiOn, type TestApi } from './support/harness.ts';

const hookAt = (api: TestApi, type: string, sessionId: string, at: number, data: Record<string, unknown>) =>
  sendHook(api, { id: `evt_${randomUUID()}`, type: type as any, created_at: new Date(at).toISOString(), session_id: sessionId, data });

describe('overlapSeconds', () => {
  const iv = (a: number, b: number | null) => ({ joinedAt: new Date(a * 1000), leftAt: b === null ? null : new Date(b * 1000) });
  it('counts only the time both were there', () => {
    expect(overlapSeconds([iv(0, 60)], [iv(60, 120)], new Date(200_000))).toBe(0);
    expect(overlapSeconds([iv(0, 60), iv(100, 160)], [iv(30, 130)], new Date(200_000))).toBe(60);
    expect(overlapSeconds([iv(0, 100), iv(50, 150)], [iv(0, null)], new Date(120_000))).toBe(120);
    expect(overlapSeconds([], [iv(0, 10)], new Date(20_000))).toBe(0);
  });
});

describe.each(DB_KINDS)('never overlapped (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());
  const get = async (id: string) => (await api.request('GET', `/v1/sessions/${id}`, { token: API_KEY })).body;
  const eventsOf = (id: string, type: string) =>
    api.server.sql<{ data: any }[]>`select data from events where session_id = ${id} and type = ${type}`;
  const schedule = async (id: string, startMinutesAgo: number, durationMinutes: number) => {
    await api.server.sql`
      update sessions set scheduled_start = now() - make_interval(mins => ${startMinutesAgo}),
                          scheduled_end = now() - make_interval(mins => ${startMinutesAgo}) + make_interval(mins => ${durationMinutes})
       where id = ${id}`;
    return get(id);
  };

  it('completes (no no-show, no penalty) a lesson both attended one after the other, at its end', async () => {
    const created = await createLesson(api);
    const lesson = await schedule(created.id, 50, 60); // grace 15 min: over; ends in 10 min
    const t0 = Date.parse(lesson.scheduled_start);
    const tutor = { role: 'tutor', user_id: lesson.tutor.id };
    const student = { role: 'student', user_id: lesson.student.id };
    for (const [type, at, who] of [
      ['participant.joined', 1, tutor],
      ['participant.left', 5, { ...tutor, reason: 'left' }],
      ['participant.joined', 10, student],
      ['participant.left', 20, { ...student, reason: 'left' }],
    ] as const) {
      expect((await hookAt(api, type, lesson.id, t0 + at * MINUTE, who)).status).toBe(200);
    }
    // Past the grace, both attended: not a no-show, not due before the end.
    let r = await api.server.runLessonJobs();
    expect(r.noShows).not.toContain(lesson.id);
    expect(r.ended).not.toContain(lesson.id);
    expect((await get(lesson.id)).status).toBe('waiting');

    await schedule(lesson.id, 70, 60); // now over
    r = await api.server.runLessonJobs();
    expect(r.ended).toContain(lesson.id);
    expect(r.noShows).not.toContain(lesson.id);
    const done = await get(lesson.id);
    expect(done).toMatchObject({
      status: 'completed',
      end_reason: 'never_overlapped',
      never_overlapped: true,
      no_show: { tutor: false, student: false },
      started_at: null,
      duration_seconds: null,
    });
    expect(await eventsOf(lesson.id, 'session.no_show')).toHaveLength(0);
    const [e] = await eventsOf(lesson.id, 'session.ended');
    expect(e!.data).toMatchObject({ from: 'waiting', to: 'completed', reason: 'never_overlapped', overlap_seconds: 0, never_overlapped: true });
    expect(e!.data.attendance.map((a: any) => a.duration_seconds)).toEqual([240, 600]);
    // Feedback is open after such a lesson, as after any completed one.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY })).body.participants.map((p: any) => p.no_show)).toEqual([false, false]);
  });

  it('a lesson they shared reports its overlap and never_overlapped: false', async () => {
    const created = await createLesson(api);
    const lesson = await schedule(created.id, 30, 60);
    const t0 = Date.parse(lesson.scheduled_start);
    const tutor = { role: 'tutor', user_id: lesson.tutor.id };
    const student = { role: 'student', user_id: lesson.student.id };
    await hookAt(api, 'participant.joined', lesson.id, t0 + 1 * MINUTE, tutor);
    await hookAt(api, 'participant.joined', lesson.id, t0 + 2 * MINUTE, student);
    await hookAt(api, 'participant.left', lesson.id, t0 + 12 * MINUTE, { ...student, reason: 'left' });
    await hookAt(api, 'participant.left', lesson.id, t0 + 13 * MINUTE, { ...tutor, reason: 'left' });
    const done = await get(lesson.id);
    expect(done).toMatchObject({ status: 'completed', end_reason: 'both_left', never_overlapped: false });
    const [e] = await eventsOf(lesson.id, 'session.ended');
    expect(e!.data).toMatchObject({ overlap_seconds: 600, never_overlapped: false });
  });

  it('a one-sided lesson is still a no-show for the absent side', async () => {
    const created = await createLesson(api);
    const lesson = await schedule(created.id, 50, 60);
    await hookAt(api, 'participant.joined', lesson.id, Date.parse(lesson.scheduled_start) + MINUTE, { role: 'tutor', user_id: lesson.tutor.id });
    const r = await api.server.runLessonJobs();
    expect(r.noShows).toContain(lesson.id);
    expect(await get(lesson.id)).toMatchObject({ status: 'no_show', never_overlapped: false, no_show: { tutor: false, student: true } });
  });
});
