// The API's recording figures on /metrics follow the recorders' hooks: recordings by status,
// failures by reason (unknown reasons bounded to `other`), partial ready recordings.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../src/events/event.ts';
import { DB_KINDS, createLesson, sendHook, startApiOn, type TestApi } from './support/harness.ts';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(((m[2] ?? '').match(/\w+="[^"]*"/g) ?? []).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 2, -1)]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe.each(DB_KINDS)('API recording metrics (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(async () => {
    await api?.close();
  });
  const scrape = async () => {
    const res = await api.request('GET', '/metrics');
    expect(res.status).toBe(200);
    return res.body as string;
  };
  const hook = async (type: 'recording.started' | 'recording.ready' | 'recording.failed', lessonId: string, data: Record<string, unknown>) =>
    expect((await sendHook(api, newEvent(type, lessonId, data))).status).toBe(200);

  it('counts recordings by status, failures by reason and partial ones', async () => {
    const empty = await scrape();
    for (const status of ['processing', 'ready', 'failed']) expect(sample(empty, 'duet_recordings', { status })).toBe(0);
    for (const reason of ['no_media', 'finalize_failed', 'storage_unavailable', 'other']) expect(sample(empty, 'duet_recording_failures', { reason })).toBe(0);
    expect(sample(empty, 'duet_recordings_partial')).toBe(0);

    const lesson = await createLesson(api, { recording: true });
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const id of [a, b, c, d]) await hook('recording.started', lesson.id, { recording_id: id });
    expect(sample(await scrape(), 'duet_recordings', { status: 'processing' })).toBe(4);

    await hook('recording.ready', lesson.id, { recording_id: a, storage_key: `recordings/sessions/${lesson.id}/${a}/recording.mp4`, duration_seconds: 60, size_bytes: 1000, partial: true });
    await hook('recording.failed', lesson.id, { recording_id: b, reason: 'no_media' });
    await hook('recording.failed', lesson.id, { recording_id: c, reason: 'storage_unavailable' });
    await hook('recording.failed', lesson.id, { recording_id: d, reason: 'Something Else: with spaces' });
    const after = await scrape();
    expect(sample(after, 'duet_recordings', { status: 'processing' })).toBe(0);
    expect(sample(after, 'duet_recordings', { status: 'ready' })).toBe(1);
    expect(sample(after, 'duet_recordings', { status: 'failed' })).toBe(3);
    expect(sample(after, 'duet_recording_failures', { reason: 'no_media' })).toBe(1);
    expect(sample(after, 'duet_recording_failures', { reason: 'storage_unavailable' })).toBe(1);
    expect(sample(after, 'duet_recording_failures', { reason: 'other' })).toBe(1);
    expect(sample(after, 'duet_recording_failures', { reason: 'finalize_failed' })).toBe(0);
    expect(sample(after, 'duet_recordings_partial')).toBe(1);
    expect(after).not.toContain('Something Else');
  });
});
