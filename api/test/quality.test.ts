// Lesson quality reports (issue 13, item 7): a room posts its media summary with its join token;
// the latest per seat is kept (bounded: one row per seat), the marketplace reads it with the API
// key, the session.ended event carries it, and a seat's first final report feeds the histograms.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, createLesson, mintToken, sendHook, startApiOn, type TestApi } from './support/harness.ts';

const report = (over: Record<string, unknown> = {}) => ({
  mode: 'sfu',
  path: { type: 'relay', protocol: 'tls' },
  duration_seconds: 60,
  rtt_ms: { median: 42, p90: 80 },
  audio_loss_pct: 1.5,
  video_loss_pct: 2,
  audio_concealment_pct: 4,
  freeze_count: 2,
  freeze_seconds: 3.5,
  video_fps: 24,
  video_height: 480,
  browser: 'Chrome 131',
  ...over,
});

describe.each(DB_KINDS)('lesson quality (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, { METRICS_TOKEN: 'metrics-token-0123456789' });
  });
  afterAll(() => api?.close());

  const hook = (sessionId: string, type: string, data: Record<string, unknown>) =>
    sendHook(api, { id: `evt_${randomUUID()}`, type: type as any, created_at: new Date().toISOString(), session_id: sessionId, data });
  const metric = async (line: RegExp) => {
    const text = String((await api.request('GET', '/metrics', { token: 'metrics-token-0123456789' })).body);
    return Number(line.exec(text)?.[1] ?? 0);
  };

  it('stores the latest report per seat, serves it to the API key, and session.ended carries it', async () => {
    const lesson = await createLesson(api);
    const [tutor, student] = [await mintToken(api, lesson.id, 'tutor'), await mintToken(api, lesson.id, 'student')];
    // Not running yet: nothing to report on.
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: tutor, body: report() })).body.error.code).toBe('lesson_not_running');
    for (const [role, id] of [['tutor', lesson.tutor.id], ['student', lesson.student.id]]) {
      expect((await hook(lesson.id, 'participant.joined', { role, user_id: id })).status).toBe(200);
    }
    const freezesBefore = await metric(/^duet_lesson_freeze_seconds_count\{mode="sfu"\} (\d+)/m);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: tutor, body: report({ freeze_count: 1 }) })).status).toBe(202);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: tutor, body: report({ final: true, freeze_seconds: 7 }) })).status).toBe(202);
    // A second final report replaces the figures but is not observed again.
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: tutor, body: report({ final: true, freeze_seconds: 8 }) })).status).toBe(202);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: student, body: report({ mode: 'p2p', path: { type: 'host', protocol: 'udp' } }) })).status).toBe(202);
    expect(await metric(/^duet_lesson_freeze_seconds_count\{mode="sfu"\} (\d+)/m)).toBe(freezesBefore + 1);
    expect(await metric(/^duet_lesson_audio_concealment_ratio_bucket\{le="0.05",mode="sfu"\} (\d+)/m)).toBeGreaterThanOrEqual(1);

    // Participants cannot read it; the marketplace can.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/quality`, { token: tutor })).status).toBe(401);
    const got = await api.request('GET', `/v1/sessions/${lesson.id}/quality`, { token: API_KEY });
    expect(got.status).toBe(200);
    expect(got.body.participants).toHaveLength(2);
    const t = got.body.participants.find((p: any) => p.role === 'tutor');
    expect(t).toMatchObject({ user_id: lesson.tutor.id, reports: 3, final: true, report: { freeze_seconds: 8, path: { type: 'relay', protocol: 'tls' }, browser: 'Chrome 131' } });
    expect(t.report.final).toBeUndefined();

    expect((await hook(lesson.id, 'session.ended', { reason: 'ended_by_tutor' })).status).toBe(200);
    const [ended] = await api.server.sql<{ data: any }[]>`select data from events where session_id = ${lesson.id} and type = 'session.ended'`;
    expect(ended!.data.quality.map((p: any) => [p.role, p.report.mode])).toEqual([['tutor', 'sfu'], ['student', 'p2p']]);
    // The leave report that races the end is still taken; much later it is not.
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: student, body: report({ final: true }) })).status).toBe(202);
    await api.server.sql`update sessions set ended_at = now() - interval '11 minutes' where id = ${lesson.id}`;
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: student, body: report() })).status).toBe(409);
  });

  it('refuses anonymous callers before reading the body, and bounded, well-formed reports only', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    expect((await hook(lesson.id, 'participant.joined', { role: 'tutor', user_id: lesson.tutor.id })).status).toBe(200);
    const anonymous = await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { body: { nonsense: true } });
    expect(anonymous.status).toBe(401);
    for (const bad of [
      report({ audio_concealment_pct: 101 }),
      report({ extra: 1 }),
      report({ browser: '<script>' }),
      report({ browser: 'x'.repeat(65) }),
      report({ path: { type: 'relay', protocol: 'quic' } }),
      report({ freeze_count: -1 }),
    ]) {
      const r = await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: tutor, body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    const big = await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: tutor, rawBody: JSON.stringify({ ...report(), pad: 'x'.repeat(5000) }), headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    // Another lesson's token opens nothing here.
    const other = await createLesson(api);
    const otherToken = await mintToken(api, other.id, 'tutor');
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/quality`, { token: otherToken, body: report() })).status).toBe(403);
  });
});
