// Recordings: rows from the recorder's hooks (processing -> ready / failed), outbound webhooks
// through the outbox, the list for participants or the API key, and the file streamed from
// object storage with HTTP Range (signed URL or Bearer credentials).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetEvent } from '../src/events/event.ts';
import { LocalObjectStore } from '../src/storage/index.ts';
import { API_KEY, DB_KINDS, createLesson, mintToken, sendHook, startApiOn, type TestApi } from './support/harness.ts';

function hook(type: string, sessionId: string, data: Record<string, unknown>): DuetEvent {
  return { id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: new Date().toISOString(), session_id: sessionId, data };
}

describe.each(DB_KINDS)('recordings (%s)', (kind) => {
  let api: TestApi;
  let dir: string;
  let store: LocalObjectStore;
  const bytes = randomBytes(100_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-recordings-'));
    store = new LocalObjectStore(dir);
    api = await startApiOn(kind, {}, { objects: store });
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function readyRecording() {
    const lesson = await createLesson(api, { recording: true });
    const id = randomUUID();
    const key = `recordings/sessions/${lesson.id}/${id}/recording.mp4`;
    await store.put(key, bytes, { contentType: 'video/mp4' });
    expect((await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }))).status).toBe(200);
    const processing = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    expect(processing.status).toBe(200);
    expect(processing.body.recordings).toMatchObject([{ id, status: 'processing', url: null, partial: false }]);
    const ready = hook('recording.ready', lesson.id, { recording_id: id, storage_key: key, duration_seconds: 61.5, size_bytes: bytes.length, partial: true, content_type: 'video/mp4' });
    expect((await sendHook(api, ready)).status).toBe(200);
    expect((await sendHook(api, ready)).body).toMatchObject({ duplicate: true });
    return { lesson, id, key };
  }

  it('lists a recording as processing, then ready with a signed URL, and emits recording.ready once', async () => {
    const { lesson, id } = await readyRecording();
    const res = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    expect(res.body.recordings).toHaveLength(1);
    const r = res.body.recordings[0];
    expect(r).toMatchObject({ id, status: 'ready', duration_seconds: 61.5, size_bytes: bytes.length, partial: true, content_type: 'video/mp4' });
    expect(r.url).toMatch(new RegExp(`/v1/sessions/${lesson.id}/recordings/${id}/file\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    const events = await api.server.sql<{ type: string; data: Record<string, unknown> }[]>`
      select type, data from events where session_id = ${lesson.id} and type like 'recording.%'`;
    expect(events).toEqual([{ type: 'recording.ready', data: { recording_id: id, duration_seconds: 61.5, size_bytes: bytes.length, partial: true, recording_url: `${api.url}/v1/recordings/${id}` } }]);
  });

  it('streams the file with Range support through its signed URL', async () => {
    const { lesson, id } = await readyRecording();
    const { body } = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    const url: string = body.recordings[0].url;
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await full.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(url, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    const open = await fetch(url, { headers: { range: 'bytes=99990-' } });
    expect(open.status).toBe(206);
    expect((await open.arrayBuffer()).byteLength).toBe(10);
    const suffix = await fetch(url, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(-5))).toBe(true);
    const tooFar = await fetch(url, { headers: { range: `bytes=${bytes.length}-` } });
    expect(tooFar.status).toBe(416);
    expect(tooFar.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    // The signature covers exactly this path and expiry.
    expect((await fetch(url.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`))).status).toBe(403);
    expect((await fetch(url.replace(/exp=\d+/, 'exp=9999999999'))).status).toBe(403);
    expect((await fetch(url.replace(id, randomUUID()))).status).toBe(403);
    const expired = url.replace(/exp=\d+/, 'exp=1');
    expect((await fetch(expired)).status).toBe(403);
    expect((await fetch(url.split('?')[0]!)).status).toBe(403);
  });

  it('lets only the lesson participants or the API key read', async () => {
    const { lesson, id } = await readyRecording();
    const other = await createLesson(api);
    const path = `/v1/sessions/${lesson.id}/recordings`;
    for (const role of ['tutor', 'student'] as const) {
      const token = await mintToken(api, lesson.id, role);
      const res = await api.request('GET', path, { token });
      expect(res.status).toBe(200);
      expect(res.body.recordings[0].id).toBe(id);
      const file = await api.request('GET', `${path}/${id}/file`, { token, headers: { range: 'bytes=0-9' } });
      expect(file.status).toBe(206);
    }
    expect((await api.request('GET', path)).status).toBe(401);
    expect((await api.request('GET', path, { token: 'not-a-token' })).status).toBe(401);
    const stranger = await mintToken(api, other.id, 'student');
    expect((await api.request('GET', path, { token: stranger })).status).toBe(403);
    expect((await api.request('GET', `${path}/${id}/file`, { token: stranger })).status).toBe(403);
    expect((await api.request('GET', `/v1/sessions/${other.id}/recordings`, { token: API_KEY })).body).toEqual({ recordings: [] });
  });

  it('records a failure with its reason and emits recording.failed', async () => {
    const lesson = await createLesson(api, { recording: true });
    const id = randomUUID();
    await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }));
    expect((await sendHook(api, hook('recording.failed', lesson.id, { recording_id: id, reason: 'no_media' }))).status).toBe(200);
    const res = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    expect(res.body.recordings).toMatchObject([{ id, status: 'failed', failure_reason: 'no_media', url: null }]);
    const file = await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/file`, { token: API_KEY });
    expect(file.status).toBe(409);
    expect(file.body.error.code).toBe('recording_not_ready');
    const events = await api.server.sql<{ type: string }[]>`select type from events where session_id = ${lesson.id} and type like 'recording.%'`;
    expect(events.map((e) => e.type)).toEqual(['recording.failed']);
  });

  it('rejects malformed recording hooks with a clear error and no row', async () => {
    const lesson = await createLesson(api, { recording: true });
    const bad = [
      hook('recording.started', lesson.id, {}),
      hook('recording.started', lesson.id, { recording_id: 'x; drop table' }),
      hook('recording.ready', lesson.id, { recording_id: randomUUID(), storage_key: 'recordings/sessions/other/x.mp4', duration_seconds: 1, size_bytes: 1 }),
      hook('recording.ready', lesson.id, { recording_id: randomUUID(), storage_key: `recordings/sessions/${lesson.id}/../x`, duration_seconds: 1, size_bytes: 1 }),
      hook('recording.ready', lesson.id, { recording_id: randomUUID(), storage_key: `recordings/sessions/${lesson.id}/a.mp4`, duration_seconds: -1, size_bytes: 1 }),
      hook('recording.ready', lesson.id, { recording_id: randomUUID(), storage_key: `recordings/sessions/${lesson.id}/a.mp4`, duration_seconds: 1, size_bytes: 1.5 }),
    ];
    for (const e of bad) {
      const res = await sendHook(api, e);
      expect(res.status, JSON.stringify(e.data)).toBe(400);
      expect(res.body.error.code).toBe('invalid_event_data');
    }
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY })).body).toEqual({ recordings: [] });
  });

  it('answers 404 for an unknown recording and when the file is missing from storage', async () => {
    const { lesson, id, key } = await readyRecording();
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${randomUUID()}/file`, { token: API_KEY })).status).toBe(404);
    await store.delete(key);
    const res = await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/file`, { token: API_KEY });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('recording_file_missing');
  });
});
