// Internal hooks from the media node: signatures, idempotency, attendance and the lesson's life.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetEvent } from '../src/events/event.ts';
import { sign } from '../src/events/signature.ts';
import {
  API_KEY,
  DB_KINDS,
  HOOK_SECRET,
  JOIN_SECRET,
  createLesson,
  mintToken,
  sendHook,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

function hook(
  type: string,
  sessionId: string,
  data: Record<string, unknown>,
  at: Date = new Date(),
): DuetEvent {
  return { id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: at.toISOString(), session_id: sessionId, data };
}

describe.each(DB_KINDS)('internal hooks (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const status = async (id: string) => (await api.request('GET', `/v1/sessions/${id}`, { token: API_KEY })).body.status;

  describe('authentication', () => {
    it('accepts a correctly signed hook', async () => {
      const lesson = await createLesson(api);
      const res = await sendHook(api, hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id }));
      expect(res).toMatchObject({ status: 200, body: { ok: true } });
    });

    it.each([
      ['no signature', { signature: '' }],
      ['a garbage signature', { signature: 't=1,v1=zz' }],
      ['the wrong secret', { secret: JOIN_SECRET }],
      ['a stale timestamp', { nowSeconds: Math.floor(Date.now() / 1000) - 600 }],
      ['a timestamp from the future', { nowSeconds: Math.floor(Date.now() / 1000) + 600 }],
    ])('refuses %s with 401 and changes nothing', async (_what, opts) => {
      const lesson = await createLesson(api);
      const event = hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
      const res = await sendHook(api, event, opts);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('signature_invalid');
      expect(await status(lesson.id)).toBe('scheduled');
      // The same event, properly signed, is then still new (nothing was recorded).
      expect((await sendHook(api, event)).body).toEqual({ ok: true });
    });

    it('refuses a body changed after signing', async () => {
      const lesson = await createLesson(api);
      const event = hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
      const signature = sign(HOOK_SECRET, JSON.stringify(event));
      const res = await sendHook(api, { ...event, data: { role: 'student', user_id: lesson.student.id } }, { signature });
      expect(res.status).toBe(401);
    });

    it('GET /internal/sessions/:id needs the internal secret', async () => {
      const lesson = await createLesson(api, { recording: true });
      const ok = await api.request('GET', `/internal/sessions/${lesson.id}`, { token: HOOK_SECRET });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({
        id: lesson.id,
        status: 'scheduled',
        recording: true,
        scheduled_start: lesson.scheduled_start,
        scheduled_end: lesson.scheduled_end,
        join_opens_at: lesson.join_opens_at,
        join_closes_at: lesson.scheduled_end,
      });
      for (const token of [undefined, API_KEY, JOIN_SECRET, `${HOOK_SECRET}x`]) {
        const res = await api.request('GET', `/internal/sessions/${lesson.id}`, { token });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
      expect((await api.request('GET', '/internal/sessions/nope', { token: HOOK_SECRET })).status).toBe(404);
    });
  });

  describe('validation', () => {
    it('400s an unknown event type, bad data and a bad body; 404s an unknown lesson', async () => {
      const lesson = await createLesson(api);
      const cases: [DuetEvent, number, string][] = [
        [hook('participant.teleported', lesson.id, {}), 400, 'unknown_event_type'],
        [hook('recording.ready', lesson.id, {}), 400, 'unknown_event_type'],
        [hook('participant.joined', lesson.id, { role: 'admin', user_id: 'x' }), 400, 'invalid_event_data'],
        [hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.student.id }), 400, 'participant_mismatch'],
        [{ ...hook('participant.joined', lesson.id, {}), created_at: 'yesterday' }, 400, 'validation_failed'],
        [hook('participant.joined', 'no-such-lesson', { role: 'tutor', user_id: 'x' }), 404, 'session_not_found'],
      ];
      for (const [event, code, errorCode] of cases) {
        const res = await sendHook(api, event);
        expect(res.status, errorCode).toBe(code);
        expect(res.body.error.code).toBe(errorCode);
      }
      const raw = '{"id":';
      const notJson = await api.request('POST', '/internal/hooks', {
        rawBody: raw,
        headers: { 'content-type': 'application/json', 'duet-signature': sign(HOOK_SECRET, raw) },
      });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error.code).toBe('invalid_json');
      expect(await status(lesson.id)).toBe('scheduled');
    });
  });

  describe('idempotency', () => {
    it('applies an event once and answers its retries as duplicates', async () => {
      const lesson = await createLesson(api);
      const event = hook('participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
      expect((await sendHook(api, event)).body).toEqual({ ok: true });
      expect(await sendHook(api, event)).toMatchObject({ status: 200, body: { ok: true, duplicate: true } });
      // Concurrent retries too.
      const again = await Promise.all([1, 2, 3].map(() => sendHook(api, event)));
      for (const r of again) expect(r.body).toEqual({ ok: true, duplicate: true });
      const rows = await api.server.sql`select * from attendance_intervals where session_id = ${lesson.id}`;
      expect(rows).toHaveLength(1);
      expect(await status(lesson.id)).toBe('waiting');
    });

    it('ignores a second "joined" while present and a "left" while absent', async () => {
      const lesson = await createLesson(api);
      const who = { role: 'tutor', user_id: lesson.tutor.id };
      expect((await sendHook(api, hook('participant.left', lesson.id, who))).status).toBe(200);
      expect(await status(lesson.id)).toBe('scheduled');
      const t0 = Date.now();
      await sendHook(api, hook('participant.joined', lesson.id, who, new Date(t0)));
      expect((await sendHook(api, hook('participant.joined', lesson.id, who, new Date(t0 + 5000)))).status).toBe(200);
      const rows = await api.server.sql`select joined_at, left_at from attendance_intervals where session_id = ${lesson.id}`;
      expect(rows).toEqual([{ joined_at: new Date(t0), left_at: null }]);
    });
  });

  describe("the lesson's life", () => {
    it('goes scheduled -> waiting -> live -> completed with exact attendance per person', async () => {
      const lesson = await createLesson(api);
      const tutor = { role: 'tutor', user_id: lesson.tutor.id };
      const student = { role: 'student', user_id: lesson.student.id };
      const t0 = Math.floor(Date.now() / 1000) * 1000;
      const at = (s: number) => new Date(t0 + s * 1000);
      const send = async (type: string, who: object, s: number) => {
        const res = await sendHook(api, hook(type, lesson.id, who as Record<string, unknown>, at(s)));
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      };

      await send('participant.joined', tutor, 0);
      expect(await status(lesson.id)).toBe('waiting');
      await send('participant.joined', student, 60);
      const live = (await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body;
      expect(live).toMatchObject({ status: 'live', started_at: at(60).toISOString(), ended_at: null });

      await send('participant.left', student, 120); // one leaves: still live
      expect(await status(lesson.id)).toBe('live');
      await send('participant.joined', student, 150);
      await send('participant.left', student, 600);
      expect(await status(lesson.id)).toBe('live');
      await send('participant.left', tutor, 660);
      const done = (await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body;
      expect(done).toMatchObject({ status: 'completed', started_at: at(60).toISOString(), ended_at: at(660).toISOString() });

      const expected = {
        participants: [
          {
            role: 'tutor',
            user_id: lesson.tutor.id,
            name: 'Ada Tutor',
            intervals: [{ joined_at: at(0).toISOString(), left_at: at(660).toISOString() }],
            duration_seconds: 660,
          },
          {
            role: 'student',
            user_id: lesson.student.id,
            name: 'Sam Student',
            intervals: [
              { joined_at: at(60).toISOString(), left_at: at(120).toISOString() },
              { joined_at: at(150).toISOString(), left_at: at(600).toISOString() },
            ],
            duration_seconds: 510,
          },
        ],
      };
      const byKey = await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY });
      expect(byKey).toMatchObject({ status: 200, body: expected });
      const byStudent = await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, {
        token: await mintToken(api, lesson.id, 'student'),
      });
      expect(byStudent.body).toEqual(expected);
      expect((await api.request('GET', `/v1/sessions/${lesson.id}/attendance`)).status).toBe(401);

      // Every move is an event in the log, stamped with the time of the fact.
      const events = await api.server.sql<{ type: string; created_at: Date; data: any }[]>`
        select type, created_at, data from events where session_id = ${lesson.id} order by created_at`;
      expect(events.map((e) => [e.type, e.created_at.toISOString(), e.data.from, e.data.to])).toEqual([
        ['session.status_changed', at(0).toISOString(), 'scheduled', 'waiting'],
        ['session.started', at(60).toISOString(), 'waiting', 'live'],
        ['session.ended', at(660).toISOString(), 'live', 'completed'],
      ]);
      expect(events[2]!.data).toMatchObject({
        reason: 'both_left',
        ended_at: at(660).toISOString(),
        attendance: [
          { role: 'tutor', user_id: lesson.tutor.id, duration_seconds: 660 },
          { role: 'student', user_id: lesson.student.id, duration_seconds: 510 },
        ],
      });

      // Facts after the end are recorded but move nothing.
      await send('participant.joined', tutor, 700);
      expect(await status(lesson.id)).toBe('completed');
    });

    it('stays waiting when the only participant leaves before the other came', async () => {
      const lesson = await createLesson(api);
      const tutor = { role: 'tutor', user_id: lesson.tutor.id };
      await sendHook(api, hook('participant.joined', lesson.id, tutor));
      await sendHook(api, hook('participant.left', lesson.id, tutor));
      expect(await status(lesson.id)).toBe('waiting');
      const att = await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY });
      expect(att.body.participants[0].intervals).toHaveLength(1);
      expect(att.body.participants[1]).toMatchObject({ intervals: [], duration_seconds: 0 });
    });

    it('records attendance but moves nothing once the lesson is cancelled', async () => {
      const lesson = await createLesson(api);
      await api.server.sql`update sessions set status = 'cancelled' where id = ${lesson.id}`;
      const tutor = hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
      const student = hook('participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
      expect((await sendHook(api, tutor)).status).toBe(200);
      expect((await sendHook(api, student)).status).toBe(200);
      expect(await status(lesson.id)).toBe('cancelled');
      const [{ n }] = (await api.server.sql`select count(*)::int as n from events where session_id = ${lesson.id}`) as any;
      expect(n).toBe(0);
    });

    it('rolls the whole hook back when a step fails, so the retry applies it', async () => {
      const lesson = await createLesson(api);
      const tutor = hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
      const student = hook('participant.joined', lesson.id, { role: 'student', user_id: lesson.student.id });
      await sendHook(api, tutor);
      // Make writing session.started fail, after the receipt and the attendance row were written.
      await api.server.sql.unsafe(`
        create function fail_started() returns trigger language plpgsql as $$
        begin raise exception 'outbox unavailable'; end $$;
        create trigger fail_started before insert on events for each row
          when (new.type = 'session.started') execute function fail_started();`);
      try {
        const failed = await sendHook(api, student);
        expect(failed.status).toBe(500);
        expect(failed.body).toEqual({ error: { code: 'internal_error', message: 'internal server error' } });
      } finally {
        await api.server.sql.unsafe('drop trigger fail_started on events; drop function fail_started();');
      }
      expect(await status(lesson.id)).toBe('waiting');
      const rows = await api.server.sql`select role from attendance_intervals where session_id = ${lesson.id}`;
      expect(rows.map((r) => r.role)).toEqual(['tutor']);
      expect((await sendHook(api, student)).body).toEqual({ ok: true }); // not a duplicate
      expect(await status(lesson.id)).toBe('live');
    });
  });
});
