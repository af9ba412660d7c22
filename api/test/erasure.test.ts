// GDPR erasure: a whole lesson (recording, chat, notes, feedback, resources, analytics, attendance
// facts) and one user id across lessons; object storage emptied (local and S3), billing facts kept,
// webhooks and an audit event with counts but no content; clear 404 / 409 answers.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '@duet/deploy/testing';
import { createObjectStore, loadStorageConfig, type ObjectStore } from '../src/storage/index.ts';
import { API_KEY, HOOK_SECRET, createLesson, mintToken, sendHook, startApiOn, type DbKind, type TestApi } from './support/harness.ts';

const MATRIX: [DbKind, 'local' | 's3'][] = [
  ['pglite', 'local'],
  ['postgres', 'local'],
  ['pglite', 's3'],
  ['postgres', 's3'],
];
const SECRET_TEXT = 'Anna is 12 and lives at 5 Elm St';

describe.each(MATRIX)('erasure (%s database, %s storage)', (kind, storage) => {
  let api: TestApi;
  let s3: S3TestServer | undefined;
  let dir: string;
  let store: ObjectStore;

  beforeAll(async () => {
    dir = await mkdtemp(`${tmpdir()}/duet-erase-`);
    const env: Record<string, string> = { DUET_DATA_DIR: dir };
    if (storage === 's3') {
      s3 = await startS3Server();
      Object.assign(env, s3.env);
    }
    store = createObjectStore(loadStorageConfig(env, dir));
    api = await startApiOn(kind, env, { objects: store });
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const hook = (type: string, sessionId: string, data: Record<string, unknown>) =>
    sendHook(api, { id: `evt_${randomUUID()}`, type: type as never, created_at: new Date().toISOString(), session_id: sessionId, data });
  const count = async (table: string, sessionId: string) =>
    (await api.server.sql<{ n: number }[]>`select count(*)::int as n from ${api.server.sql(table)} where session_id = ${sessionId}`)[0]!.n;

  /** A finished, recorded lesson with something in every kind of content. */
  async function fullLesson(overrides: Record<string, unknown> = {}) {
    const lesson = await createLesson(api, { recording: true, title: `Maths with ${SECRET_TEXT}`, metadata: { note: SECRET_TEXT }, ...overrides });
    const tutorWho = { role: 'tutor', user_id: lesson.tutor.id };
    const studentWho = { role: 'student', user_id: lesson.student.id };
    await hook('participant.joined', lesson.id, tutorWho);
    await hook('participant.joined', lesson.id, studentWho);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const student = await mintToken(api, lesson.id, 'student');
    expect((await api.request('PUT', `/v1/sessions/${lesson.id}/notes`, { token: student, body: { text: SECRET_TEXT } })).status).toBe(200);
    expect((await api.request('PUT', `/v1/sessions/${lesson.id}/notes`, { token: tutor, body: { text: 'tutor note' } })).status).toBe(200);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/analytics`, { token: student, body: { type: 'ice.connected', at: new Date().toISOString() } })).status).toBe(202);
    const chat = (role: string, who: string) => ({ id: randomUUID(), role, user_id: who, name: 'X', text: SECRET_TEXT, sent_at: new Date().toISOString() });
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/chat`, { token: HOOK_SECRET, body: chat('student', lesson.student.id) })).status).toBe(201);
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/chat`, { token: HOOK_SECRET, body: chat('tutor', lesson.tutor.id) })).status).toBe(201);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(Buffer.from('%PDF-1.4\n' + SECRET_TEXT))], { type: 'application/pdf' }), 'worksheet.pdf');
    const up = await fetch(`${api.url}/v1/sessions/${lesson.id}/resources`, { method: 'POST', headers: { authorization: `Bearer ${tutor}` }, body: form });
    expect(up.status).toBe(201);
    const recId = randomUUID();
    const prefix = `recordings/sessions/${lesson.id}/${recId}`;
    for (const k of ['recording.mp4', 'manifest.json', 'tracks/run-0/audio-0001.webm']) await store.put(`${prefix}/${k}`, randomBytes(500));
    await hook('recording.started', lesson.id, { recording_id: recId });
    await hook('recording.ready', lesson.id, { recording_id: recId, storage_key: `${prefix}/recording.mp4`, duration_seconds: 5, size_bytes: 500 });
    await hook('participant.left', lesson.id, studentWho);
    await hook('participant.left', lesson.id, tutorWho);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/feedback`, { token: student, body: { rating: 5, comment: SECRET_TEXT } })).status).toBe(201);
    return { lesson, recId, prefix, tutor, student };
  }

  it('erases a whole lesson: storage and content gone, billing facts kept, webhook + audit without content', async () => {
    const { lesson, recId, prefix } = await fullLesson({ student: { id: `stu-${randomUUID()}`, name: 'Anna Private' } });
    const before = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY });
    expect(before.body.status).toBe('completed');

    expect((await api.request('POST', `/v1/sessions/${lesson.id}/erase`, { body: {} })).status).toBe(401);
    const res = await api.request('POST', `/v1/sessions/${lesson.id}/erase`, { token: API_KEY, body: { requested_by: 'ticket-42' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.counts).toEqual({ chat_messages: 2, notes: 2, feedback: 1, analytics_events: 1, attendance_facts: 4, resources: 1, recordings: 1 });
    expect(res.body.kept).toMatchObject({ status: 'completed', started_at: before.body.started_at, ended_at: before.body.ended_at });

    expect(await store.list(`${prefix}/`)).toEqual([]);
    expect(await store.list(`resources/sessions/${lesson.id}/`)).toEqual([]);
    for (const t of ['chat_messages', 'notes', 'feedback', 'analytics_events', 'attendance_facts', 'resources']) expect(await count(t, lesson.id), t).toBe(0);
    // Attendance intervals (join/leave times) stay for billing.
    expect(await count('attendance_intervals', lesson.id)).toBe(2);

    const after = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY });
    expect(after.body).toMatchObject({ status: 'completed', started_at: before.body.started_at, ended_at: before.body.ended_at, title: 'Erased lesson', metadata: {} });
    expect(after.body.student.name).toBe('Erased');
    expect(after.body.student.id).toBe(lesson.student.id);
    expect((await api.request('GET', `/v1/recordings/${recId}`, { token: API_KEY })).body).toMatchObject({ status: 'deleted', deleted_reason: 'session_erased' });

    const events = await api.request('GET', `/v1/sessions/${lesson.id}/events`, { token: API_KEY });
    const erased = events.body.events.filter((e: { type: string }) => e.type === 'session.erased');
    expect(erased).toHaveLength(1);
    expect(erased[0].data).toMatchObject({ erase_id: res.body.erase_id, requested_by: 'ticket-42', by: 'api_key', counts: res.body.counts });
    // Nothing erased survives anywhere in the lesson's stored events.
    expect(JSON.stringify(events.body.events)).not.toContain(SECRET_TEXT);
    expect(JSON.stringify(events.body.events)).not.toContain('Anna Private');

    const again = await api.request('POST', `/v1/sessions/${lesson.id}/erase`, { token: API_KEY, body: {} });
    expect([again.status, again.body.error.code]).toEqual([409, 'session_erased']);
  });

  it('a recorder that reports after the erasure cannot bring the recording back', async () => {
    const lesson = await createLesson(api, { recording: true });
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'x' } })).status).toBe(200);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/erase`, { token: API_KEY, body: {} })).status).toBe(200);
    const recId = randomUUID();
    const key = `recordings/sessions/${lesson.id}/${recId}/recording.mp4`;
    await hook('recording.started', lesson.id, { recording_id: recId });
    await store.put(key, randomBytes(100));
    expect((await hook('recording.ready', lesson.id, { recording_id: recId, storage_key: key, duration_seconds: 1, size_bytes: 100 })).status).toBe(200);
    expect((await api.request('GET', `/v1/recordings/${recId}`, { token: API_KEY })).body).toMatchObject({ status: 'deleted', deleted_reason: 'session_erased', url: null });
    expect(await store.head(key)).toBeNull();
    expect((await api.server.sql`select 1 from events where session_id = ${lesson.id} and type = 'recording.ready'`).length).toBe(0);
  });

  it('refuses lessons that are not over, unknown ids and bad bodies', async () => {
    const open = await createLesson(api);
    const r = await api.request('POST', `/v1/sessions/${open.id}/erase`, { token: API_KEY, body: {} });
    expect([r.status, r.body.error.code]).toEqual([409, 'session_not_over']);
    const missing = await api.request('POST', `/v1/sessions/nope-${randomUUID()}/erase`, { token: API_KEY, body: {} });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'session_not_found']);
    const bad = await api.request('POST', `/v1/sessions/${open.id}/erase`, { token: API_KEY, body: { requested_by: 'x'.repeat(201) } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
    const unknownUser = await api.request('POST', `/v1/users/nobody-${randomUUID()}/erase`, { token: API_KEY, body: {} });
    expect([unknownUser.status, unknownUser.body.error.code]).toEqual([404, 'user_not_found']);
    const openUser = await api.request('POST', `/v1/users/${open.student.id}/erase`, { token: API_KEY, body: {} });
    expect([openUser.status, openUser.body.error.code, openUser.body.error.session_ids]).toEqual([409, 'user_has_open_lessons', [open.id]]);
    expect((await api.request('POST', `/v1/users/${open.student.id}/erase`, { body: {} })).status).toBe(401);
  });

  it('erases one user across lessons: their content, every recording they are in; the other person keeps theirs', async () => {
    const userId = `stu-${randomUUID()}`;
    const a = await fullLesson({ student: { id: userId, name: 'Anna Private' } });
    const b = await fullLesson({ student: { id: userId, name: 'Anna Private' } });
    const unrelated = await fullLesson();
    const res = await api.request('POST', `/v1/users/${encodeURIComponent(userId)}/erase`, { token: API_KEY, body: { requested_by: 'dpo@school' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sessions.map((s: { session_id: string; role: string }) => [s.session_id, s.role]).sort()).toEqual([[a.lesson.id, 'student'], [b.lesson.id, 'student']].sort());
    expect(res.body.sessions[0].counts).toEqual({ chat_messages: 1, notes: 1, feedback: 1, analytics_events: 1, attendance_facts: 2, resources: 0, recordings: 1 });
    for (const x of [a, b]) {
      expect(await store.list(`${x.prefix}/`)).toEqual([]);
      const notes = await api.server.sql<{ role: string }[]>`select role from notes where session_id = ${x.lesson.id}`;
      expect(notes.map((n) => n.role)).toEqual(['tutor']);
      const chat = await api.server.sql<{ role: string }[]>`select role from chat_messages where session_id = ${x.lesson.id}`;
      expect(chat.map((n) => n.role)).toEqual(['tutor']);
      // The tutor's resource stays (not the erased user's).
      expect(await count('resources', x.lesson.id)).toBe(1);
      const s = await api.request('GET', `/v1/sessions/${x.lesson.id}`, { token: API_KEY });
      expect([s.body.student.name, s.body.tutor.name, s.body.status]).toEqual(['Erased', 'Ada Tutor', 'completed']);
      const ev = await api.server.sql<{ data: Record<string, unknown> }[]>`select data from events where session_id = ${x.lesson.id} and type = 'user.erased'`;
      expect(ev).toHaveLength(1);
      expect(ev[0]!.data).toMatchObject({ erase_id: res.body.erase_id, user_id: userId, role: 'student', requested_by: 'dpo@school' });
      expect(JSON.stringify(ev)).not.toContain(SECRET_TEXT);
    }
    expect(await store.list(`${unrelated.prefix}/`)).toHaveLength(3);
    expect(await count('notes', unrelated.lesson.id)).toBe(2);
  });
});
