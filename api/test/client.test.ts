// The marketplace client against a real API: lessons, tokens, attendance, errors, and verifying a
// real signed webhook delivered to a small receiver.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetApiError, DuetClient, WebhookSignatureError, verifyWebhook, type DuetWebhookEvent } from '../src/client/index.ts';
import { sign } from '../src/events/signature.ts';
import { API_KEY, DB_KINDS, MINUTE, eventually, sendHook, startApiOn, type TestApi } from './support/harness.ts';

const SECRET = 'whsec-client-0123456789';

describe.each(DB_KINDS)('marketplace client (%s)', (kind) => {
  let api: TestApi;
  let receiver: Server;
  const got: { event: DuetWebhookEvent | null; error: string | null; dup: boolean }[] = [];
  const seen = new Set<string>();
  beforeAll(async () => {
    // A marketplace receiver written the way the client's docs say: verify, dedupe by id, ack.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        try {
          const event = verifyWebhook(SECRET, Buffer.concat(chunks), req.headers['duet-signature']);
          got.push({ event, error: null, dup: seen.has(event.id) });
          seen.add(event.id);
          res.writeHead(204).end();
        } catch (err) {
          got.push({ event: null, error: (err as WebhookSignatureError).reason, dup: false });
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/duet`;
    api = await startApiOn(kind, { WEBHOOK_ENDPOINTS: JSON.stringify([{ url, secret: SECRET }]), WEBHOOK_POLL_MS: '50' });
  });
  afterAll(async () => {
    await api?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it('creates a lesson, mints tokens, lists, reads attendance, and the webhooks verify', async () => {
    const client = new DuetClient({ baseUrl: `${api.url}/`, apiKey: API_KEY });
    const start = new Date(Date.now() + 5 * MINUTE);
    const tutorId = `t-${randomUUID()}`;
    const lesson = await client.createLesson({
      title: 'Physics',
      scheduled_start: start,
      scheduled_end: new Date(start.getTime() + 45 * MINUTE),
      tutor: { id: tutorId, name: 'Tess' },
      student: { id: `s-${randomUUID()}`, name: 'Stu' },
    });
    expect(lesson).toMatchObject({ status: 'scheduled', scheduled_start: start.toISOString(), can_join: true });
    expect(await client.getLesson(lesson.id)).toEqual({ ...lesson, updated_at: expect.any(String) });
    const t = await client.mintJoinToken(lesson.id, 'student');
    expect(t.join_url).toContain(`#token=${t.token}`);
    expect((await client.listLessons({ user_id: tutorId, status: ['scheduled'] })).sessions.map((s) => s.id)).toEqual([lesson.id]);

    for (const [type, role, user_id] of [
      ['participant.joined', 'tutor', lesson.tutor.id],
      ['participant.joined', 'student', lesson.student.id],
    ] as const) {
      await sendHook(api, { id: `evt_${randomUUID()}`, type, created_at: new Date().toISOString(), session_id: lesson.id, data: { role, user_id } });
    }
    const att = await client.getAttendance(lesson.id);
    expect(att.participants.map((p) => [p.role, p.intervals.length])).toEqual([['tutor', 1], ['student', 1]]);
    expect((await client.getLesson(lesson.id)).status).toBe('live');

    // The receiver verified every delivery with verifyWebhook.
    await eventually(() => (got.some((g) => g.event?.type === 'session.started' && g.event.session_id === lesson.id) ? true : undefined));
    expect(got.filter((g) => g.error)).toEqual([]);
  });

  it('turns error answers into DuetApiError with the code and details', async () => {
    const client = new DuetClient({ baseUrl: api.url, apiKey: API_KEY });
    await expect(client.getLesson('nope')).rejects.toMatchObject({ name: 'DuetApiError', status: 404, code: 'session_not_found' });
    const bad = new DuetClient({ baseUrl: api.url, apiKey: 'wrong-key-000000000000000' });
    await expect(bad.listLessons()).rejects.toBeInstanceOf(DuetApiError);
    await expect(bad.listLessons()).rejects.toMatchObject({ status: 401, code: 'api_key_invalid' });
    const start = Date.now() + 120 * MINUTE;
    const lesson = await client.createLesson({
      title: 'x',
      scheduled_start: new Date(start).toISOString(),
      scheduled_end: new Date(start + 60 * MINUTE).toISOString(),
      tutor: { id: `a-${randomUUID()}`, name: 'A' },
      student: { id: `b-${randomUUID()}`, name: 'B' },
    });
    expect((await client.cancelLesson(lesson.id, 'no longer needed')).status).toBe('cancelled');
    await expect(client.extendLesson(lesson.id, 5)).rejects.toMatchObject({ status: 409, code: 'lesson_not_extendable' });
    expect((await client.archiveLesson(lesson.id)).status).toBe('archived');
    expect(() => new DuetClient({ baseUrl: '', apiKey: 'x' })).toThrow(TypeError);
  });

  it('verifyWebhook refuses a missing, malformed, stale, forged or tampered signature', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'session.ended', created_at: new Date().toISOString(), session_id: 's', data: {} });
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(SECRET, body, sign(SECRET, body, now)).id).toBe('evt_1');
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as WebhookSignatureError).reason;
      }
      return 'accepted';
    };
    expect(reason(() => verifyWebhook(SECRET, body, undefined))).toBe('missing');
    expect(reason(() => verifyWebhook(SECRET, body, 'v1=abc'))).toBe('malformed');
    expect(reason(() => verifyWebhook(SECRET, body, sign(SECRET, body, now - 301)))).toBe('stale');
    expect(reason(() => verifyWebhook('another-secret-0000', body, sign(SECRET, body, now).replace(/v1=\w+/, `v1=${'0'.repeat(64)}`)))).toBe('mismatch');
    expect(reason(() => verifyWebhook(SECRET, body.replace('ended', 'started'), sign(SECRET, body, now)))).toBe('mismatch');
    expect(reason(() => verifyWebhook(SECRET, 'not json', sign(SECRET, 'not json', now)))).toBe('invalid_body');
    // Rotation: a header with two v1 values verifies against either secret.
    const two = `${sign(SECRET, body, now)},v1=${'f'.repeat(64)}`;
    expect(verifyWebhook(SECRET, body, two).id).toBe('evt_1');
  });
});
