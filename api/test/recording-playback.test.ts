// Playback from segments (issue 15 item 1), the API side: who may read a recording's playback
// description and its segments (a signed URL for exactly that path, or the session's Bearer
// credentials), what it answers before the recorder published playback.json (409) and after the MP4
// is ready (the file), and that a segment is only ever looked up by index in the recording's own
// playback.json, whose keys must lie under the recording's prefix. PGlite and PostgreSQL.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetEvent } from '../src/events/event.ts';
import { createObjectStore, loadStorageConfig, type ObjectStore } from '../src/storage/index.ts';
import { API_KEY, createLesson, mintToken, sendHook, startApiOn, type DbKind, type TestApi } from './support/harness.ts';

const hook = (type: string, sessionId: string, data: Record<string, unknown>): DuetEvent => ({ id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: new Date().toISOString(), session_id: sessionId, data });

describe.each(['pglite', 'postgres'] as DbKind[])('recording playback (%s)', (kind) => {
  let api: TestApi;
  let dir: string;
  let store: ObjectStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-rec-play-'));
    const env = { DUET_DATA_DIR: dir, LOG_LEVEL: 'error' };
    store = createObjectStore(loadStorageConfig(env, dir));
    api = await startApiOn(kind, env, { objects: store });
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function processing() {
    const lesson = await createLesson(api, { recording: true });
    const id = randomUUID();
    expect((await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }))).status).toBe(200);
    return { lesson, id, prefix: `recordings/sessions/${lesson.id}/${id}` };
  }
  const publish = (prefix: string, tracks: unknown[]) => store.put(`${prefix}/playback.json`, Buffer.from(JSON.stringify({ version: 1, durationS: 20, t0Ms: 0, tracks, skipped: [] })));
  const path = (u: string) => new URL(u).pathname + new URL(u).search;

  it('answers 409 until the recorder published playback.json, then segments with signed URLs that serve the bytes', async () => {
    const { lesson, id, prefix } = await processing();
    const list = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    const playbackUrl = list.body.recordings[0].playback_url as string;
    expect(playbackUrl).toMatch(new RegExp(`/v1/sessions/${lesson.id}/recordings/${id}/playback\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    expect((await api.request('GET', path(playbackUrl))).body.error.code).toBe('recording_not_playable_yet');

    const bytes = randomBytes(3000);
    await store.put(`${prefix}/tracks/cam/run-0/seg-00000.webm`, bytes);
    await publish(prefix, [{ trackId: 'cam', role: 'tutor', source: 'camera', kind: 'video', mimeType: 'video/webm; codecs="vp8"', segments: [{ key: `${prefix}/tracks/cam/run-0/seg-00000.webm`, startS: 1.5, durationS: 10 }] }]);
    const res = await api.request('GET', path(playbackUrl));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ recording_id: id, mode: 'segments', duration_seconds: 20, tracks: [{ role: 'tutor', kind: 'video', mime_type: 'video/webm; codecs="vp8"', segments: [{ start: 1.5, duration: 10 }] }] });
    const segUrl = res.body.tracks[0].segments[0].url as string;
    const seg = await fetch(`${api.url}${path(segUrl)}`);
    expect(seg.status).toBe(200);
    expect(seg.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await seg.arrayBuffer()).equals(bytes)).toBe(true);

    // A signature is for one path only: the next segment index, or a tampered signature, is refused.
    const other = path(segUrl).replace('/playback/0/0?', '/playback/0/1?');
    expect((await api.request('GET', other)).body.error.code).toBe('url_signature_invalid');
    // (Tampered = its first hex digit changed: replacing it with a fixed '0' left 1 signature in 16 intact.)
    const tampered = path(playbackUrl).replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    expect(tampered).not.toBe(path(playbackUrl));
    expect((await api.request('GET', tampered)).status).toBe(403);
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/playback`)).body.error.code).toBe('url_signature_missing');
    // Bearer: the session's join token works; another lesson's does not.
    const token = await mintToken(api, lesson.id, 'student');
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/playback`, { token })).status).toBe(200);
    const elsewhere = await createLesson(api, { recording: true });
    const foreign = await mintToken(api, elsewhere.id, 'student');
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/playback`, { token: foreign })).status).toBeGreaterThanOrEqual(401);
    // An index past the manifest is a 404, not a storage lookup.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/playback/0/9`, { token: API_KEY })).body.error.code).toBe('segment_not_found');
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/playback/999/0`, { token: API_KEY })).status).toBe(400);

    // Once the MP4 is ready the same URL hands out the file.
    await store.put(`${prefix}/recording.mp4`, randomBytes(100));
    expect((await sendHook(api, hook('recording.ready', lesson.id, { recording_id: id, storage_key: `${prefix}/recording.mp4`, duration_seconds: 20, size_bytes: 100, content_type: 'video/mp4' }))).status).toBe(200);
    const ready = await api.request('GET', path(playbackUrl));
    expect(ready.body).toMatchObject({ mode: 'file', tracks: [] });
    expect(ready.body.file_url).toContain(`/v1/sessions/${lesson.id}/recordings/${id}/file?exp=`);
  });

  it('never serves a key outside the recording, even if playback.json names one', async () => {
    const { lesson, id, prefix } = await processing();
    const { prefix: otherPrefix } = await processing();
    await store.put(`${otherPrefix}/recording.mp4`, randomBytes(10));
    await publish(prefix, [{ trackId: 'a', role: 'tutor', source: 'microphone', kind: 'audio', mimeType: 'audio/webm; codecs="opus"', segments: [{ key: `${otherPrefix}/recording.mp4`, startS: 0, durationS: 5 }] }]);
    const res = await api.request('GET', `/v1/sessions/${lesson.id}/recordings/${id}/playback/0/0`, { token: API_KEY });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('playback_manifest_invalid');
  });
});
