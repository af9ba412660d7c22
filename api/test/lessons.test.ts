// The marketplace's lesson operations: list (filters, pagination), reschedule, cancel, extend, archive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import {
  API_KEY,
  DB_KINDS,
  HOOK_SECRET,
  MINUTE,
  createLesson,
  mintToken,
  sendHook,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe.each(DB_KINDS)('lesson operations (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, { LESSON_MAX_EXTENSION_MINUTES: '20' });
  });
  afterAll(() => api?.close());

  const get = async (id: string) => (await api.request('GET', `/v1/sessions/${id}`, { token: API_KEY })).body;
  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
  };
  const hook = (type: string, sessionId: string, data: Record<string, unknown>, at = new Date()) =>
    sendHook(api, { id: `evt_${randomUUID()}`, type: type as any, created_at: at.toISOString(), session_id: sessionId, data });

  describe('reading', () => {
    it('shows every lesson fact', async () => {
      const lesson = await createLesson(api, { course_title: 'Algebra I' });
      expect(lesson).toMatchObject({
        course_title: 'Algebra I',
        status: 'scheduled',
        ends_at: lesson.scheduled_end,
        extension_seconds: 0,
        planned_duration_seconds: 3600,
        duration_seconds: null,
        end_reason: null,
        no_show: { tutor: false, student: false },
        cancel_reason: null,
        cancelled_at: null,
        archived_at: null,
        media_node: null,
        can_join: true,
        tutor: { id: expect.any(String), name: 'Ada Tutor', avatar_url: 'https://example.test/ada.png' },
        student: { id: expect.any(String), name: 'Sam Student', avatar_url: null },
      });
    });
  });

  describe('GET /v1/sessions', () => {
    it('filters by participant, role, status and time range, and pages with a cursor', async () => {
      const user = `user-${randomUUID()}`;
      const base = Date.now() + 24 * 60 * MINUTE;
      const made: any[] = [];
      for (let i = 0; i < 5; i++) {
        const role = i % 2 === 0 ? 'tutor' : 'student';
        made.push(
          await createLesson(api, {
            scheduled_start: iso(base + i * 60 * MINUTE),
            scheduled_end: iso(base + i * 60 * MINUTE + 30 * MINUTE),
            [role]: { id: user, name: 'Pat' },
          }),
        );
      }
      await api.request('POST', `/v1/sessions/${made[4].id}/cancel`, { token: API_KEY, body: { reason: 'sick' } });
      const list = (q: string) => api.request('GET', `/v1/sessions?${q}`, { token: API_KEY });

      const all = await list(`user_id=${user}`);
      expect(all.status).toBe(200);
      expect(all.body.sessions.map((s: any) => s.id)).toEqual(made.map((m) => m.id));
      expect(all.body.next_cursor).toBeNull();
      expect(all.body.sessions[0]).toMatchObject({ can_join: false, tutor: { id: user } });

      expect((await list(`user_id=${user}&role=student`)).body.sessions.map((s: any) => s.id)).toEqual([made[1].id, made[3].id]);
      expect((await list(`user_id=${user}&status=cancelled`)).body.sessions.map((s: any) => s.id)).toEqual([made[4].id]);
      expect((await list(`user_id=${user}&status=scheduled,cancelled`)).body.sessions).toHaveLength(5);
      const range = await list(`user_id=${user}&from=${encodeURIComponent(iso(base + 60 * MINUTE))}&to=${encodeURIComponent(iso(base + 180 * MINUTE))}`);
      expect(range.body.sessions.map((s: any) => s.id)).toEqual([made[1].id, made[2].id]);

      // Pages of two: every lesson once, in order.
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: any = await list(`user_id=${user}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body.sessions.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.sessions.map((s: any) => s.id));
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(made.map((m) => m.id));
      expect(pages).toBe(3);
    });

    it('refuses bad filters and callers without the API key', async () => {
      const lesson = await createLesson(api);
      const list = (q: string, token: string | null = API_KEY) => api.request('GET', `/v1/sessions?${q}`, { token: token ?? undefined });
      expectError(await list('status=exploded'), 400, 'validation_failed');
      expectError(await list('from=yesterday'), 400, 'validation_failed');
      expectError(await list('limit=-1'), 400, 'validation_failed');
      expectError(await list('colour=red'), 400, 'validation_failed');
      expectError(await list('cursor=garbage'), 400, 'invalid_cursor');
      expectError(await list(`from=${iso(Date.now())}&to=${iso(Date.now() - MINUTE)}`), 400, 'validation_failed');
      expectError(await list('', null), 401, 'api_key_missing');
      expectError(await list('', await mintToken(api, lesson.id, 'tutor')), 401, 'api_key_invalid');
    });
  });

  describe('PATCH /v1/sessions/:id', () => {
    it('reschedules and edits a scheduled lesson, and refuses once someone joined', async () => {
      const lesson = await createLesson(api);
      const start = Date.now() + 120 * MINUTE;
      const res = await api.request('PATCH', `/v1/sessions/${lesson.id}`, {
        token: API_KEY,
        body: { scheduled_start: iso(start), scheduled_end: iso(start + 45 * MINUTE), title: 'Moved', course_title: 'Algebra II', recording: true },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        title: 'Moved',
        course_title: 'Algebra II',
        recording: true,
        scheduled_start: iso(start),
        scheduled_end: iso(start + 45 * MINUTE),
        join_opens_at: iso(start - 15 * MINUTE),
        can_join: false,
      });
      // Only the end moves: the start stays.
      const endOnly = await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { scheduled_end: iso(start + 60 * MINUTE) } });
      expect(endOnly.body).toMatchObject({ scheduled_start: iso(start), scheduled_end: iso(start + 60 * MINUTE) });

      expectError(await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { scheduled_end: iso(start - MINUTE) } }), 400, 'validation_failed');
      expectError(await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: {} }), 400, 'validation_failed');
      expectError(await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { status: 'live' } }), 400, 'validation_failed');
      expectError(await api.request('PATCH', `/v1/sessions/nope`, { token: API_KEY, body: { title: 'x' } }), 404, 'session_not_found');

      const now = await createLesson(api);
      await hook('participant.joined', now.id, { role: 'tutor', user_id: now.tutor.id });
      expectError(await api.request('PATCH', `/v1/sessions/${now.id}`, { token: API_KEY, body: { title: 'late' } }), 409, 'lesson_not_scheduled');
    });
  });

  describe('cancel and archive', () => {
    it('cancels a scheduled lesson with a reason, emits the event, then archives it', async () => {
      const lesson = await createLesson(api);
      const res = await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'tutor is ill' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'cancelled', cancel_reason: 'tutor is ill', can_join: false });
      expect(Date.parse(res.body.cancelled_at)).toBeGreaterThan(Date.now() - MINUTE);
      const [event] = await api.server.sql<{ type: string; data: any }[]>`
        select type, data from events where session_id = ${lesson.id}`;
      expect(event).toEqual({ type: 'session.status_changed', data: { from: 'scheduled', to: 'cancelled', reason: 'cancelled', cancel_reason: 'tutor is ill', started: false } });
      const token = await mintToken(api, lesson.id, 'student');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token }), 409, 'lesson_cancelled');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'again' } }), 409, 'lesson_not_cancellable');

      const archived = await api.request('POST', `/v1/sessions/${lesson.id}/archive`, { token: API_KEY });
      expect(archived.body).toMatchObject({ status: 'archived', cancel_reason: 'tutor is ill' });
      expect(archived.body.archived_at).toEqual(expect.any(String));
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/archive`, { token: API_KEY }), 409, 'lesson_not_archivable');
    });

    it('refuses to cancel without a reason or archive an open one; cancels a started lesson (issue 16)', async () => {
      const lesson = await createLesson(api);
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: {} }), 400, 'validation_failed');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/archive`, { token: API_KEY }), 409, 'lesson_not_archivable');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/archive`, { token: API_KEY, body: { x: 1 } }), 400, 'validation_failed');
      await hook('participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
      const token = await mintToken(api, lesson.id, 'tutor');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token, body: { reason: 'r' } }), 401, 'api_key_invalid');
      expect((await get(lesson.id)).status).toBe('waiting');
      // A started lesson can be cancelled now: it ends (ended_at) and keeps the reason.
      const cancelled = await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'r' } });
      expect(cancelled.body).toMatchObject({ status: 'cancelled', cancel_reason: 'r', ended_at: expect.any(String) });
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'r' } }), 409, 'lesson_not_cancellable');
    });
  });

  describe('POST /v1/sessions/:id/extend', () => {
    it('lets the tutor extend within the bound, moving ends_at, the join window and the internal view', async () => {
      const lesson = await createLesson(api);
      const tutor = await mintToken(api, lesson.id, 'tutor');
      const res = await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: tutor, body: { minutes: 15 } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const endsAt = iso(Date.parse(lesson.scheduled_end) + 15 * MINUTE);
      expect(res.body).toMatchObject({ extension_seconds: 900, ends_at: endsAt, join_closes_at: endsAt, scheduled_end: lesson.scheduled_end });
      const internal = await api.request('GET', `/internal/sessions/${lesson.id}`, { token: HOOK_SECRET });
      expect(internal.body).toMatchObject({ ends_at: endsAt, extension_seconds: 900 });
      const [event] = await api.server.sql<{ data: any }[]>`select data from events where session_id = ${lesson.id} and type = 'session.extended'`;
      expect(event!.data).toMatchObject({ minutes: 15, extension_seconds: 900, ends_at: endsAt, by: { role: 'tutor', user_id: lesson.tutor.id } });

      // 15 + 10 > 20: refused with the numbers; 5 more fits exactly.
      const over = await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: tutor, body: { minutes: 10 } });
      expectError(over, 409, 'extension_limit');
      expect(over.body.error).toMatchObject({ max_extension_seconds: 1200, extension_seconds: 900 });
      expect((await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: API_KEY, body: { minutes: 5 } })).body.extension_seconds).toBe(1200);

      const student = await mintToken(api, lesson.id, 'student');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: student, body: { minutes: 1 } }), 403, 'tutor_only');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: tutor, body: { minutes: 0 } }), 400, 'validation_failed');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: tutor, body: { minutes: '5' } }), 400, 'validation_failed');
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { body: { minutes: 1 } }), 401, 'token_missing');
    });

    it('refuses to extend a lesson that is over', async () => {
      const lesson = await createLesson(api);
      await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'x' } });
      expectError(await api.request('POST', `/v1/sessions/${lesson.id}/extend`, { token: API_KEY, body: { minutes: 5 } }), 409, 'lesson_not_extendable');
    });
  });
});
