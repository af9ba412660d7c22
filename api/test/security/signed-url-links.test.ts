// Issue 12: downloads follow the link. A signed download URL minted for a participant (their join
// token) is bound to that link's jti: once a newer link of the seat has joined (superseded) or the
// seat was revoked, the URL is refused at once (403, counted), not after SIGNED_URL_TTL_SECONDS.
// URLs minted with the API key (the marketplace) are not bound and keep working.
// Before: every such URL stayed valid for its whole TTL (900 s by default).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMetricsOf } from '../../src/http/routes/ops.ts';
import { LocalObjectStore } from '../../src/storage/index.ts';
import { API_KEY, DB_KINDS, createLesson, hookEvent, mintToken, sendHook, startApiOn, type TestApi } from '../support/harness.ts';


describe.each(DB_KINDS)('signed download URLs follow the participant link (%s)', (kind) => {
  let api: TestApi;
  let dir: string;
  let store: LocalObjectStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-url-links-'));
    store = new LocalObjectStore(dir);
    api = await startApiOn(kind, {}, { objects: store });
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const join_ = (id: string, token: string) => api.request('POST', `/v1/sessions/${id}/join`, { token });
  const status = async (url: string) => {
    const res = await fetch(url);
    const body = res.status === 200 ? null : ((await res.json()) as { error: { code: string } });
    if (res.status === 200) await res.arrayBuffer();
    return { status: res.status, code: body?.error.code };
  };
  async function upload(sessionId: string, token: string) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(Buffer.from('worksheet'))], { type: 'text/plain' }), 'sheet.txt');
    const res = await fetch(`${api.url}/v1/sessions/${sessionId}/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(res.status).toBe(201);
    return ((await res.json()) as { resource: { id: string; url: string } }).resource;
  }

  it('refuses a superseded link\'s resource URL at once; the marketplace\'s and the new link\'s URLs work', async () => {
    const lesson = await createLesson(api);
    const older = await mintToken(api, lesson.id, 'tutor');
    expect((await join_(lesson.id, older)).status).toBe(200);
    const mine = await upload(lesson.id, older);
    expect(new URL(mine.url).searchParams.get('seat')).toMatch(/^tutor\.\d+\.[0-9a-f-]{36}$/);
    expect(await status(mine.url)).toEqual({ status: 200, code: undefined });
    const listed = (await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: older })).body.resources[0].url as string;
    const market = (await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: API_KEY })).body.resources[0].url as string;
    expect(new URL(market).searchParams.has('seat')).toBe(false);

    // The marketplace hands out a new tutor link, which joins: the old link's URLs die now.
    const newer = await mintToken(api, lesson.id, 'tutor');
    expect((await join_(lesson.id, newer)).status).toBe(200);
    for (const url of [mine.url, listed]) expect(await status(url)).toEqual({ status: 403, code: 'url_link_superseded' });
    // Stripping or editing the binding does not help.
    const stripped = new URL(mine.url);
    stripped.searchParams.delete('seat');
    expect(await status(stripped.toString())).toEqual({ status: 403, code: 'url_signature_invalid' });
    expect(await status(market)).toEqual({ status: 200, code: undefined });
    const fresh = (await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: newer })).body.resources[0].url as string;
    expect(await status(fresh)).toEqual({ status: 200, code: undefined });

    const metrics = await apiMetricsOf(api.server.app)!.scrape();
    expect(metrics).toMatch(/duet_api_rejected_requests_total\{route="\/v1\/sessions\/:id\/resources\/:rid\/content",code="url_link_superseded"\} [1-9]/);
  });

  it('refuses a revoked seat\'s recording file and playback URLs at once, and the segment URLs they hand out', async () => {
    const lesson = await createLesson(api, { recording: true });
    const student = await mintToken(api, lesson.id, 'student');
    expect((await join_(lesson.id, student)).status).toBe(200);
    const recId = randomUUID();
    const key = `recordings/sessions/${lesson.id}/${recId}/recording.webm`;
    await store.put(key, Buffer.from('webm bytes'), { contentType: 'video/webm' });
    expect((await sendHook(api, hookEvent('recording.started', lesson.id, { recording_id: recId }))).status).toBe(200);
    const ready = await sendHook(api, hookEvent('recording.ready', lesson.id, { recording_id: recId, storage_key: key, duration_seconds: 1, size_bytes: 10, content_type: 'video/webm' }));
    expect(ready.status).toBe(200);

    const rec = (await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: student })).body.recordings[0] as { url: string; playback_url: string };
    const market = (await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY })).body.recordings[0] as { url: string; playback_url: string };
    expect(await status(rec.url)).toEqual({ status: 200, code: undefined });
    // The playback description fetched with the student's URL hands out URLs bound to the same link.
    const playback = (await (await fetch(rec.playback_url)).json()) as { file_url: string };
    expect(new URL(playback.file_url).searchParams.get('seat')).toBe(new URL(rec.url).searchParams.get('seat'));
    expect(await status(playback.file_url)).toEqual({ status: 200, code: undefined });

    const revoked = await api.request('POST', `/v1/sessions/${lesson.id}/participants/student/revoke`, { token: API_KEY, body: { reason: 'abuse' } });
    expect(revoked.status).toBe(200);
    for (const url of [rec.url, rec.playback_url, playback.file_url]) expect(await status(url)).toEqual({ status: 403, code: 'url_link_revoked' });
    // The marketplace's own links are untouched.
    expect(await status(market.url)).toEqual({ status: 200, code: undefined });
    expect(await status(market.playback_url)).toEqual({ status: 200, code: undefined });
  });
});
