// Recording lifecycle: DELETE (composed file, segments, manifests gone from object storage, row
// marked deleted, recording.deleted webhook), the retention job, the cross-lesson list with a cursor,
// and the link recording.ready carries — on local storage and on a real S3-protocol server, with
// PGlite and PostgreSQL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '@duet/deploy/testing';
import type { DuetEvent } from '../src/events/event.ts';
import { createObjectStore, loadStorageConfig, type ObjectStore } from '../src/storage/index.ts';
import { API_KEY, createLesson, mintToken, sendHook, startApiOn, type DbKind, type TestApi } from './support/harness.ts';

const MATRIX: [DbKind, 'local' | 's3'][] = [
  ['pglite', 'local'],
  ['postgres', 'local'],
  ['pglite', 's3'],
  ['postgres', 's3'],
];

function hook(type: string, sessionId: string, data: Record<string, unknown>, at = new Date()): DuetEvent {
  return { id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: at.toISOString(), session_id: sessionId, data };
}

describe.each(MATRIX)('recording lifecycle (%s database, %s storage)', (kind, storage) => {
  let api: TestApi;
  let s3: S3TestServer | undefined;
  let dir: string;
  let store: ObjectStore;
  let clock = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-rec-life-'));
    const env: Record<string, string> = { RECORDING_RETENTION_DAYS: '30', DUET_DATA_DIR: dir, LOG_LEVEL: 'error' };
    if (storage === 's3') {
      s3 = await startS3Server();
      Object.assign(env, s3.env);
    }
    // The test writes the recorder's objects into the very store the API uses.
    store = createObjectStore(loadStorageConfig(env, dir));
    api = await startApiOn(kind, env, { objects: store, now: () => new Date(clock) });
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A ready recording with what the recorder leaves in storage: segments, manifests, the MP4. */
  async function readyRecording(lessonOverrides: Record<string, unknown> = {}, at = new Date(clock)) {
    const lesson = await createLesson(api, { recording: true, ...lessonOverrides });
    const id = randomUUID();
    const prefix = `recordings/sessions/${lesson.id}/${id}`;
    const keys = [`${prefix}/recording.mp4`, `${prefix}/manifest.json`, `${prefix}/parts/p1.json`, `${prefix}/tracks/run-0/audio-0001.webm`, `${prefix}/tracks/run-0/video-0001.webm`];
    for (const k of keys) await store.put(k, randomBytes(2000));
    expect((await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }, at))).status).toBe(200);
    const ready = hook('recording.ready', lesson.id, { recording_id: id, storage_key: keys[0], duration_seconds: 30, size_bytes: 2000, content_type: 'video/mp4' }, at);
    expect((await sendHook(api, ready)).status).toBe(200);
    return { lesson, id, prefix, keys };
  }

  const events = (sessionId: string, type: string) =>
    api.server.sql<{ data: Record<string, unknown> }[]>`select data from events where session_id = ${sessionId} and type = ${type}`;

  it('recording.ready carries the endpoint that mints a fresh link, and that endpoint answers with one', async () => {
    const { lesson, id } = await readyRecording();
    const [ev] = await events(lesson.id, 'recording.ready');
    expect(ev!.data.recording_url).toBe(`${api.url}/v1/recordings/${id}`);
    const one = await api.request('GET', `/v1/recordings/${id}`, { token: API_KEY });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toMatchObject({ id, session_id: lesson.id, status: 'ready', deleted_at: null });
    const file = await fetch(one.body.url);
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBe(2000);
    if (storage === 's3') {
      // S3 downloads are presigned S3 URLs: the bytes never pass through the API.
      expect(one.body.url.startsWith(`${s3!.endpoint}/`)).toBe(true);
      expect(one.body.url).toContain('X-Amz-Signature=');
      // The served type and an inline filename are pinned in the signature (S3 answers with them).
      expect(one.body.url).toContain('response-content-type=video%2Fmp4');
      expect(one.body.url).toContain('response-content-disposition=inline');
      // Short-lived: SIGNED_URL_TTL_SECONDS (default 900). (The test S3 server does not check signatures.)
      expect(new URL(one.body.url).searchParams.get('X-Amz-Expires')).toBe('900');
      // The room page may play them (CSP media-src names the storage origin).
      expect(one.headers.get('content-security-policy')).toContain(`media-src 'self' blob: ${new URL(s3!.endpoint).origin}`);
    } else {
      expect(one.body.url.startsWith(`${api.url}/v1/sessions/${lesson.id}/recordings/${id}/file?`)).toBe(true);
    }
    expect((await api.request('GET', `/v1/recordings/${id}`)).status).toBe(401);
    const student = await mintToken(api, lesson.id, 'student');
    expect((await api.request('GET', `/v1/recordings/${id}`, { token: student })).status).toBe(401);
    expect((await api.request('GET', `/v1/recordings/${randomUUID()}`, { token: API_KEY })).body.error.code).toBe('recording_not_found');
  });

  it('DELETE removes the composed file, segments and manifests, marks the row and sends recording.deleted', async () => {
    const { lesson, id, prefix, keys } = await readyRecording();
    const other = await readyRecording();
    const { body } = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    const oldUrl: string = body.recordings[0].url;

    expect((await api.request('DELETE', `/v1/recordings/${id}`)).status).toBe(401);
    const del = await api.request('DELETE', `/v1/recordings/${id}`, { token: API_KEY });
    expect(del.status).toBe(204);
    expect(await store.list(`${prefix}/`)).toEqual([]);
    for (const k of keys) expect(await store.head(k)).toBeNull();
    // Another recording's objects are untouched.
    expect(await store.list(`${other.prefix}/`)).toHaveLength(5);

    const after = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    expect(after.body.recordings).toMatchObject([{ id, status: 'deleted', url: null, deleted_reason: 'api' }]);
    expect(after.body.recordings[0].deleted_at).toEqual(expect.any(String));
    const gone = await fetch(oldUrl);
    // S3 answers 403 or 404 for a missing key depending on the bucket policy; never the bytes.
    expect(storage === 's3' ? [403, 404] : [409]).toContain(gone.status);
    expect(await events(lesson.id, 'recording.deleted')).toEqual([{ data: { recording_id: id, reason: 'api', objects_deleted: 5, bytes_deleted: 10_000 } }]);

    const again = await api.request('DELETE', `/v1/recordings/${id}`, { token: API_KEY });
    expect([again.status, again.body.error.code]).toEqual([409, 'recording_deleted']);
    const unknown = await api.request('DELETE', `/v1/recordings/${randomUUID()}`, { token: API_KEY });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'recording_not_found']);
    const tooLong = await api.request('DELETE', `/v1/recordings/${'x'.repeat(101)}`, { token: API_KEY });
    expect([400, 414]).toContain(tooLong.status);
  });

  it('refuses to delete a recording that is still processing (409), and a late ready hook never resurrects a deleted one', async () => {
    const lesson = await createLesson(api, { recording: true });
    const id = randomUUID();
    await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }));
    const res = await api.request('DELETE', `/v1/recordings/${id}`, { token: API_KEY });
    expect([res.status, res.body.error.code]).toEqual([409, 'recording_processing']);

    const done = await readyRecording();
    expect((await api.request('DELETE', `/v1/recordings/${done.id}`, { token: API_KEY })).status).toBe(204);
    const late = hook('recording.ready', done.lesson.id, { recording_id: done.id, storage_key: done.keys[0], duration_seconds: 30, size_bytes: 2000 });
    expect((await sendHook(api, late)).status).toBe(200);
    expect((await api.request('GET', `/v1/recordings/${done.id}`, { token: API_KEY })).body.status).toBe('deleted');
  });

  it('the retention job deletes finished recordings older than RECORDING_RETENTION_DAYS, once, and keeps newer ones', async () => {
    const old = await readyRecording({}, new Date(clock - 31 * 86_400_000));
    const fresh = await readyRecording({}, new Date(clock - 29 * 86_400_000));
    // Two passes at once (two API instances share the database the same way): each recording once.
    const [a, b] = await Promise.all([api.server.runRecordingRetention(), api.server.runRecordingRetention()]);
    const deleted = [...a.deleted, ...b.deleted];
    expect(deleted.filter((x) => x === old.id)).toHaveLength(1);
    expect(deleted).not.toContain(fresh.id);
    expect(await store.list(`${old.prefix}/`)).toEqual([]);
    expect(await store.list(`${fresh.prefix}/`)).toHaveLength(5);
    expect(await events(old.lesson.id, 'recording.deleted')).toEqual([{ data: { recording_id: old.id, reason: 'retention', objects_deleted: 5, bytes_deleted: 10_000, retention_days: 30 } }]);
    expect((await api.server.runRecordingRetention()).deleted).toEqual([]);
  });

  it('lists recordings across lessons by time, user and status, page by page with a cursor', async () => {
    const from = new Date(clock + 1000 * 86_400_000);
    const at = (d: number) => new Date(from.getTime() + d * 60_000);
    const userId = `student-${randomUUID()}`;
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await readyRecording({ student: { id: userId, name: 'Sam' } }, at(i)));
    const notMine = await readyRecording({}, at(3));
    const to = at(10).toISOString();
    const q = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to)}`;

    const all = await api.request('GET', `/v1/recordings?${q}`, { token: API_KEY });
    expect(all.status).toBe(200);
    expect(all.body.recordings.map((r: { id: string }) => r.id)).toEqual([...mine.map((m) => m.id), notMine.id]);

    const page1 = await api.request('GET', `/v1/recordings?${q}&user_id=${userId}&limit=2`, { token: API_KEY });
    expect(page1.body.recordings.map((r: { id: string }) => r.id)).toEqual([mine[0]!.id, mine[1]!.id]);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await api.request('GET', `/v1/recordings?${q}&user_id=${userId}&limit=2&cursor=${page1.body.next_cursor}`, { token: API_KEY });
    expect(page2.body).toMatchObject({ recordings: [{ id: mine[2]!.id }], next_cursor: null });

    await api.request('DELETE', `/v1/recordings/${mine[1]!.id}`, { token: API_KEY });
    const deleted = await api.request('GET', `/v1/recordings?${q}&status=deleted`, { token: API_KEY });
    expect(deleted.body.recordings.map((r: { id: string }) => r.id)).toEqual([mine[1]!.id]);

    for (const [query, code] of [
      ['limit=99999', 'validation_failed'],
      ['status=bogus', 'validation_failed'],
      ['cursor=nope', 'invalid_cursor'],
      [`from=${encodeURIComponent(to)}&to=${encodeURIComponent(from.toISOString())}`, 'validation_failed'],
      ['evil=1', 'validation_failed'],
    ] as const) {
      const bad = await api.request('GET', `/v1/recordings?${query}`, { token: API_KEY });
      expect([bad.status, bad.body.error.code], query).toEqual([400, code]);
    }
    expect((await api.request('GET', '/v1/recordings')).status).toBe(401);
    const limited = await api.request('GET', `/v1/recordings?limit=1000`, { token: API_KEY });
    expect(limited.body.recordings.length).toBeLessThanOrEqual(200);
  });
});
