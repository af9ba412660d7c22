// Issue 12 item 7, the API's side: a hook signed with the right secret but a clock outside the
// signature window is answered `signature_expired` with the API's time and the skew, logged at
// error with the skew in seconds and counted (duet_api_internal_hooks_total{result}). A forged
// stale hook (wrong secret) stays a plain `signature_invalid` and logs no skew, so nobody without
// the secret can fill the log. Before the fix both were `signature_invalid`, nothing was logged
// and the sender could not tell a clock problem from a bad secret.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetEvent } from '../../src/events/event.ts';
import { DB_KINDS, JOIN_SECRET, createLesson, createTestDatabase, sendHook, startApi, type TestApi, type TestDatabase } from '../support/harness.ts';

describe.each(DB_KINDS)('hook clock skew (%s)', (kind) => {
  let db: TestDatabase;
  let api: TestApi;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const logStream = {
      write(chunk: string) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      },
    };
    api = await startApi(db.url, { LOG_LEVEL: 'warn' }, { logStream });
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const joined = (sessionId: string, userId: string): DuetEvent => ({
    id: `evt_${randomUUID()}`,
    type: 'participant.joined',
    created_at: new Date().toISOString(),
    session_id: sessionId,
    data: { role: 'tutor', user_id: userId },
  });

  it('answers signature_expired with the server time and skew, logs it at error and counts it', async () => {
    const lesson = await createLesson(api);
    const before = Date.now();
    const res = await sendHook(api, joined(lesson.id, lesson.tutor.id), { nowSeconds: Math.floor(Date.now() / 1000) - 900 });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature_expired');
    expect(Math.abs(Date.parse(res.body.error.server_time) - before)).toBeLessThan(5_000);
    expect(res.body.error.skew_seconds).toBeGreaterThanOrEqual(899);
    expect(res.body.error.skew_seconds).toBeLessThanOrEqual(902);
    const logged = lines.find((l) => typeof l.msg === 'string' && /clock outside the signature window/.test(l.msg));
    expect(logged?.level).toBe(50); // error
    expect(logged?.skew_seconds).toBe(res.body.error.skew_seconds);
    const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('duet_api_internal_hooks_total{result="signature_expired"} 1');
  });

  it('a stale hook with the wrong secret is signature_invalid and logs no skew', async () => {
    const lesson = await createLesson(api);
    const n = lines.length;
    const res = await sendHook(api, joined(lesson.id, lesson.tutor.id), { secret: JOIN_SECRET, nowSeconds: Math.floor(Date.now() / 1000) - 900 });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature_invalid');
    expect(res.body.error.server_time).toBeUndefined();
    expect(lines.slice(n).some((l) => /signature window/.test(String(l.msg)))).toBe(false);
    const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
    expect(metrics).toContain('duet_api_internal_hooks_total{result="signature_invalid"} 1');
  });
});
