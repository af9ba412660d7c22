// POST /v1/sessions/:id/join: the token, the seat, the lesson's status and the join window.
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintJoinToken } from '../src/tokens/join-token.ts';
import {
  API_KEY,
  DB_KINDS,
  HOOK_SECRET,
  JOIN_SECRET,
  MINUTE,
  createLesson,
  mintToken,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

const ICE = [{ urls: 'stun:stun.example.test:3478' }, { urls: ['turn:turn.example.test'], username: 'u', credential: 'c' }];

describe.each(DB_KINDS)('joining a lesson (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, {
      SIGNALING_PUBLIC_URL: 'wss://media-1.example.test/ws',
      ICE_SERVERS: JSON.stringify(ICE),
      JOIN_EARLY_MINUTES: '10',
    });
  });
  afterAll(() => api?.close());

  const join = (id: string, token?: string) => api.request('POST', `/v1/sessions/${id}/join`, { token });

  async function expectError(res: Awaited<ReturnType<typeof join>>, status: number, code: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
  }

  it('lets both participants in with the signaling URL, ICE servers, themselves and their peer', async () => {
    const lesson = await createLesson(api); // starts in 5 minutes; the room opens 10 minutes before
    const tutor = await join(lesson.id, await mintToken(api, lesson.id, 'tutor'));
    expect(tutor.status).toBe(200);
    expect(tutor.body).toEqual({
      signaling_url: 'wss://media-1.example.test/ws',
      seat_ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      media_node: 'default',
      ice_servers: ICE,
      session: {
        ...lesson,
        media_node: 'default',
        can_join: true,
        join_opens_at: new Date(Date.parse(lesson.scheduled_start) - 10 * MINUTE).toISOString(),
      },
      timer: {
        scheduled_start: lesson.scheduled_start,
        scheduled_end: lesson.scheduled_end,
        ends_at: lesson.scheduled_end,
        extension_seconds: 0,
        max_extension_seconds: 30 * 60,
        warnings_minutes_before_end: [5, 1],
        server_time: expect.any(String),
      },
      you: { role: 'tutor', user_id: lesson.tutor.id, name: 'Ada Tutor', avatar_url: 'https://example.test/ada.png' },
      peer: { role: 'student', user_id: lesson.student.id, name: 'Sam Student', avatar_url: null },
    });
    const student = await join(lesson.id, await mintToken(api, lesson.id, 'student'));
    expect(student.status).toBe(200);
    expect(student.body.you).toMatchObject({ role: 'student', user_id: lesson.student.id });
    expect(student.body.peer).toMatchObject({ role: 'tutor', user_id: lesson.tutor.id, name: 'Ada Tutor' });
  });

  it('refuses a missing token', async () => {
    const lesson = await createLesson(api);
    await expectError(await join(lesson.id), 401, 'token_missing');
  });

  it('refuses the API key (join is for participants)', async () => {
    const lesson = await createLesson(api);
    // Every API key is refused before the route runs (issue 16: participant routes take no key).
    await expectError(await join(lesson.id, API_KEY), 403, 'insufficient_scope');
  });

  it('refuses an expired token', async () => {
    const lesson = await createLesson(api);
    const { token } = await mintJoinToken(
      JOIN_SECRET,
      { sessionId: lesson.id, userId: lesson.tutor.id, role: 'tutor', name: 'Ada Tutor' },
      -60,
    );
    await expectError(await join(lesson.id, token), 401, 'token_expired');
  });

  it('refuses a tampered token', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'student');
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'tutor' })).toString('base64url');
    await expectError(await join(lesson.id, `${h}.${promoted}.${s}`), 401, 'token_invalid');
  });

  it('refuses a token signed with another secret or algorithm', async () => {
    const lesson = await createLesson(api);
    const forged = await new SignJWT({ sid: lesson.id, role: 'tutor', name: 'x' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(lesson.tutor.id)
      .setAudience('duet-join')
      .setIssuer('duet-api')
      .setJti('j1')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JOIN_SECRET.padEnd(64, 'x')));
    await expectError(await join(lesson.id, forged), 401, 'token_invalid');
  });

  it('refuses a token for another lesson', async () => {
    const a = await createLesson(api);
    const b = await createLesson(api);
    await expectError(await join(a.id, await mintToken(api, b.id, 'tutor')), 403, 'token_wrong_session');
  });

  it('refuses a valid token whose user does not hold the seat', async () => {
    const lesson = await createLesson(api);
    const { token } = await mintJoinToken(
      JOIN_SECRET,
      { sessionId: lesson.id, userId: 'someone-else', role: 'tutor', name: 'Mallory' },
      600,
    );
    await expectError(await join(lesson.id, token), 403, 'not_a_participant');
  });

  it('says when the room opens if it is too early', async () => {
    const start = Date.now() + 60 * MINUTE;
    const lesson = await createLesson(api, {
      scheduled_start: new Date(start).toISOString(),
      scheduled_end: new Date(start + 30 * MINUTE).toISOString(),
    });
    const res = await join(lesson.id, await mintToken(api, lesson.id, 'student'));
    await expectError(res, 409, 'too_early');
    expect(res.body.error.opens_at).toBe(new Date(start - 10 * MINUTE).toISOString());
  });

  it('refuses after the scheduled end', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'tutor');
    await api.server.sql`
      update sessions set scheduled_start = now() - interval '2 hours', scheduled_end = now() - interval '1 minute'
       where id = ${lesson.id}`;
    await expectError(await join(lesson.id, token), 409, 'lesson_ended');
  });

  it.each([
    [['cancelled'], 'lesson_cancelled'],
    [['no_show'], 'lesson_no_show'],
    [['waiting', 'live', 'completed'], 'lesson_ended'],
    [['cancelled', 'archived'], 'lesson_ended'],
  ] as const)('refuses a lesson moved to %j', async (path, code) => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'student');
    for (const status of path) await api.server.sql`update sessions set status = ${status} where id = ${lesson.id}`;
    await expectError(await join(lesson.id, token), 409, code);
  });

  it('lets a participant back into a live lesson', async () => {
    const lesson = await createLesson(api);
    for (const status of ['waiting', 'live']) {
      await api.server.sql`update sessions set status = ${status} where id = ${lesson.id}`;
    }
    const res = await join(lesson.id, await mintToken(api, lesson.id, 'tutor'));
    expect(res.status).toBe(200);
    expect(res.body.session.status).toBe('live');
  });
});

describe.each(DB_KINDS)('join: media nodes, TURN credentials and token reuse (%s)', (kind) => {
  let api: TestApi;
  const TURN_SECRET = 'coturn-static-auth-secret-0123';
  beforeAll(async () => {
    api = await startApiOn(kind, {
      MEDIA_NODES: JSON.stringify([
        { id: 'node-a', signaling_url: 'wss://a.example.test/ws' },
        { id: 'node-b', signaling_url: 'wss://b.example.test/ws' },
      ]),
      STUN_URLS: 'stun:stun.example.test:3478',
      TURN_URLS: 'turn:turn.example.test:3478?transport=udp,turns:turn.example.test:5349',
      TURN_SECRET,
      TURN_TTL_SECONDS: '600',
    });
  });
  afterAll(() => api?.close());
  const join = (id: string, token?: string) => api.request('POST', `/v1/sessions/${id}/join`, { token });

  it('places each lesson on the least loaded node and keeps it there for both participants', async () => {
    const first = await createLesson(api);
    const a = await join(first.id, await mintToken(api, first.id, 'tutor'));
    const second = await createLesson(api);
    const b = await join(second.id, await mintToken(api, second.id, 'student'));
    expect(a.body.media_node).not.toBe(b.body.media_node);
    expect(new Set([a.body.signaling_url, b.body.signaling_url])).toEqual(new Set(['wss://a.example.test/ws', 'wss://b.example.test/ws']));
    // Sticky: the other participant and later joins go to the same node.
    for (let i = 0; i < 3; i++) {
      const again = await join(first.id, await mintToken(api, first.id, i % 2 ? 'tutor' : 'student'));
      expect(again.body).toMatchObject({ media_node: a.body.media_node, signaling_url: a.body.signaling_url });
    }
    const read = await api.request('GET', `/v1/sessions/${first.id}`, { token: API_KEY });
    expect(read.body.media_node).toBe(a.body.media_node);
    const internal = await api.request('GET', `/internal/sessions/${first.id}`, { token: HOOK_SECRET });
    expect(internal.body.media_node).toBe(a.body.media_node);
  });

  it('hands out STUN and time-limited TURN credentials per the coturn REST scheme', async () => {
    const lesson = await createLesson(api);
    const before = Math.floor(Date.now() / 1000);
    const res = await join(lesson.id, await mintToken(api, lesson.id, 'student'));
    const [stun, turn] = res.body.ice_servers;
    expect(stun).toEqual({ urls: ['stun:stun.example.test:3478'] });
    expect(turn.urls).toEqual(['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349']);
    const [exp, user] = turn.username.split(':');
    expect(user).toBe(lesson.student.id);
    expect(Number(exp)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(exp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username).digest('base64'));
  });

  it('refuses an older link once a newer one joined the same seat (reloads with the current one work)', async () => {
    const lesson = await createLesson(api);
    const older = await mintToken(api, lesson.id, 'tutor');
    expect((await join(lesson.id, older)).status).toBe(200);
    expect((await join(lesson.id, older)).status).toBe(200); // a page reload
    await new Promise((r) => setTimeout(r, 1100)); // iat has one-second resolution
    const newer = await mintToken(api, lesson.id, 'tutor');
    expect((await join(lesson.id, newer)).status).toBe(200);
    const res = await join(lesson.id, older);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('token_superseded');
    // The other seat is not affected.
    expect((await join(lesson.id, await mintToken(api, lesson.id, 'student'))).status).toBe(200);
  });
});

describe.each(DB_KINDS)('join with JOIN_TOKEN_SINGLE_USE (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, { JOIN_TOKEN_SINGLE_USE: 'true' });
  });
  afterAll(() => api?.close());

  it('lets each token join exactly once, even when replayed concurrently', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'student');
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => api.request('POST', `/v1/sessions/${lesson.id}/join`, { token })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('token_already_used');
    const rows = await api.server.sql`select uses from join_redemptions where session_id = ${lesson.id}`;
    expect(rows).toEqual([{ uses: 4 }]); // every attempt is counted, one was let in
  });
});
