// Attack: make the API's own origin render attacker-chosen HTML/SVG — a recorder (or whoever holds
// its secret) reporting a recording as text/html, a tutor sharing an SVG with script — and read
// the map of internal routes from /docs. Defence: recordings are audio/video only (the hook is
// refused, old rows are served as bytes), every stored object leaves with attachment (or a
// media type), nosniff and a sandbox CSP, and /docs publishes no /internal route.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetEvent } from '../../src/events/event.ts';
import { apiMetricsOf } from '../../src/http/routes/ops.ts';
import { LocalObjectStore, createObjectStore, loadStorageConfig } from '../../src/storage/index.ts';
import { startS3Server, type S3TestServer } from '@duet/deploy/testing';
import { API_KEY, DB_KINDS, createLesson, mintToken, sendHook, startApiOn, type TestApi } from '../support/harness.ts';

const HTML = Buffer.from('<!doctype html><script>fetch("/v1/sessions").then(r=>r.text()).then(alert)</script>');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');

function hook(type: string, sessionId: string, data: Record<string, unknown>): DuetEvent {
  return { id: `evt_${randomUUID()}`, type: type as DuetEvent['type'], created_at: new Date().toISOString(), session_id: sessionId, data };
}

function expectInert(res: Response): void {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/(^|;\s*)sandbox(;|$)/);
  expect(csp).toContain("default-src 'none'");
  expect(res.headers.get('content-type')).not.toMatch(/html|svg|xml|javascript/i);
}

describe.each(DB_KINDS)('what the API origin serves (%s)', (kind) => {
  let api: TestApi;
  let dir: string;
  let store: LocalObjectStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-served-'));
    store = new LocalObjectStore(dir);
    api = await startApiOn(kind, { RESOURCE_CONTENT_TYPES: 'text/plain,image/svg+xml,text/html' }, { objects: store });
  });
  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function started(lesson: { id: string }) {
    const id = randomUUID();
    const key = `recordings/sessions/${lesson.id}/${id}/recording.bin`;
    await store.put(key, HTML, { contentType: 'text/html' });
    expect((await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }))).status).toBe(200);
    return { id, key };
  }

  it('refuses a recording.ready hook that says text/html, and counts it', async () => {
    const lesson = await createLesson(api, { recording: true });
    const { id, key } = await started(lesson);
    for (const content_type of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'video/mp4; charset=x', 42]) {
      const res = await sendHook(api, hook('recording.ready', lesson.id, { recording_id: id, storage_key: key, duration_seconds: 1, size_bytes: HTML.length, content_type }));
      expect(res.status, String(content_type)).toBe(400);
      expect(res.body.error.code).toBe('recording_content_type_not_allowed');
    }
    const list = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    expect(list.body.recordings).toMatchObject([{ id, status: 'processing' }]);
    const metrics = await apiMetricsOf(api.server.app)!.scrape();
    expect(metrics).toMatch(/duet_api_rejected_requests_total\{route="\/internal\/hooks",code="recording_content_type_not_allowed"\} [1-9]/);
  });

  it('serves an audio/video recording inline as its type, with nosniff and a sandbox CSP', async () => {
    const lesson = await createLesson(api, { recording: true });
    const { id, key } = await started(lesson);
    const ok = await sendHook(api, hook('recording.ready', lesson.id, { recording_id: id, storage_key: key, duration_seconds: 1, size_bytes: HTML.length, content_type: 'video/webm' }));
    expect(ok.status).toBe(200);
    const res = await fetch(`${api.url}/v1/sessions/${lesson.id}/recordings/${id}/file`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/webm');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="lesson-.*\.webm"$/);
    expectInert(res);
  });

  it('serves a recording stored as text/html before the allow-list as an opaque attachment', async () => {
    const lesson = await createLesson(api, { recording: true });
    const { id, key } = await started(lesson);
    // A row written by an older API that still trusted the hook's content_type.
    await api.server.sql`update recordings set status = 'ready', storage_key = ${key}, content_type = 'text/html', size_bytes = ${HTML.length}, duration_seconds = 1, finished_at = now() where id = ${id}`;
    const url = (await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY })).body.recordings[0].url as string;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expectInert(res);
  });

  async function upload(sessionId: string, token: string, bytes: Buffer, filename: string, type: string) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), filename);
    const res = await fetch(`${api.url}/v1/sessions/${sessionId}/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('never lets a shared SVG or HTML file run on the API origin', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    for (const [bytes, name, type] of [[SVG, 'diagram.svg', 'image/svg+xml'], [HTML, 'page.html', 'text/html']] as const) {
      const up = await upload(lesson.id, tutor, bytes, name, type);
      expect(up.status).toBe(201);
      for (const res of [await fetch(up.body.resource.url), await fetch(up.body.resource.url.split('?')[0], { headers: { authorization: `Bearer ${tutor}` } })]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
        expect(res.headers.get('content-type')).toBe('application/octet-stream');
        expectInert(res);
      }
    }
    // An ordinary file keeps its type, and is just as inert.
    const txt = await upload(lesson.id, tutor, Buffer.from('hello'), 'a.txt', 'text/plain');
    const res = await fetch(txt.body.resource.url);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expectInert(res);
  });

  it('publishes no /internal route in the OpenAPI document', async () => {
    const doc = (await api.request('GET', '/docs/json')).body;
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => p.startsWith('/internal'))).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain('INTERNAL_HOOK_SECRET');
  });
});

describe('recordings on S3 (presigned URLs)', () => {
  let api: TestApi;
  let s3: S3TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-served-s3-'));
    s3 = await startS3Server();
    api = await startApiOn('pglite', { ...s3.env, LOG_LEVEL: 'error' }, { objects: createObjectStore(loadStorageConfig(s3.env, dir)) });
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('pins audio/video or opaque bytes in the presigned URL, never the stored text/html', async () => {
    const lesson = await createLesson(api, { recording: true });
    const id = randomUUID();
    expect((await sendHook(api, hook('recording.started', lesson.id, { recording_id: id }))).status).toBe(200);
    const key = `recordings/sessions/${lesson.id}/${id}/recording.bin`;
    // A row written by an older API that still trusted the hook's content_type.
    await api.server.sql`update recordings set status = 'ready', storage_key = ${key}, content_type = 'text/html', size_bytes = 10, duration_seconds = 1, finished_at = now() where id = ${id}`;
    const url = (await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY })).body.recordings[0].url as string;
    expect(url.startsWith(`${s3.endpoint}/`)).toBe(true);
    expect(url).toContain('response-content-type=application%2Foctet-stream');
    expect(url).toContain('response-content-disposition=attachment');
    expect(url).not.toContain('text%2Fhtml');
  });
});
