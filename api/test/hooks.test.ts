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
      ['no signature', { signature: '' }, 'signature_invalid'],
      ['a garbage signature', { signature: 't=1,v1=zz' }, 'signature_invalid'],
      ['the wrong secret', { secret: JOIN_SECRET }, 'signature_invalid'],
      ['the wrong secret and a stale timestamp', { secret: JOIN_SECRET, nowSeconds: Math.floor(Date.now() / 1000) - 600 }, 'signature_invalid'],
      // Right secret, clock off (issue 12 item 7): told apart so the sender can log the skew.
      ['a stale timestamp', { nowSeconds: Math.floor(Date.now() / 1000) - 600 }, 'signature_expired'],
      ['a timestamp from the future', { nowSeconds: Math.floor(Date.now() / 1000) + 600 }, 'signature_expired'],
    ])('refuses %s with 401 and changes nothing', async (_what, opts, code) => {
      const lesson = await createLesson(api);
      const event = hook('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
      const res = await sendHook(api, event, opts);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe(code);
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
        ends_at: lesson.scheduled_end,
        extension_seconds: 0,
        media_node: null,
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
        [hook('feedback.submitted', lesson.id, {}), 400, 'unknown_event_type'],
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
            first_joined_at: at(0).toISOString(),
            last_left_at: at(660).toISOString(),
            no_show: false,
            intervals: [{ joined_at: at(0).toISOString(), left_at: at(660).toISOString() }],
            duration_seconds: 660,
          },
          {
            role: 'student',
            user_id: lesson.student.id,
            name: 'Sam Student',
            first_joined_at: at(60).toISOString(),
            last_left_at: at(600).toISOString(),
            no_show: false,
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
        select type, created_at, data from events where session_id = ${lesson.id} and type like 'session.%' order by created_at`;
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
      const [{ n }] = (await api.server.sql`select count(*)::int as n from events where session_id = ${lesson.id} and type like 'session.%'`) as any;
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

describe.each(DB_KINDS)('reconnects, node-driven ends and warnings (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const get = async (id: string) => (await api.request('GET', `/v1/sessions/${id}`, { token: API_KEY })).body;
  async function liveLesson(t0: number) {
    const lesson = await createLesson(api);
    const tutor = { role: 'tutor', user_id: lesson.tutor.id };
    const student = { role: 'student', user_id: lesson.student.id };
    const at = (s: number) => new Date(t0 + s * 1000);
    const send = async (type: string, who: Record<string, unknown>, s: number) => {
      const res = await sendHook(api, hook(type, lesson.id, who, at(s)));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res;
    };
    await send('participant.joined', tutor, 0);
    await send('participant.joined', student, 10);
    expect((await get(lesson.id)).status).toBe('live');
    return { lesson, tutor, student, at, send };
  }
  const events = async (id: string) =>
    api.server.sql<{ id: string; type: string; data: any }[]>`
      select id, type, data from events where session_id = ${id} order by created_at, recorded_at`;

  it('goes live -> reconnecting on a drop and back to live when the seat resumes; attendance splits at the drop', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const { lesson, student, at, send } = await liveLesson(t0);
    await send('participant.reconnecting', student, 100);
    expect((await get(lesson.id)).status).toBe('reconnecting');
    await send('participant.joined', { ...student, resumed: true }, 130);
    expect((await get(lesson.id)).status).toBe('live');
    const att = (await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY })).body;
    expect(att.participants[1].intervals).toEqual([
      { joined_at: at(10).toISOString(), left_at: at(100).toISOString() },
      { joined_at: at(130).toISOString(), left_at: null },
    ]);
    const moves = (await events(lesson.id)).filter((e) => e.type === 'session.status_changed').map((e) => [e.data.from, e.data.to, e.data.reason]);
    expect(moves).toEqual([
      ['scheduled', 'waiting', 'first_join'],
      ['live', 'reconnecting', 'participant_dropped'],
      ['reconnecting', 'live', 'resumed'],
    ]);
    // Participant facts go out as webhooks too, under the hook's own id.
    expect((await events(lesson.id)).filter((e) => e.type.startsWith('participant.')).map((e) => e.type)).toEqual([
      'participant.joined',
      'participant.joined',
      'participant.reconnecting',
      'participant.joined',
    ]);
  });

  it('completes when the reconnect grace is over (the dropped seat leaves)', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const { lesson, student, at, send } = await liveLesson(t0);
    await send('participant.reconnecting', student, 100);
    await send('participant.left', { ...student, reason: 'reconnect_timeout' }, 130);
    const done = await get(lesson.id);
    expect(done).toMatchObject({ status: 'completed', ended_at: at(130).toISOString() });
    const att = (await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY })).body;
    // The grace period is not counted as presence.
    expect(att.participants[1]).toMatchObject({ duration_seconds: 90 });
    const ended = (await events(lesson.id)).find((e) => e.type === 'session.ended')!;
    expect(ended.data).toMatchObject({ from: 'reconnecting', to: 'completed', reason: 'reconnect_grace_over' });
  });

  it.each(['ended_by_tutor', 'time_up'])('completes on session.ended (%s) from the media node', async (reason) => {
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
    const { lesson, at, send } = await liveLesson(t0);
    await send('session.ended', { reason }, 300);
    expect(await get(lesson.id)).toMatchObject({ status: 'completed', ended_at: at(300).toISOString() });
    const ended = (await events(lesson.id)).find((e) => e.type === 'session.ended')!;
    expect(ended.data).toMatchObject({ reason, attendance: [{ duration_seconds: 300 }, { duration_seconds: 290 }] });
    // Attendance counts no further than the end even though no "left" has arrived.
    const att = (await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY })).body;
    expect(att.participants.map((p: any) => p.duration_seconds)).toEqual([300, 290]);
    const bad = await sendHook(api, hook('session.ended', lesson.id, { reason: 'bored' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_event_data');
  });

  it('forwards session.warning as a webhook event with the lesson end', async () => {
    const lesson = await createLesson(api);
    const w = hook('session.warning', lesson.id, { minutes_left: 5 });
    expect((await sendHook(api, w)).status).toBe(200);
    const [e] = (await events(lesson.id)).filter((x) => x.type === 'session.warning');
    expect(e).toEqual({ id: w.id, type: 'session.warning', data: { minutes_left: 5, ends_at: lesson.scheduled_end } });
    // Any configured minute (LESSON_WARNING_MINUTES=10,5,1 or test fractions) is accepted.
    for (const m of [10, 7, 0.5]) expect((await sendHook(api, hook('session.warning', lesson.id, { minutes_left: m }))).status).toBe(200);
    for (const m of [0, -1, 241, '5', null]) {
      const bad = await sendHook(api, hook('session.warning', lesson.id, { minutes_left: m }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_event_data');
    }
  });

  it('pairs hooks that arrive out of order and backfills a lost "joined" from the leave', async () => {
    const lesson = await createLesson(api);
    const tutor = { role: 'tutor', user_id: lesson.tutor.id };
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const at = (s: number) => new Date(t0 + s * 1000);
    // "left" first, its "joined" arrives late.
    await sendHook(api, hook('participant.left', lesson.id, tutor, at(50)));
    await sendHook(api, hook('participant.joined', lesson.id, tutor, at(10)));
    // A leave whose join was lost, carrying when the seat was taken.
    await sendHook(api, hook('participant.left', lesson.id, { ...tutor, joined_at: at(100).toISOString() }, at(160)));
    const att = (await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY })).body;
    expect(att.participants[0]).toMatchObject({
      intervals: [
        { joined_at: at(10).toISOString(), left_at: at(50).toISOString() },
        { joined_at: at(100).toISOString(), left_at: at(160).toISOString() },
      ],
      duration_seconds: 100,
    });
  });
});
